import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/temp-dir.js';
import { BodyStore, bodiesTableSql, compressMin } from './bodies.js';
import { SqliteRunStore } from './sqlite-store.js';

const tempPath = () => join(tempDir('crosstalk-bodies-'), 'runs.db');

function memoryBodies(): { db: Database.Database; bodies: BodyStore } {
  const db = new Database(':memory:');
  db.exec(bodiesTableSql);
  return { db, bodies: new BodyStore(db) };
}

const systemPrompt =
  'You are the Solver. You produce or improve a solution to the task, taking the instructions you are given seriously.';

function call(runId: string, i: number, userText: string) {
  const hash = i.toString(16).padStart(64, '0');
  return {
    runId,
    key: `${hash}@node/n${i}#0`,
    requestHash: hash,
    model: 'sim',
    agent: 'actor',
    request: {
      model: 'sim',
      prompt: [
        { role: 'system', content: systemPrompt },
        { role: 'user', content: [{ type: 'text', text: userText }] },
      ],
      temperature: 0.7,
      seed: i,
    },
    response: {
      content: [{ type: 'text', text: `Answer number ${i}: a line long enough to be a body.` }],
      finishReason: { unified: 'stop', raw: 'stop' },
      usage: { inputTokens: { total: 10 + i }, outputTokens: { total: 20 + i } },
      warnings: [],
    },
    inputTokens: 10 + i,
    outputTokens: 20 + i,
    costUsd: null,
    latencyMs: 1,
    at: i,
  };
}

describe('content-addressed bodies', () => {
  it('stores a system prompt and a quoted upstream artifact once, however many calls repeat them', () => {
    const path = tempPath();
    const store = new SqliteRunStore(path, { writeBehind: true });
    const run = store.createRun({ kind: 'net', task: 't', config: {} });
    const artifact = 'An upstream artifact, quoted in full by every node after it.';
    for (let i = 0; i < 20; i++)
      store.putCall(call(run.id, i, `Task ${i}: improve this.\n<<<\n${artifact}\n>>>\nWrite the answer.`));
    store.close();

    const db = new Database(path, { readonly: true });
    const count = (text: string) =>
      (db.prepare('SELECT COUNT(*) AS n FROM bodies WHERE data = ?').get(text) as { n: number }).n;
    expect(count(systemPrompt)).toBe(1);
    expect(count(artifact)).toBe(1);
    expect((db.prepare('SELECT COUNT(*) AS n FROM calls').get() as { n: number }).n).toBe(20);
    db.close();

    const reader = new SqliteRunStore(path, { readOnly: true });
    const calls = reader.listCalls(run.id);
    expect(calls).toHaveLength(20);
    expect(calls[7]).toEqual(call(run.id, 7, `Task 7: improve this.\n<<<\n${artifact}\n>>>\nWrite the answer.`));
    reader.close();
  });

  it('gives back exactly the JSON it was given', () => {
    const { db, bodies } = memoryBodies();
    const values: unknown[] = [
      null,
      42,
      'short',
      'a long string without any newline in it at all, long enough',
      { n: [0, -1, 1.5, 1e-9, Number.MAX_SAFE_INTEGER], ok: true, none: null },
      { text: 'line one is long enough\r\n\n\nshort\nline three is long enough too\n', empty: '' },
      { marker: '\u0000', starts: '\u0000x', emoji: '😀 a line with an emoji, long enough to be one' },
      JSON.parse('{"__proto__": {"polluted": "no, long enough to be stored as a text"}, "k": 1}'),
      { nested: [[{ deep: ['x'.repeat(40), 3] }]], when: new Date(0) },
    ];
    db.transaction(() => {
      for (const value of values) {
        const expected = JSON.parse(JSON.stringify(value));
        expect(bodies.unpack(bodies.pack(value))).toEqual(expected);
      }
    })();
    // the same object is read back without touching Object.prototype
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // numbers JSON cannot hold become null, as JSON.stringify makes them
    expect(bodies.unpack(db.transaction(() => bodies.pack({ x: Number.NaN }))())).toEqual({ x: null });
  });

  it('compresses a large body when that pays, keeps an incompressible one raw, and reads both back', () => {
    const { db, bodies } = memoryBodies();
    const repetitive = 'the sea, the sea, the restless sea; '.repeat(Math.ceil((compressMin * 2) / 36));
    const random = randomBytes(compressMin).toString('base64');
    const [a, b, small] = db.transaction(() => [
      bodies.idOf(repetitive),
      bodies.idOf(random),
      bodies.idOf('a line below the size worth compressing'),
    ])();
    const row = (id: number) =>
      db.prepare('SELECT enc, length(data) AS size FROM bodies WHERE id = ?').get(id) as { enc: number; size: number };
    expect(row(a!).enc).toBe(1);
    expect(row(a!).size).toBeLessThan(repetitive.length / 4);
    expect(row(b!).enc).toBe(0);
    expect(row(small!).enc).toBe(0);
    const fresh = new BodyStore(db); // no cache: read from the table
    expect(fresh.text(a!)).toBe(repetitive);
    expect(fresh.text(b!)).toBe(random);
    // and a body stored already is found by its hash, not stored again
    expect(db.transaction(() => fresh.idOf(repetitive))()).toBe(a);
    expect((db.prepare('SELECT COUNT(*) AS n FROM bodies').get() as { n: number }).n).toBe(3);
  });
});
