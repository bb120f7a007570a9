import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { generateTopology, validateGraph, type ScheduleEvent } from '../src/graph/index.js';
import { RunSession } from '../src/jobs/index.js';
import { SimulatedModel } from '../src/model/index.js';
import { buildModelStack, createModelLimiter, UsageTracker } from '../src/model/middleware/index.js';
import { executeNetwork } from '../src/network/index.js';
import { BodyStore, bodiesTableSql } from '../src/store/bodies.js';
import {
  NoRunStore,
  SqliteRunStore,
  type CallRecord,
  type EventRecord,
  type RunStore,
  type StepRecord,
} from '../src/store/index.js';
import { sha256Hex } from '../src/store/sha256.js';
import { schemaV1 } from '../src/store/sqlite-store.js';
import { writeSql } from '../src/store/write-sql.js';
import { median, printTable } from './table.js';

/**
 * A fixed sparse graph: 1,000 nodes, edges drawn with an explicit p = 2/999
 * (about one successor per node), so the figures do not move when the random
 * topology's default density changes.
 */
const graph = validateGraph(generateTopology('random', { n: 1000, seed: 3, density: 'sparse', p: 2 / 999 }));

/** Targets of issue 13: store cost per model call at zero latency, and database size of a 1,000-node run. */
const targetUsPerCall = 40;
const targetBytes = 3 * 1024 * 1024;

type Mode = 'no session' | 'none' | 'memory' | 'file';

interface Measured {
  ms: number;
  cpuMs: number;
  calls: number;
  /** File store: its size once closed (and the WAL, were one left). */
  bytes?: number;
}

/** One run of the network on the zero-latency sim (or `latencyMs`), with the store of `mode`, timed until closed. */
async function once(mode: Mode, latencyMs = 0, keep?: (path: string, runId: string) => void): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), 'crosstalk-bench-store-'));
  const path = join(dir, 'runs.db');
  const store: RunStore | undefined =
    mode === 'none'
      ? new NoRunStore()
      : mode === 'memory'
        ? new SqliteRunStore(':memory:', { writeBehind: true })
        : mode === 'file'
          ? new SqliteRunStore(path, { writeBehind: true })
          : undefined;
  const session = store ? RunSession.start(store, { kind: 'net', task: 'bench', config: {} }) : undefined;
  const parts = session?.journal('sim', { input: 0.5, output: 1.5 });
  const model = buildModelStack({
    model: new SimulatedModel({ seed: 3, latency: { kind: 'fixed', ms: latencyMs } }),
    tracker: new UsageTracker(),
    limiter: createModelLimiter({ concurrency: 64 }),
    timeoutMs: 60_000,
    ...(parts ? parts : {}),
  });
  const onEvent = session
    ? (e: ScheduleEvent) => {
        // the events a network job stores: a step's start and finish
        const step = (id: string) => ({ kind: 'node', id, role: 'actor', model: 'sim' }) as const;
        if (e.type === 'step-started') session.emit({ type: 'step-started', step: step(e.id), attempt: e.attempt });
        else if (e.type === 'step-finished')
          session.emit({ type: 'step-finished', step: step(e.id), durationMs: Math.round(e.durationMs) });
      }
    : undefined;
  session?.begin({ model: 'sim', simulated: true, plannedSteps: graph.spec.nodes.length });
  store?.flush();
  const cpu = process.cpuUsage();
  const started = performance.now();
  const result = await executeNetwork({
    graph,
    task: 'Write a haiku about the sea.',
    taskType: 'text',
    model: () => model,
    concurrency: 64,
    seed: 3,
    ...(onEvent ? { onEvent } : {}),
    ...(session ? { onNodeDone: (id: string, out: { text: string }) => session.stepDone(id, out.text, null) } : {}),
  });
  if (session) session.finish('completed', { answer: result.final });
  // closing is part of the run: it commits the last writes and checkpoints the WAL into the file
  store?.close();
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const bytes =
    mode === 'file' ? statSync(path).size + (existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0) : undefined;
  if (keep && session && mode === 'file') keep(path, session.id);
  rmSync(dir, { recursive: true, force: true });
  return { ms, cpuMs: (used.user + used.system) / 1000, calls: result.calls, ...(bytes ? { bytes } : {}) };
}

