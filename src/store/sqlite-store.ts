import { randomUUID } from 'node:crypto';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { makeDirectory } from '../common/index.js';
import { StoreError } from '../errors/index.js';
import { BodyStore, bodiesTableSql } from './bodies.js';
import { sha256Hex } from './sha256.js';
import { writeSql, type WriteOp } from './write-sql.js';
import type {
  CallRecord,
  EventRecord,
  NewRun,
  RunPatch,
  RunRecord,
  RunStore,
  RunTotals,
  StepRecord,
} from './run-store.js';

/** Schema version this build writes. Older stores are migrated; newer ones are refused. */
export const schemaVersion = 2;

/** Migrations, by the version they lead to: `migrations[v]` takes a store from v to v + 1. */
const migrations: Array<(db: Database.Database) => void> = [
  // v1
  (db) => db.exec(schemaV1),
  // v2: the journal and artifacts through content-addressed bodies
  migrateToV2,
];

/** The v1 schema (crosstalk 0.1): also what the store benchmark writes to compare the two layouts. */
export const schemaV1 = `CREATE TABLE runs (
     id TEXT PRIMARY KEY, kind TEXT NOT NULL, task TEXT NOT NULL, config TEXT NOT NULL,
     status TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, finished_at INTEGER,
     totals TEXT NOT NULL, result TEXT
   );
   CREATE TABLE steps (
     run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, id TEXT NOT NULL, state TEXT NOT NULL,
     attempts INTEGER NOT NULL, output_hash TEXT, meta TEXT, updated_at INTEGER NOT NULL,
     PRIMARY KEY (run_id, id)
   );
   CREATE TABLE events (
     run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, seq INTEGER NOT NULL, at INTEGER NOT NULL,
     type TEXT NOT NULL, data TEXT, PRIMARY KEY (run_id, seq)
   );
   CREATE TABLE calls (
     run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, key TEXT NOT NULL, request_hash TEXT NOT NULL,
     model TEXT NOT NULL, agent TEXT, request TEXT, response TEXT NOT NULL, input_tokens INTEGER NOT NULL,
     output_tokens INTEGER NOT NULL, cost_usd REAL, latency_ms REAL NOT NULL, at INTEGER NOT NULL,
     PRIMARY KEY (run_id, key)
   );
   CREATE INDEX calls_by_hash ON calls(request_hash);
   CREATE TABLE artifacts (hash TEXT PRIMARY KEY, content TEXT NOT NULL, size INTEGER NOT NULL);
   CREATE TABLE pending_calls (
     run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, key TEXT NOT NULL, at INTEGER NOT NULL,
     PRIMARY KEY (run_id, key)
   );`;

/**
 * The v2 journal. `run`: the run's number in `run_refs` (a 17-character id in every row and index entry was a
 * tenth of the journal's bytes). `key`: the journal key, its leading request hash as 32 bytes and the rest as UTF-8 (a key
 * not led by a 64-digit hex hash is stored as text). `request_hash`: NULL when the key starts with it (always,
 * for the journal's own keys). `request` and `response`: packed by {@link BodyStore.pack}. No foreign key: checking
 * it cost a third of a row's insert; {@link SqliteRunStore.deleteRun} deletes a run's calls itself.
 */
const callsV2 = `CREATE TABLE run_refs (n INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE REFERENCES runs(id) ON DELETE CASCADE);
   CREATE TABLE calls (
     run INTEGER NOT NULL, key BLOB NOT NULL, request_hash BLOB,
     model TEXT NOT NULL, agent TEXT, request TEXT, response TEXT NOT NULL, input_tokens INTEGER NOT NULL,
     output_tokens INTEGER NOT NULL, cost_usd REAL, latency_ms REAL NOT NULL, at INTEGER NOT NULL,
     PRIMARY KEY (run, key)
   );
   CREATE INDEX calls_by_hash ON calls(substr(coalesce(request_hash, key), 1, 8));`;

/** Rows copied per statement while migrating (keeps memory flat on a large store). */
const migrationChunk = 500;

