/**
 * SQL of every write the write-behind path performs. `putCall` and `putArtifact` take packed values (their
 * bodies are written first, in the same transaction).
 */
export const writeSql = {
  putStep:
    'INSERT INTO steps (run_id, id, state, attempts, output_hash, meta, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(run_id, id) DO UPDATE SET state = excluded.state, attempts = excluded.attempts, output_hash = excluded.output_hash, meta = excluded.meta, updated_at = excluded.updated_at',
  insertEvent: 'INSERT INTO events (run_id, seq, at, type, data) VALUES (?, ?, ?, ?, ?)',
  putCall:
    'INSERT OR REPLACE INTO calls (run, key, request_hash, model, agent, request, response, input_tokens, output_tokens, cost_usd, latency_ms, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  markPending: 'INSERT OR REPLACE INTO pending_calls (run_id, key, at) VALUES (?, ?, ?)',
  clearPending: 'DELETE FROM pending_calls WHERE run_id = ? AND key = ?',
  putArtifact: "INSERT OR IGNORE INTO artifacts (hash, content, size, parts) VALUES (?, '', ?, ?)",
} as const;

/** A buffered write: which statement, with which parameters. */
export type WriteOp = [kind: keyof typeof writeSql, params: unknown[]];