/** Bytes of each table with its indexes, from SQLite's page statistics. */
function tableBytes(path: string): Map<string, number> {
  const db = new Database(path, { readonly: true });
  const rows = db
    .prepare('SELECT tbl_name AS t, SUM(pgsize) AS bytes FROM dbstat JOIN sqlite_master USING (name) GROUP BY t')
    .all() as Array<{ t: string; bytes: number }>;
  db.close();
  return new Map(rows.map((r) => [r.t, r.bytes]));
}

/** What a run wrote, read back, to write it again in either layout without the run. */
interface Written {
  calls: CallRecord[];
  artifacts: string[];
  steps: StepRecord[];
  events: EventRecord[];
  /** The SQL that made the run's tables and indexes (v2). */
  schema: string[];
}

function readBack(path: string, runId: string): Written {
  const store = new SqliteRunStore(path, { readOnly: true });
  const artifacts = store.getSteps(runId).flatMap((s) => (s.outputHash ? [store.getArtifact(s.outputHash)!] : []));
  const written = {
    calls: store.listCalls(runId),
    artifacts,
    steps: store.getSteps(runId),
    events: store.listEvents(runId),
    schema: [] as string[],
  };
  store.close();
  const db = new Database(path, { readonly: true });
  written.schema = db
    .prepare('SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY rowid')
    .pluck()
    .all() as string[];
  db.close();
  return written;
}

/**
 * The journal and artifacts written again with no run around them, in six
 * batches as the run commits them, until closed: `v1` as crosstalk 0.1 laid
 * them out (request and response JSON per row, 16 KiB pages), `v2` through the
 * store as it is. Returns the CPU time per call and the file's size.
 */
