import { useEffect, useState } from 'react';
import { data } from './data';
import { cost, seconds, tokens, when } from './format';
import type { RunSummary } from '../../src/serve/view-types';

const kinds = ['', 'net', 'dev', 'cross-team', 'story', 'ask', 'eval'];
const statuses = [
  '',
  'running',
  'completed',
  'completed-with-problems',
  'partial',
  'failed',
  'stopped-budget',
  'interrupted',
];

/** Every run of the store, newest first, with filters; refreshed while the page is open. */
export function RunsList() {
  const [filter, setFilter] = useState({ kind: '', status: '', model: '' });
  const [runs, setRuns] = useState<RunSummary[] | undefined>();
  const [error, setError] = useState<string | undefined>();
  useEffect(() => {
    let stop = false;
    const load = () =>
      data.runs(filter).then(
        (list) => !stop && (setRuns(list), setError(undefined)),
        (e: Error) => !stop && setError(e.message),
      );
    load();
    const timer = data.embedded ? undefined : window.setInterval(load, 2000);
    return () => {
      stop = true;
      if (timer !== undefined) clearInterval(timer);
    };
  }, [filter]);
  const select = (key: 'kind' | 'status', options: string[]) => (
    <label>
      {key}{' '}
      <select value={filter[key]} onChange={(e) => setFilter({ ...filter, [key]: e.target.value })}>
        {options.map((o) => (
          <option key={o} value={o}>
            {o || 'any'}
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <main className="runs">
      <div className="filters">
        {select('kind', kinds)}
        {select('status', statuses)}
        <label>
          model{' '}
          <input
            value={filter.model}
            placeholder="any"
            onChange={(e) => setFilter({ ...filter, model: e.target.value })}
          />
        </label>
      </div>
      {error && <p className="error">{error}</p>}
      {runs && runs.length === 0 && <p className="empty">No runs yet.</p>}
      {runs && runs.length > 0 && (
        <table data-testid="runs-table">
          <thead>
            <tr>
              <th>run</th>
              <th>kind</th>
              <th>task</th>
              <th>status</th>
              <th>started</th>
              <th>duration</th>
              <th>calls</th>
              <th>tokens</th>
              <th>cost</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.id}>
                <td>
                  <a href={`#/runs/${encodeURIComponent(r.id)}`}>{r.id}</a>
                </td>
                <td>{r.kind}</td>
                <td className="task">{r.task}</td>
                <td>
                  <span className={`status status-${r.status}`}>{r.status}</span>
                </td>
                <td>{when(r.createdAt)}</td>
                <td>{seconds((r.finishedAt ?? r.updatedAt) - r.createdAt)}</td>
                <td>
                  {r.totals.calls}
                  {r.totals.replayedCalls ? ` (+${r.totals.replayedCalls} replayed)` : ''}
                </td>
                <td>{tokens(r.totals)}</td>
                <td>{cost(r.totals.costUsd)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </main>
  );
}