/**
 * v1 → v2: the journal's rows are rewritten into the packed form and the
 * artifacts' contents into bodies (in the migration's one transaction).
 */
function migrateToV2(db: Database.Database): void {
  db.exec(`${bodiesTableSql};
    DROP INDEX calls_by_hash;
    ALTER TABLE calls RENAME TO calls_v1;
    ${callsV2}
    ALTER TABLE artifacts ADD COLUMN parts TEXT;`);
  const bodies = new BodyStore(db);
  const runRef = runRefs(db);
  const read = db.prepare('SELECT rowid AS n, * FROM calls_v1 WHERE rowid > ? ORDER BY rowid LIMIT ?');
  const insert = db.prepare(writeSql.putCall);
  for (let after = 0; ; ) {
    const rows = read.all(after, migrationChunk) as Array<Record<string, unknown> & { n: number }>;
    if (rows.length === 0) break;
    for (const row of rows) {
      const [key, requestHash] = packKey(row.key as string, row.request_hash as string);
      insert.run(
        runRef(row.run_id as string),
        key,
        requestHash,
        row.model,
        row.agent,
        bodies.pack(parseJson((row.request as string | null) ?? null)),
        bodies.pack(parseJson(row.response as string)),
        row.input_tokens,
        row.output_tokens,
        row.cost_usd,
        row.latency_ms,
        row.at,
      );
    }
    after = rows[rows.length - 1]!.n;
  }
  db.exec('DROP TABLE calls_v1');
  const readArtifacts = db.prepare(
    'SELECT hash, content FROM artifacts WHERE parts IS NULL AND hash > ? ORDER BY hash LIMIT ?',
  );
  const packArtifact = db.prepare("UPDATE artifacts SET content = '', parts = ? WHERE hash = ?");
  for (let after = ''; ; ) {
    const rows = readArtifacts.all(after, migrationChunk) as Array<{ hash: string; content: string }>;
    if (rows.length === 0) break;
    for (const row of rows) packArtifact.run(JSON.stringify(bodies.packText(row.content)), row.hash);
    after = rows[rows.length - 1]!.hash;
  }
}

/** The number of a run in `run_refs`, given it on first use (cached: a run keeps its number until deleted). */
function runRefs(db: Database.Database): ((runId: string) => number) & { forget: () => void } {
  const add = db.prepare('INSERT OR IGNORE INTO run_refs (id) VALUES (?)');
  const find = db.prepare('SELECT n FROM run_refs WHERE id = ?').pluck();
  const known = new Map<string, number>();
  const ref = (runId: string): number => {
    let n = known.get(runId);
    if (n === undefined) {
      add.run(runId);
      n = find.get(runId) as number;
      known.set(runId, n);
    }
    return n;
  };
  return Object.assign(ref, { forget: () => known.clear() });
}

const hexHash = /^[0-9a-f]{64}/;

/** A request hash as stored: 32 bytes when it is a SHA-256 in hex, else the text itself. */
function packHash(hash: string): Buffer | string {
  return hash.length === 64 && hexHash.test(hash) ? Buffer.from(hash, 'hex') : hash;
}

/** A journal key as stored (a function of the key alone, so look-ups can compute it). */
function packJournalKey(key: string): Buffer | string {
  if (!hexHash.test(key)) return key;
  const packed = Buffer.allocUnsafe(32 + Buffer.byteLength(key) - 64);
  packed.write(key.slice(0, 64), 0, 'hex');
  packed.write(key.slice(64), 32);
  return packed;
}

/** The stored key and request hash of a call (the hash is NULL when the key starts with it). */
function packKey(key: string, requestHash: string): [Buffer | string, Buffer | string | null] {
  const hashed = hexHash.test(requestHash) && requestHash.length === 64 && key.startsWith(requestHash);
  return [packJournalKey(key), hashed ? null : packHash(requestHash)];
}

function unpackKey(key: Buffer | string): string {
  return typeof key === 'string' ? key : key.subarray(0, 32).toString('hex') + key.subarray(32).toString();
}

const emptyTotals: RunTotals = { calls: 0, replayedCalls: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };

interface RunRow {
  id: string;
  kind: string;
  task: string;
  config: string;
  status: string;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
  totals: string;
  result: string | null;
}

function parseJson(text: string | null): unknown {
  return text === null ? null : JSON.parse(text);
}

function toRun(row: RunRow): RunRecord {
  return {
    id: row.id,
    kind: row.kind as RunRecord['kind'],
    task: row.task,
    config: parseJson(row.config),
    status: row.status as RunRecord['status'],
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    finishedAt: row.finished_at,
    totals: { ...emptyTotals, ...(parseJson(row.totals) as RunTotals) },
    result: parseJson(row.result),
  };
}

/** A short, sortable run id: time prefix plus randomness. */
export function newRunId(now = Date.now()): string {
  return `${now.toString(36)}-${randomUUID().slice(0, 8)}`;
}

function describeOpenError(path: string, error: unknown): StoreError {
  const code = (error as { code?: string }).code ?? '';
  const message = (error as Error).message ?? String(error);
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
    return new StoreError({
      code: 'STORE_LOCKED',
      path,
      message: `run store ${path} is locked by another process (${message})`,
      cause: error,
    });
  }
  if (code.startsWith('SQLITE_READONLY')) {
    return new StoreError({
      code: 'STORE_IO',
      path,
      message: `run store ${path} is read-only for you (${message}); 'crosstalk runs list', 'show', 'events' and 'export' can still read it`,
      cause: error,
    });
  }
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' || /not a database|malformed/i.test(message)) {
    return new StoreError({
      code: 'STORE_CORRUPT',
      path,
      message: `run store ${path} is not a crosstalk store or is corrupt (${message}); move it aside or pass --store with another path`,
      cause: error,
    });
  }
  return new StoreError({ code: 'STORE_IO', path, message: `cannot open run store ${path}: ${message}`, cause: error });
}

/** True for a crosstalk store of an older schema than this build's. */
function isOlderStore(db: Database.Database): boolean {
  try {
    const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as
      | { value: string }
      | undefined;
    return row !== undefined && Number(row.value) < schemaVersion;
  } catch {
    return false; // no meta table: not a store, which checkReadable reports
  }
}