function writesAlone(written: Written, layout: 'v1' | 'v2'): { cpuUsPerCall: number; bytes: number } {
  const dir = mkdtempSync(join(tmpdir(), 'crosstalk-bench-store-'));
  const path = join(dir, 'runs.db');
  const batches = 6;
  const per = Math.ceil(written.calls.length / batches);
  let cpu: NodeJS.CpuUsage;
  if (layout === 'v1') {
    const db = new Database(path);
    db.pragma('page_size = 16384');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    db.exec(schemaV1);
    db.prepare("INSERT INTO runs VALUES ('r', 'net', 'bench', '{}', 'running', 0, 0, NULL, '{}', NULL)").run();
    const putCall = db.prepare('INSERT OR REPLACE INTO calls VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const putArtifact = db.prepare('INSERT OR IGNORE INTO artifacts VALUES (?, ?, ?)');
    // v1 serialized each request once, for its hash, and stored that text: not a cost of its store
    const requests = written.calls.map((c) => JSON.stringify(c.request));
    cpu = process.cpuUsage();
    for (let b = 0; b < batches; b++) {
      db.transaction(() => {
        for (let i = b * per; i < Math.min(written.calls.length, (b + 1) * per); i++) {
          const c = written.calls[i]!;
          putCall.run(
            'r',
            c.key,
            c.requestHash,
            c.model,
            c.agent,
            requests[i],
            JSON.stringify(c.response),
            c.inputTokens,
            c.outputTokens,
            c.costUsd,
            c.latencyMs,
            c.at,
          );
        }
        if (b === batches - 1) for (const a of written.artifacts) putArtifact.run(sha256Hex(a), a, a.length);
      }).immediate();
    }
    db.close();
  } else {
    const store = new SqliteRunStore(path, { writeBehind: true });
    const run = store.createRun({ kind: 'net', task: 'bench', config: {} });
    store.flush();
    cpu = process.cpuUsage();
    for (let b = 0; b < batches; b++) {
      for (const c of written.calls.slice(b * per, (b + 1) * per)) store.putCall({ ...c, runId: run.id });
      if (b === batches - 1) for (const a of written.artifacts) store.putArtifact(a);
      store.flush();
    }
    store.close();
  }
  const used = process.cpuUsage(cpu);
  const bytes = statSync(path).size;
  rmSync(dir, { recursive: true, force: true });
  return { cpuUsPerCall: (used.user + used.system) / written.calls.length, bytes };
}

/** CPU µs per call of `work` (run over all the calls), median of `reps` runs, each on state `setup` made afresh. */
function cpuPerCall<T>(
  n: number,
  setup: () => T,
  work: (state: T) => void,
  done?: (state: T) => void,
  reps = 7,
): number {
  const per: number[] = [];
  for (let r = 0; r < reps; r++) {
    const state = setup();
    const cpu = process.cpuUsage();
    work(state);
    const used = process.cpuUsage(cpu);
    done?.(state);
    per.push((used.user + used.system) / n);
  }
  return median(per);
}

/**
 * The parts of the store's cost per call, each measured alone on the rows a run wrote (in memory, one
 * transaction, no run around them): what the floor under the whole is made of.
 */
function storeFloor(written: Written): Array<[string, number]> {
  const n = written.calls.length;
  const fresh = () => {
    const db = new Database(':memory:');
    for (const sql of written.schema) db.exec(sql);
    db.prepare("INSERT INTO runs VALUES ('r', 'net', 'bench', '{}', 'running', 0, 0, NULL, '{}', NULL)").run();
    db.prepare("INSERT INTO run_refs (n, id) VALUES (1, 'r')").run();
    return db;
  };
  const close = (db: Database.Database) => db.close();
  const requests = written.calls.map((c) => c.request);
  const hash = cpuPerCall(
    n,
    () => undefined,
    () => {
      for (const r of requests) sha256Hex(JSON.stringify(r));
    },
  );
  const packed: Array<[string, string]> = [];
  const pack = cpuPerCall(
    n,
    () => {
      const db = new Database(':memory:');
      db.exec(bodiesTableSql);
      return { db, bodies: new BodyStore(db) };
    },
    ({ db, bodies }) =>
      db.transaction(() => {
        packed.length = 0;
        for (const c of written.calls) packed.push([bodies.pack(c.request), bodies.pack(c.response)]);
      })(),
    ({ db }) => db.close(),
  );
  const keys = written.calls.map((c) => Buffer.from(c.key.slice(0, 64), 'hex'));
  const rows = (db: Database.Database) => {
    const put = db.prepare(writeSql.putCall);
    db.transaction(() => {
      written.calls.forEach((c, i) => {
        put.run(
          1,
          keys[i],
          null,
          c.model,
          c.agent,
          packed[i]![0],
          packed[i]![1],
          c.inputTokens,
          c.outputTokens,
          c.costUsd,
          c.latencyMs,
          c.at,
        );
      });
    })();
  };
  const row = cpuPerCall(n, fresh, rows, close);
  const rowNoIndex = cpuPerCall(
    n,
    () => {
      const db = fresh();
      db.exec('DROP INDEX calls_by_hash');
      return db;
    },
    rows,
    close,
  );
  const noop = cpuPerCall(
    n,
    () => new Database(':memory:'),
    (db) => {
      const st = db.prepare('SELECT 1');
      db.transaction(() => {
        for (let i = 0; i < n; i++) st.run();
      })();
    },
    close,
  );
  // the run's other rows, as the bench's run writes them: each step once (done), its events, its artifacts
  const others = cpuPerCall(
    n,
    () => {
      const db = new Database(':memory:');
      db.exec(bodiesTableSql);
      for (const sql of written.schema) if (!/TABLE bodies/.test(sql)) db.exec(sql);
      db.prepare("INSERT INTO runs VALUES ('r', 'net', 'bench', '{}', 'running', 0, 0, NULL, '{}', NULL)").run();
      return { db, bodies: new BodyStore(db) };
    },
    ({ db, bodies }) => {
      const step = db.prepare(writeSql.putStep);
      const event = db.prepare(writeSql.insertEvent);
      const artifact = db.prepare(writeSql.putArtifact);
      db.transaction(() => {
        for (const s of written.steps)
          step.run('r', s.id, s.state, s.attempts, s.outputHash, JSON.stringify(s.meta ?? null), s.updatedAt);
        for (const e of written.events) event.run('r', e.seq, e.at, e.type, JSON.stringify(e.data ?? null));
        for (const a of written.artifacts)
          artifact.run(sha256Hex(a), Buffer.byteLength(a), JSON.stringify(bodies.packText(a)));
      })();
    },
    ({ db }) => db.close(),
  );
  return [
    ['journal key: JSON and SHA-256 of the request (fixed: v1 runs resume by it)', hash],
    ['packing the request and response into bodies (new lines hashed and inserted)', pack],
    ['inserting the packed call row', row],
    ['the same without the request-hash index (`--cache` look-ups need it)', rowNoIndex],
    ["better-sqlite3's cost of one statement doing nothing (SELECT 1)", noop],
    [
      `the run's ${written.steps.length} steps, ${written.events.length} events and ${written.artifacts.length} artifacts, per call`,
      others,
    ],
  ];
}

const mb = (bytes: number) => bytes / (1024 * 1024);
const met = (ok: boolean) => (ok ? 'yes' : 'NO');

/** Issue 13: store cost per model call and database size of a 1,000-node run, per store; issue 6: the ratio. */
export async function benchStoreOverhead(): Promise<void> {
  const modes: Mode[] = ['no session', 'none', 'memory', 'file'];
  for (const mode of modes) await once(mode); // warm-up
  const runs = 7;
  const wall = new Map<Mode, number[]>(modes.map((m) => [m, []]));
  const extraWall = new Map<Mode, number[]>(modes.map((m) => [m, []]));
  const extraCpu = new Map<Mode, number[]>(modes.map((m) => [m, []]));
  let calls = 0;
  let bytes = 0;
  for (let i = 0; i < runs; i++) {
    // interleaved, each compared with the run without a session made just before it
    const base = await once('no session');
    for (const mode of modes) {
      const r = mode === 'no session' ? base : await once(mode);
      calls = r.calls;
      if (r.bytes) bytes = r.bytes;
      wall.get(mode)!.push(r.ms);
      extraWall.get(mode)!.push(((r.ms - base.ms) * 1000) / r.calls);
      extraCpu.get(mode)!.push(((r.cpuMs - base.cpuMs) * 1000) / r.calls);
    }
  }
  const label: Record<Mode, string> = {
    'no session': 'no session at all (the model stack alone)',
    none: '--store none (session, no database)',
    memory: "in memory (the library's default)",
    file: 'file (the CLI default, SQLite WAL)',
  };
  printTable(
    `Store cost per model call: 1,000-node sparse random network (p = 2/999), ${calls} calls, zero-latency sim, timed until the store is closed; median of ${runs} interleaved runs of the extra time over the run without a session (target ≤ ${targetUsPerCall} µs)`,
    ['store', 'median run ms', 'wall µs/call', 'CPU µs/call', 'wall ÷ target', 'target met'],
    modes.map((mode) => {
      const w = median(extraWall.get(mode)!);
      return [
        label[mode],
        median(wall.get(mode)!),
        mode === 'no session' ? 0 : w,
        mode === 'no session' ? 0 : median(extraCpu.get(mode)!),
        mode === 'no session' ? '-' : w / targetUsPerCall,
        mode === 'no session' ? '-' : met(w <= targetUsPerCall),
      ];
    }),
  );

  // the file a run leaves, table by table, against the same rows in the v1 layout
  let written: Written | undefined;
  let tables = new Map<string, number>();
  await once('file', 0, (path, runId) => {
    written = readBack(path, runId);
    tables = tableBytes(path);
  });
  const v1 = median([0, 1, 2].map(() => writesAlone(written!, 'v1').cpuUsPerCall));
  const v2 = median([0, 1, 2].map(() => writesAlone(written!, 'v2').cpuUsPerCall));
  const v1Bytes = writesAlone(written!, 'v1').bytes;
  const n = written!.calls.length;
  const part = (...names: string[]) => names.reduce((sum, name) => sum + (tables.get(name) ?? 0), 0);
  printTable(
    `Database size of one 1,000-node run (${n} journaled calls, ${written!.artifacts.length} artifacts) (target ≤ 3 MB)`,
    ['layout', 'file MB', 'bytes/call', 'bodies MB', 'journal rows MB', 'rest MB', 'size ÷ target', 'target met'],
    [
      [
        'v1 (0.1: JSON per row, 16 KiB pages), the same rows',
        mb(v1Bytes),
        v1Bytes / n,
        '-',
        '-',
        '-',
        v1Bytes / targetBytes,
        met(v1Bytes <= targetBytes),
      ],
      [
        'v2 (content-addressed bodies, packed rows, 4 KiB pages)',
        mb(bytes),
        bytes / n,
        mb(part('bodies')),
        mb(part('calls')),
        mb(bytes - part('bodies', 'calls')),
        bytes / targetBytes,
        met(bytes <= targetBytes),
      ],
    ],
  );
  printTable(
    "The journal and artifacts written again with no run around them (six commits, until closed): the store's own CPU per call",
    ['layout', 'CPU µs/call'],
    [
      ['v1: request and response JSON per row', v1],
      ['v2: packed into bodies (hashing new lines, skeletons, numbers)', v2],
    ],
  );

  const parts = storeFloor(written!);
  printTable(
    "The store's cost per call taken apart: each part alone on the same rows, in memory, one transaction (CPU µs/call, median of 7)",
    ['part', 'CPU µs/call'],
    [
      ...parts,
      [
        'sum: key, packing, row (with its index), other rows',
        parts.reduce((sum, [_name, us], i) => sum + (i === 3 || i === 4 ? 0 : us), 0),
      ],
    ],
  );

  // issue 6: with model latency the store's cost disappears in the waiting
  const latencyRows: Array<Array<string | number>> = [];
  for (const latency of [1, 20]) {
    const plain: number[] = [];
    const stored: number[] = [];
    for (let i = 0; i < 3; i++) {
      plain.push((await once('no session', latency)).ms);
      stored.push((await once('file', latency)).ms);
    }
    const a = median(plain);
    const b = median(stored);
    latencyRows.push([`file store, sim latency ${latency} ms`, a, b, b / a, met(b / a <= 1.15)]);
  }
  const zero = median(wall.get('file')!) / median(wall.get('no session')!);
  printTable(
    'Run time with the file store ÷ without a session (zero latency: the runs above; 1 ms and 20 ms: median of 3; target ≤ 1.15)',
    ['run', 'without ms', 'with ms', 'ratio', 'target met'],
    [
      ['file store, zero latency', median(wall.get('no session')!), median(wall.get('file')!), zero, met(zero <= 1.15)],
      ...latencyRows,
    ],
  );
  process.stdout.write(
    "Store cost is the extra time a run takes with the store over the same run with no session, divided by its calls: the journal's request hash, packing each call into bodies, the batched SQLite commits and the WAL checkpoint at close. Figures come from the simulated model, whose short lines repeat more than real model output does; they measure the store, not answer quality. Wall time on a shared machine varies with load; the CPU column is steadier. The parts taken apart are each measured alone and warm, so their sum is a floor under the whole run's figure, which also pays for garbage collection and the run's own scheduling around the store.\n",
  );
}
