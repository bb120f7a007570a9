import { chmodSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { tempDir } from '../../test/support/temp-dir.js';
import { StoreError } from '../errors/index.js';
import { SqliteRunStore, schemaVersion } from './sqlite-store.js';

const tempPath = () => join(tempDir('crosstalk-store-'), 'runs.db');

describe('SqliteRunStore', () => {
  it('creates, lists, updates and deletes runs', () => {
    const store = new SqliteRunStore(tempPath());
    const a = store.createRun({ kind: 'net', task: 'task a', config: { n: 3 } });
    const b = store.createRun({ kind: 'dev', task: 'task b', config: {} });
    expect(store.listRuns().map((r) => r.id)).toEqual([b.id, a.id]);
    store.updateRun(a.id, {
      status: 'completed',
      finishedAt: 5,
      totals: { calls: 3, replayedCalls: 1, inputTokens: 10, outputTokens: 20, costUsd: 0.5 },
    });
    expect(store.getRun(a.id)).toMatchObject({
      status: 'completed',
      finishedAt: 5,
      config: { n: 3 },
      totals: { calls: 3, costUsd: 0.5 },
    });
    expect(store.deleteRun(a.id)).toBe(true);
    expect(store.getRun(a.id)).toBeUndefined();
    store.close();
  });

  it('keeps steps, events, journal entries and artifacts per run, and deletes them with it', () => {
    const store = new SqliteRunStore(tempPath());
    const run = store.createRun({ kind: 'net', task: 't', config: {} });
    const hash = store.putArtifact('hello');
    expect(store.putArtifact('hello')).toBe(hash);
    expect(store.getArtifact(hash)).toBe('hello');
    store.putStep(run.id, { id: 'n1', state: 'running', attempts: 1, outputHash: null, meta: {}, updatedAt: 1 });
    store.putStep(run.id, { id: 'n1', state: 'done', attempts: 1, outputHash: hash, meta: { ms: 3 }, updatedAt: 2 });
    expect(store.getSteps(run.id)).toEqual([
      { id: 'n1', state: 'done', attempts: 1, outputHash: hash, meta: { ms: 3 }, updatedAt: 2 },
    ]);
    expect(store.appendEvent(run.id, 'step-started', { id: 'n1' })).toBe(1);
    expect(store.appendEvent(run.id, 'step-finished', { id: 'n1' })).toBe(2);
    expect(store.listEvents(run.id, { afterSeq: 1 }).map((e) => e.type)).toEqual(['step-finished']);
    store.putCall({
      runId: run.id,
      key: 'h#0',
      requestHash: 'h',
      model: 'sim',
      agent: 'actor',
      request: { a: 1 },
      response: { text: 'x' },
      inputTokens: 1,
      outputTokens: 2,
      costUsd: null,
      latencyMs: 3,
      at: 4,
    });
    expect(store.findCall(run.id, 'h#0')?.response).toEqual({ text: 'x' });
    expect(store.findCallAnyRun('h')?.key).toBe('h#0');
    store.deleteRun(run.id);
    expect(store.findCall(run.id, 'h#0')).toBeUndefined();
    expect(store.getSteps(run.id)).toEqual([]);
    store.close();
  });

  it('writes all of a transaction or none of it', () => {
    const store = new SqliteRunStore(tempPath());
    const run = store.createRun({ kind: 'net', task: 't', config: {} });
    expect(() =>
      store.transaction(() => {
        store.appendEvent(run.id, 'a', null);
        throw new Error('crash in the middle');
      }),
    ).toThrow('crash in the middle');
    expect(store.listEvents(run.id)).toEqual([]);
    store.close();
  });

  it('lets two connections write the same file (WAL and busy timeout)', () => {
    const path = tempPath();
    const one = new SqliteRunStore(path);
    const two = new SqliteRunStore(path);
    const run = one.createRun({ kind: 'net', task: 't', config: {} });
    for (let i = 0; i < 50; i++) (i % 2 ? one : two).appendEvent(run.id, 'e', i);
    expect(one.listEvents(run.id)).toHaveLength(50);
    one.close();
    two.close();
  });

  it('refuses a corrupt file with a clear error', () => {
    const path = tempPath();
    writeFileSync(path, 'this is not a database, just text '.repeat(200));
    expect(() => new SqliteRunStore(path)).toThrow(StoreError);
    expect(() => new SqliteRunStore(path)).toThrow(/not a crosstalk store or is corrupt/);
  });

  it('opened read-only, reads what a writer committed and writes nothing', () => {
    const path = tempPath();
    const writer = new SqliteRunStore(path);
    const run = writer.createRun({ kind: 'net', task: 'read me', config: {} });
    writer.appendEvent(run.id, 'e', 1);
    const reader = new SqliteRunStore(path, { readOnly: true });
    expect(reader.listRuns().map((r) => r.task)).toEqual(['read me']);
    expect(reader.listEvents(run.id)).toHaveLength(1);
    expect(() => reader.createRun({ kind: 'net', task: 'no', config: {} })).toThrow(/readonly/);
    reader.close();
    writer.close();
  });

  it('opened read-only, refuses a file that is not a store without turning it into one', () => {
    const path = tempPath();
    writeFileSync(path, '');
    expect(() => new SqliteRunStore(path, { readOnly: true })).toThrow(/is not a crosstalk run store/);
    expect(statSync(path).size).toBe(0);
    expect(() => new SqliteRunStore(`${path}.missing`, { readOnly: true })).toThrow(StoreError);
  });

  it('refuses a store written by a newer schema', () => {
    const path = tempPath();
    new SqliteRunStore(path).close();
    const db = new Database(path);
    db.prepare("UPDATE meta SET value = '99' WHERE key = 'schema_version'").run();
    db.close();
    expect(() => new SqliteRunStore(path)).toThrow(/newer crosstalk \(schema v99/);
    expect(() => new SqliteRunStore(path, { readOnly: true })).toThrow(/newer crosstalk \(schema v99/);
  });

  it('in write-behind mode commits buffered writes together, and drops the writes of a failed transaction', async () => {
    const path = tempPath();
    const writer = new SqliteRunStore(path, { writeBehind: true });
    const reader = new SqliteRunStore(path);
    const run = writer.createRun({ kind: 'net', task: 't', config: {} });
    writer.appendEvent(run.id, 'a', 1);
    writer.markPending(run.id, 'k#0');
    expect(reader.listEvents(run.id)).toEqual([]); // not committed yet
    await writer.flushSoon();
    expect(reader.listEvents(run.id).map((e) => e.type)).toEqual(['a']);
    expect(() =>
      writer.transaction(() => {
        writer.appendEvent(run.id, 'b', 2);
        throw new Error('fails');
      }),
    ).toThrow('fails');
    writer.appendEvent(run.id, 'c', 3);
    writer.close();
    expect(reader.listEvents(run.id).map((e) => e.type)).toEqual(['a', 'c']);
    expect(reader.takePending(run.id)).toBe(1);
    reader.close();
  });

  it('drops a pending mark answered before it was committed, and clears one that was committed', async () => {
    const path = tempPath();
    const writer = new SqliteRunStore(path, { writeBehind: true });
    const reader = new SqliteRunStore(path);
    const run = writer.createRun({ kind: 'net', task: 't', config: {} });
    const call = (key: string) => ({
      runId: run.id,
      key,
      requestHash: key,
      model: 'sim',
      agent: null,
      request: {},
      response: { ok: true },
      inputTokens: 1,
      outputTokens: 1,
      costUsd: 0,
      latencyMs: 1,
      at: 1,
    });
    // answered within the same batch: the mark never reaches the file
    writer.markPending(run.id, 'fast#0');
    writer.markPending(run.id, 'fast#0'); // a retry marks again
    writer.putCall(call('fast#0'));
    // committed while in flight, then answered: cleared
    writer.markPending(run.id, 'slow#0');
    await writer.flushSoon();
    expect(reader.takePending(run.id)).toBe(1);
    writer.markPending(run.id, 'slow#0');
    await writer.flushSoon();
    writer.putCall(call('slow#0'));
    // still in flight at the end: counted as lost by a resume
    writer.markPending(run.id, 'lost#0');
    writer.close();
    expect(
      reader
        .listCalls(run.id)
        .map((c) => c.key)
        .sort(),
    ).toEqual(['fast#0', 'slow#0']);
    expect(reader.takePending(run.id)).toBe(1);
    reader.close();
  });
});

/** A store as crosstalk 0.1 (schema v1) wrote it: one run with a journaled call, a step and its artifact. */
function writeV1Store(path: string): { runId: string; key: string; hash: string; artifactHash: string } {
  const db = new Database(path);
  db.exec(`CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO meta VALUES ('schema_version', '1');
    CREATE TABLE runs (id TEXT PRIMARY KEY, kind TEXT NOT NULL, task TEXT NOT NULL, config TEXT NOT NULL,
      status TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, finished_at INTEGER,
      totals TEXT NOT NULL, result TEXT);
    CREATE TABLE steps (run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, id TEXT NOT NULL,
      state TEXT NOT NULL, attempts INTEGER NOT NULL, output_hash TEXT, meta TEXT, updated_at INTEGER NOT NULL,
      PRIMARY KEY (run_id, id));
    CREATE TABLE events (run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, seq INTEGER NOT NULL,
      at INTEGER NOT NULL, type TEXT NOT NULL, data TEXT, PRIMARY KEY (run_id, seq));
    CREATE TABLE calls (run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, key TEXT NOT NULL,
      request_hash TEXT NOT NULL, model TEXT NOT NULL, agent TEXT, request TEXT, response TEXT NOT NULL,
      input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cost_usd REAL, latency_ms REAL NOT NULL,
      at INTEGER NOT NULL, PRIMARY KEY (run_id, key));
    CREATE INDEX calls_by_hash ON calls(request_hash);
    CREATE TABLE artifacts (hash TEXT PRIMARY KEY, content TEXT NOT NULL, size INTEGER NOT NULL);
    CREATE TABLE pending_calls (run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, key TEXT NOT NULL,
      at INTEGER NOT NULL, PRIMARY KEY (run_id, key));`);
  const runId = 'old-run';
  const hash = 'ab'.repeat(32);
  const key = `${hash}@node/n1#0`;
  const artifactHash = 'cd'.repeat(32);
  db.prepare("INSERT INTO runs VALUES (?, 'net', 'an old task', '{}', 'interrupted', 1, 2, NULL, ?, NULL)").run(
    runId,
    JSON.stringify({ calls: 1, replayedCalls: 0, inputTokens: 5, outputTokens: 7, costUsd: 0.25 }),
  );
  db.prepare('INSERT INTO calls VALUES (?, ?, ?, ?, ?, ?, ?, 5, 7, 0.25, 12.5, 3)').run(
    runId,
    key,
    hash,
    'sim',
    'actor n1',
    JSON.stringify({ model: 'sim', prompt: [{ role: 'user', content: 'An old prompt, long enough to be a text.' }] }),
    JSON.stringify({ content: [{ type: 'text', text: 'An old answer\nover two lines.' }], finishReason: 'stop' }),
  );
  db.prepare('INSERT INTO artifacts VALUES (?, ?, ?)').run(artifactHash, 'The old artifact, kept.', 23);
  db.prepare("INSERT INTO steps VALUES (?, 'n1', 'done', 1, ?, 'null', 4)").run(runId, artifactHash);
  db.close();
  return { runId, key, hash, artifactHash };
}

describe('SqliteRunStore schema migration', () => {
  it('migrates a v1 store on open: its journal still replays, its artifacts and runs still read', () => {
    const path = tempPath();
    const old = writeV1Store(path);
    const store = new SqliteRunStore(path);
    expect(store.getRun(old.runId)).toMatchObject({ task: 'an old task', status: 'interrupted' });
    expect(store.listCallKeys(old.runId)).toEqual([old.key]);
    const call = store.findCall(old.runId, old.key);
    expect(call).toMatchObject({
      requestHash: old.hash,
      agent: 'actor n1',
      request: { prompt: [{ role: 'user', content: 'An old prompt, long enough to be a text.' }] },
      response: { content: [{ type: 'text', text: 'An old answer\nover two lines.' }] },
      inputTokens: 5,
      outputTokens: 7,
      costUsd: 0.25,
      latencyMs: 12.5,
    });
    expect(store.findCallAnyRun(old.hash)?.key).toBe(old.key);
    expect(store.getArtifact(old.artifactHash)).toBe('The old artifact, kept.');
    store.close();
    const db = new Database(path, { readonly: true });
    expect(db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get()).toBe(String(schemaVersion));
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'calls_v1'").get()).toBeUndefined();
    db.close();
  });

  it('upgrades a v1 store opened for reading when it may write it', () => {
    const path = tempPath();
    const old = writeV1Store(path);
    const reader = new SqliteRunStore(path, { readOnly: true });
    expect(reader.listCalls(old.runId).map((c) => c.key)).toEqual([old.key]);
    reader.close();
  });

  // root may write any file, so the refusal can only be seen as another user
  it.skipIf(process.getuid?.() === 0)('refuses a v1 store it may not upgrade in one line naming the version', () => {
    const locked = tempPath();
    writeV1Store(locked);
    chmodSync(locked, 0o444);
    chmodSync(dirname(locked), 0o555);
    onTestFinished(() => chmodSync(dirname(locked), 0o755));
    expect(() => new SqliteRunStore(locked, { readOnly: true })).toThrow(
      /written by an older crosstalk \(schema v1\) and must be upgraded/,
    );
  });
});