/** True when this process may write the file and create its WAL files beside it. */
function isWritable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    accessSync(dirname(path), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Opens a store read-only. SQLite reads a WAL database through its `-shm`
 * file, which it must be able to create: in a directory the user may not
 * write to, a store that nobody has open (no `-wal` file: everything is in
 * the main file) is read from a snapshot in memory instead.
 */
function openForReading(path: string, busyTimeoutMs: number): Database.Database {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  try {
    db.prepare('SELECT count(*) FROM sqlite_master').get();
    return db;
  } catch (error) {
    db.close();
    const code = (error as { code?: string }).code ?? '';
    if (!/^SQLITE_(READONLY|CANTOPEN)/.test(code) || existsSync(`${path}-wal`)) throw error;
    const image = readFileSync(path);
    // bytes 18 and 19 of the header mark WAL mode (2); an in-memory copy reads as a rollback-journal file (1)
    if (image.length >= 20 && image[18] === 2 && image[19] === 2) image[18] = image[19] = 1;
    return new Database(image, { readonly: true });
  }
}

/**
 * SQLite adapter of {@link RunStore}: one file, WAL journal (readers never
 * block the writer), a busy timeout so two processes can share it, schema
 * versioned with migrations.
 *
 * Durability (unchanged by schema v2). In write-behind mode writes are
 * committed together: within the event-loop turn in which a model call is
 * sent (the pending marker asks for it), before any read, and at close. A
 * committed transaction survives the process being killed; with
 * `synchronous = NORMAL` a power loss may undo the last ones. An answered
 * call is committed no later than the next commit after it (the next call
 * sent, a read or the close); one answered but not yet committed when the
 * process dies was marked pending already (unless it was sent and answered
 * within one turn: see `pendingMarkerMiddleware`), so a resume counts it as
 * lost and asks again — it is never counted as answered without its answer. A call's
 * bodies are written in the same transaction as its row, so no journal row
 * refers to a body that is not there.
 */
export class SqliteRunStore implements RunStore {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly statements: ReturnType<SqliteRunStore['prepare']>;
  private readonly bodies: BodyStore;
  private readonly runRef: ReturnType<typeof runRefs>;
  /** Runs its argument in a transaction (made once: better-sqlite3 builds a wrapper per `transaction` call). */
  private readonly inTransaction: Database.Transaction<(fn: () => unknown) => unknown>;
  /** Write-behind buffer: writes waiting for the next flush (one transaction). */
  private readonly queue: Array<WriteOp | null> = [];
  /** Pending marks still in the queue, by run and key: a call answered before they are committed cancels them. */
  private readonly queuedPending = new Map<string, number>();
  private writeBehind: boolean;
  private readonly readOnly: boolean;

  private flushPromise: Promise<void> | undefined;
  private readonly nextSeq = new Map<string, number>();

  /**
   * @param options.writeBehind buffer writes and commit them together once per
   *   event-loop turn (or on `flush`, any read, or `close`): one transaction
   *   instead of one per write. Reads through this store see its own writes.
   * @param options.readOnly open an existing store only to read it (the
   *   inspection commands): nothing is written, not even a migration, so a
   *   store the user may not write to can still be listed and exported, and
   *   a file that is not a store is refused rather than turned into one.
   */
  constructor(path: string, options: { busyTimeoutMs?: number; writeBehind?: boolean; readOnly?: boolean } = {}) {
    this.path = path;
    this.readOnly = options.readOnly ?? false;
    this.writeBehind = (options.writeBehind ?? false) && !this.readOnly;
    try {
      if (this.readOnly) {
        let db = openForReading(path, options.busyTimeoutMs ?? 5000);
        if (isOlderStore(db) && isWritable(path)) {
          // an older store the user may write to is upgraded once, so inspecting it needs no extra step
          db.close();
          new SqliteRunStore(path, { busyTimeoutMs: options.busyTimeoutMs ?? 5000 }).close();
          db = openForReading(path, options.busyTimeoutMs ?? 5000);
        }
        this.db = db;
        this.checkReadable();
      } else {
        if (path !== ':memory:') makeDirectory(dirname(path));
        // an existing file must already be a crosstalk store: an empty file or another program's database is
        // refused, never turned into a store (the same rule the read-only commands apply)
        const existing = path !== ':memory:' && existsSync(path) ? statSync(path) : undefined;
        if (existing?.isFile() && existing.size === 0) {
          throw new StoreError({
            code: 'STORE_CORRUPT',
            path,
            message: `${path} is an empty file, not a crosstalk run store; remove it or pass --store with another path`,
          });
        }
        this.db = new Database(path);
        if (existing) this.checkIsStore();
        this.db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
        // 4 KiB pages: packed journal rows are ~150 bytes, and smaller pages leave less slack in the file than the
        // 16 KiB that suited v1's 1–2 KiB rows (takes effect on a new file)
        this.db.pragma('page_size = 4096');
        this.db.pragma('journal_mode = WAL');
        this.db.pragma('synchronous = NORMAL');
        this.db.pragma('foreign_keys = ON');
        this.migrate();
      }
    } catch (error) {
      if (StoreError.isInstance(error)) throw error;
      throw describeOpenError(path, error);
    }
    this.statements = this.prepare();
    this.bodies = new BodyStore(this.db);
    this.runRef = runRefs(this.db);
    this.inTransaction = this.db.transaction((fn: () => unknown) => fn());
  }

  /** Refuses an existing database that has no crosstalk schema version (another program's file). */
  private checkIsStore(): void {
    const hasMeta =
      this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get() !== undefined;
    const row = hasMeta ? this.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() : undefined;
    if (!row) {
      this.db.close();
      throw new StoreError({
        code: 'STORE_CORRUPT',
        path: this.path,
        message: `${this.path} is not a crosstalk run store (it has no schema version); pass --store with the path of one`,
      });
    }
  }

  /** The checks of {@link migrate} for a store opened read-only, which cannot be migrated. */
  private checkReadable(): void {
    const hasMeta =
      this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get() !== undefined;
    const row = hasMeta
      ? (this.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined)
      : undefined;
    if (!row)
      throw new StoreError({
        code: 'STORE_CORRUPT',
        path: this.path,
        message: `${this.path} is not a crosstalk run store (it has no schema version); pass --store with the path of one`,
      });
    this.checkNotNewer(Number(row.value));
    if (Number(row.value) < schemaVersion) {
      throw new StoreError({
        code: 'STORE_IO',
        path: this.path,
        message: `run store ${this.path} was written by an older crosstalk (schema v${row.value}) and must be upgraded: run a command that writes to it, e.g. 'crosstalk runs resume', with write access`,
      });
    }
  }

  private checkNotNewer(current: number): void {
    if (current > schemaVersion) {
      throw new StoreError({
        code: 'STORE_TOO_NEW',
        path: this.path,
        message: `run store ${this.path} was written by a newer crosstalk (schema v${current}, this version reads up to v${schemaVersion}); upgrade crosstalk or use another --store`,
      });
    }
  }

  private migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    const version = () => {
      const row = this.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as
        | { value: string }
        | undefined;
      return row ? Number(row.value) : 0;
    };
    const current = version();
    this.checkNotNewer(current);
    const apply = this.db.transaction(() => {
      // read again under the write lock: another process may have migrated the store meanwhile
      for (let v = version(); v < schemaVersion; v++) migrations[v]!(this.db);
      this.db
        .prepare(
          "INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        )
        .run(String(schemaVersion));
    });
    if (current < schemaVersion) apply.immediate();
  }

  private prepare() {
    const db = this.db;
    return {
      insertRun: db.prepare(
        'INSERT INTO runs (id, kind, task, config, status, created_at, updated_at, finished_at, totals, result) VALUES (?, ?, ?, ?, ?, ?, ?, NULL, ?, NULL)',
      ),
      getRun: db.prepare('SELECT * FROM runs WHERE id = ?'),
      listRuns: db.prepare('SELECT * FROM runs ORDER BY created_at DESC, rowid DESC LIMIT ?'),
      deleteRun: db.prepare('DELETE FROM runs WHERE id = ?'),
      deleteCalls: db.prepare('DELETE FROM calls WHERE run = (SELECT n FROM run_refs WHERE id = ?)'),
      putStep: db.prepare(writeSql.putStep),
      getSteps: db.prepare('SELECT * FROM steps WHERE run_id = ? ORDER BY rowid'),
      nextSeq: db.prepare('SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM events WHERE run_id = ?'),
      insertEvent: db.prepare(writeSql.insertEvent),
      listEvents: db.prepare('SELECT * FROM events WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?'),
      findCall: db.prepare(
        'SELECT c.*, r.id AS run_id FROM calls c JOIN run_refs r ON r.n = c.run WHERE r.id = ? AND c.key = ?',
      ),
      // the index holds the hash's first 8 bytes (a fifth of the whole): enough to find it, checked in full after
      findCallAnyRun: db.prepare(
        'SELECT c.*, r.id AS run_id FROM calls c JOIN run_refs r ON r.n = c.run WHERE substr(coalesce(c.request_hash, c.key), 1, 8) = substr(@hash, 1, 8) AND coalesce(c.request_hash, substr(c.key, 1, 32)) = @hash ORDER BY c.rowid LIMIT 1',
      ),
      putCall: db.prepare(writeSql.putCall),
      callTotals: db.prepare(
        'SELECT COUNT(*) AS calls, COALESCE(SUM(input_tokens), 0) AS inputTokens, COALESCE(SUM(output_tokens), 0) AS outputTokens, COALESCE(SUM(cost_usd), 0) AS cost, SUM(cost_usd IS NULL) AS unknown FROM calls WHERE run = (SELECT n FROM run_refs WHERE id = ?)',
      ),
      listCallKeys: db.prepare('SELECT key FROM calls WHERE run = (SELECT n FROM run_refs WHERE id = ?)').pluck(),
      listCalls: db.prepare(
        'SELECT c.*, r.id AS run_id FROM calls c JOIN run_refs r ON r.n = c.run WHERE r.id = ? ORDER BY c.at, c.rowid',
      ),
      markPending: db.prepare(writeSql.markPending),
      clearPending: db.prepare(writeSql.clearPending),
      takePending: db.prepare('DELETE FROM pending_calls WHERE run_id = ?'),
      putArtifact: db.prepare(writeSql.putArtifact),
      hasArtifact: db.prepare('SELECT 1 FROM artifacts WHERE hash = ?').pluck(),
      getArtifact: db.prepare('SELECT content, parts FROM artifacts WHERE hash = ?'),
    };
  }

  createRun(run: NewRun): RunRecord {
    const id = run.id ?? newRunId();
    const now = Date.now();
    this.statements.insertRun.run(
      id,
      run.kind,
      run.task,
      JSON.stringify(run.config ?? null),
      'running',
      now,
      now,
      JSON.stringify(emptyTotals),
    );
    return this.getRun(id)!;
  }

  getRun(id: string): RunRecord | undefined {
    this.flush();
    const row = this.statements.getRun.get(id) as RunRow | undefined;
    return row ? toRun(row) : undefined;
  }

  listRuns(options: { limit?: number } = {}): RunRecord[] {
    this.flush();
    return (this.statements.listRuns.all(options.limit ?? 1000) as RunRow[]).map(toRun);
  }

  updateRun(id: string, patch: RunPatch): void {
    this.flush();
    const sets: string[] = ['updated_at = @updatedAt'];
    const values: Record<string, unknown> = { id, updatedAt: Date.now() };
    if (patch.status !== undefined) {
      sets.push('status = @status');
      values.status = patch.status;
    }
    if (patch.finishedAt !== undefined) {
      sets.push('finished_at = @finishedAt');
      values.finishedAt = patch.finishedAt;
    }
    if (patch.totals !== undefined) {
      sets.push('totals = @totals');
      values.totals = JSON.stringify(patch.totals);
    }
    if (patch.result !== undefined) {
      sets.push('result = @result');
      values.result = JSON.stringify(patch.result);
    }
    this.db.prepare(`UPDATE runs SET ${sets.join(', ')} WHERE id = @id`).run(values);
  }

  deleteRun(id: string): boolean {
    this.flush();
    return this.atomically(() => {
      this.statements.deleteCalls.run(id);
      this.runRef.forget();
      return this.statements.deleteRun.run(id).changes > 0;
    }, 'immediate');
  }

  /** Runs a write now, or queues it in write-behind mode. */
  private write(kind: WriteOp[0], params: unknown[]): void {
    if (this.writeBehind) this.queue.push([kind, params]);
    else if (kind === 'putCall' || kind === 'putArtifact') this.atomically(() => this.run([kind, params]));
    else (this.statements[kind] as Database.Statement).run(...params);
  }

  /** Performs one write; calls and artifacts are packed into bodies here, inside the transaction that commits them. */
  private run([kind, params]: WriteOp): void {
    if (kind === 'putCall') {
      const c = params[0] as CallRecord;
      const [key, requestHash] = packKey(c.key, c.requestHash);
      const request = c.request ?? (c.requestJson === undefined ? null : JSON.parse(c.requestJson));
      this.statements.putCall.run(
        this.runRef(c.runId),
        key,
        requestHash,
        c.model,
        c.agent,
        this.bodies.pack(request),
        this.bodies.pack(c.response),
        c.inputTokens,
        c.outputTokens,
        c.costUsd,
        c.latencyMs,
        c.at,
      );
    } else if (kind === 'putArtifact') {
      const [hash, content] = params as [string, string];
      if (this.statements.hasArtifact.get(hash) !== undefined) return;
      const parts = JSON.stringify(this.bodies.packText(content));
      this.statements.putArtifact.run(hash, Buffer.byteLength(content), parts);
    } else (this.statements[kind] as Database.Statement).run(...params);
  }

  /** Runs `fn` in a transaction (a savepoint inside one); after a rollback, body ids it cached are forgotten. */
  private atomically<T>(fn: () => T, mode: 'deferred' | 'immediate' = 'deferred'): T {
    try {
      return this.inTransaction[mode](fn) as T;
    } catch (error) {
      this.bodies.forget();
      this.runRef.forget();
      throw error;
    }
  }

  /** Commits every buffered write in one transaction. */
  flush(): void {
    if (!this.writeBehind || this.queue.length === 0 || !this.db.open) return;
    const ops = this.queue.splice(0, this.queue.length);
    this.queuedPending.clear();
    this.atomically(() => {
      for (const op of ops) if (op) this.run(op);
    }, 'immediate');
  }

  /** Resolves once everything written so far is committed (batched with the other writes of this turn). */
  flushSoon(): Promise<void> {
    if (!this.writeBehind || this.queue.length === 0) return Promise.resolve();
    this.flushPromise ??= new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        this.flushPromise = undefined;
        try {
          this.flush();
          resolve();
        } catch (error) {
          reject(error);
        }
      });
    });
    return this.flushPromise;
  }

  putStep(runId: string, step: StepRecord): void {
    this.write('putStep', [
      runId,
      step.id,
      step.state,
      step.attempts,
      step.outputHash,
      JSON.stringify(step.meta ?? null),
      step.updatedAt,
    ]);
  }

  getSteps(runId: string): StepRecord[] {
    this.flush();
    const rows = this.statements.getSteps.all(runId) as Array<{
      id: string;
      state: string;
      attempts: number;
      output_hash: string | null;
      meta: string | null;
      updated_at: number;
    }>;
    return rows.map((r) => ({
      id: r.id,
      state: r.state as StepRecord['state'],
      attempts: r.attempts,
      outputHash: r.output_hash,
      meta: parseJson(r.meta),
      updatedAt: r.updated_at,
    }));
  }

  appendEvent(runId: string, type: string, data: unknown): number {
    const json = JSON.stringify(data ?? null);
    const at = Date.now();
    if (!this.writeBehind) {
      const seq = (this.statements.nextSeq.get(runId) as { seq: number }).seq;
      this.statements.insertEvent.run(runId, seq, at, type, json);
      return seq;
    }
    // one writer per run in write-behind mode: number events in memory
    const seq = this.nextSeq.get(runId) ?? (this.statements.nextSeq.get(runId) as { seq: number }).seq;
    this.nextSeq.set(runId, seq + 1);
    this.write('insertEvent', [runId, seq, at, type, json]);
    return seq;
  }

  listEvents(runId: string, options: { afterSeq?: number; limit?: number } = {}): EventRecord[] {
    this.flush();
    const rows = this.statements.listEvents.all(runId, options.afterSeq ?? 0, options.limit ?? 1_000_000) as Array<{
      run_id: string;
      seq: number;
      at: number;
      type: string;
      data: string | null;
    }>;
    return rows.map((r) => ({ runId: r.run_id, seq: r.seq, at: r.at, type: r.type, data: parseJson(r.data) }));
  }

  lastEvent(runId: string, types?: readonly string[]): EventRecord | undefined {
    this.flush();
    const filter = types && types.length > 0 ? ` AND type IN (${types.map(() => '?').join(', ')})` : '';
    const row = this.db
      .prepare(`SELECT * FROM events WHERE run_id = ?${filter} ORDER BY seq DESC LIMIT 1`)
      .get(runId, ...(types ?? [])) as
      | { run_id: string; seq: number; at: number; type: string; data: string | null }
      | undefined;
    return row ? { runId: row.run_id, seq: row.seq, at: row.at, type: row.type, data: parseJson(row.data) } : undefined;
  }

  private toCall(row: Record<string, unknown> | undefined): CallRecord | undefined {
    if (!row) return undefined;
    const key = unpackKey(row.key as Buffer | string);
    const requestHash = row.request_hash as Buffer | string | null;
    return {
      runId: row.run_id as string,
      key,
      requestHash:
        requestHash === null
          ? key.slice(0, 64)
          : typeof requestHash === 'string'
            ? requestHash
            : requestHash.toString('hex'),
      model: row.model as string,
      agent: (row.agent as string | null) ?? null,
      request: row.request === null ? null : this.bodies.unpack(row.request as string),
      response: this.bodies.unpack(row.response as string),
      inputTokens: row.input_tokens as number,
      outputTokens: row.output_tokens as number,
      costUsd: (row.cost_usd as number | null) ?? null,
      latencyMs: row.latency_ms as number,
      at: row.at as number,
    };
  }

  findCall(runId: string, key: string): CallRecord | undefined {
    this.flush();
    return this.toCall(this.statements.findCall.get(runId, packJournalKey(key)) as Record<string, unknown> | undefined);
  }

  findCallAnyRun(requestHash: string): CallRecord | undefined {
    this.flush();
    return this.toCall(
      this.statements.findCallAnyRun.get({ hash: packHash(requestHash) }) as Record<string, unknown> | undefined,
    );
  }

  putCall(c: CallRecord): void {
    this.clearPending(c.runId, c.key);
    this.write('putCall', [c]);
  }

  listCallKeys(runId: string): string[] {
    this.flush();
    return (this.statements.listCallKeys.all(runId) as Array<Buffer | string>).map(unpackKey);
  }

  listCalls(runId: string): CallRecord[] {
    this.flush();
    return (this.statements.listCalls.all(runId) as Array<Record<string, unknown>>).map((r) => this.toCall(r)!);
  }

  markPending(runId: string, key: string): void {
    const id = `${runId}\n${key}`;
    if (this.queuedPending.has(id)) return; // marked already in this batch (a retried call)
    if (this.writeBehind) this.queuedPending.set(id, this.queue.length);
    this.write('markPending', [runId, key, Date.now()]);
  }

  clearPending(runId: string, key: string): void {
    const id = `${runId}\n${key}`;
    const queued = this.queuedPending.get(id);
    if (queued !== undefined) {
      // marked and answered before the mark was committed: neither needs writing
      this.queue[queued] = null;
      this.queuedPending.delete(id);
      return;
    }
    this.write('clearPending', [runId, key]);
  }

  takePending(runId: string): number {
    this.flush();
    return this.statements.takePending.run(runId).changes;
  }

  callTotals(runId: string): { calls: number; inputTokens: number; outputTokens: number; costUsd: number | null } {
    this.flush();
    const row = this.statements.callTotals.get(runId) as {
      calls: number;
      inputTokens: number;
      outputTokens: number;
      cost: number;
      unknown: number | null;
    };
    return {
      calls: row.calls,
      inputTokens: row.inputTokens,
      outputTokens: row.outputTokens,
      costUsd: (row.unknown ?? 0) > 0 ? null : row.cost,
    };
  }

  putArtifact(content: string): string {
    const hash = sha256Hex(content);
    this.write('putArtifact', [hash, content]);
    return hash;
  }

  getArtifact(hash: string): string | undefined {
    this.flush();
    const row = this.statements.getArtifact.get(hash) as { content: string; parts: string | null } | undefined;
    if (!row) return undefined;
    return row.parts === null ? row.content : this.bodies.unpackText(JSON.parse(row.parts) as Array<number | string>);
  }

  exclusive<T>(fn: () => T): T {
    this.flush();
    const buffered = this.writeBehind;
    // inside, every read sees what other processes committed and every write goes straight into the transaction
    this.writeBehind = false;
    try {
      return this.atomically(fn, 'immediate');
    } finally {
      this.writeBehind = buffered;
      this.nextSeq.clear(); // events may have been numbered from the database meanwhile
    }
  }

  transaction<T>(fn: () => T): T {
    if (!this.writeBehind) return this.atomically(fn, 'immediate');
    // buffered writes are committed together anyway; a failure drops this transaction's writes
    const mark = this.queue.length;
    try {
      return fn();
    } catch (error) {
      this.queue.length = mark;
      for (const [id, index] of this.queuedPending) if (index >= mark) this.queuedPending.delete(id);
      throw error;
    }
  }

  close(): void {
    if (!this.db.open) return;
    this.flush();
    this.db.close();
  }
}
