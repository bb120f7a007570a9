import { useEffect, useMemo, useState } from 'react';
import { data } from './data';
import type { CallView, StoredEventView as StoredEvent } from '../../src/serve/view-types';

type Bar = { id: string; start: number; end: number; state: string };

const colour: Record<string, string> = {
  running: '#3b82f6',
  done: '#22c55e',
  failed: '#ef4444',
  skipped: '#eab308',
};

/** Each step's span from its stored start and end events, ordered by start. */
export function stepBars(events: readonly StoredEvent[], now: number): Bar[] {
  const bars = new Map<string, Bar>();
  for (const e of events) {
    const id = (e.step as { id?: string; team?: string } | undefined)?.id;
    if (!id) continue;
    const team = (e.step as { team?: string }).team;
    const key = team ? `${id}/${team}` : id;
    if (e.type === 'step-started') bars.set(key, { id: key, start: e.at, end: now, state: 'running' });
    else if (e.type === 'step-finished' || e.type === 'step-failed' || e.type === 'step-skipped') {
      const bar = bars.get(key) ?? { id: key, start: e.at, end: e.at, state: 'done' };
      bar.end = e.at;
      bar.state = e.type === 'step-finished' ? 'done' : e.type === 'step-failed' ? 'failed' : 'skipped';
      bars.set(key, bar);
    }
  }
  return [...bars.values()].sort((a, b) => a.start - b.start);
}

/**
 * A Gantt chart of the run: a row per step (node, phase, segment) from its start to its end, the steps of the
 * critical path outlined, and each model call of a step as a darker tick at the time it was being answered.
 */
export function Timeline(props: {
  runId: string;
  critical: readonly string[];
  /** Also draw each step's model calls (reads every call: for runs of a few hundred steps). */
  withCalls: boolean;
  stamp: string;
}) {
  const { runId, critical, withCalls, stamp } = props;
  const [events, setEvents] = useState<StoredEvent[] | undefined>();
  const [calls, setCalls] = useState<CallView[] | undefined>();
  // biome-ignore lint/correctness/useExhaustiveDependencies: `stamp` changes when the run moves on: read again
  useEffect(() => {
    let stop = false;
    data.events(runId).then(
      (e) => !stop && setEvents(e),
      () => {},
    );
    data.allCalls(runId).then(
      (c) => !stop && setCalls(c),
      () => {},
    );
    return () => {
      stop = true;
    };
  }, [runId, stamp, withCalls]);
  const bars = useMemo(() => (events ? stepBars(events, Date.now()) : []), [events]);
  const onPath = useMemo(() => new Set(critical), [critical]);
  const callsByScope = useMemo(() => {
    const by = new Map<string, CallView[]>();
    for (const c of calls ?? []) if (c.scope) by.set(c.scope, [...(by.get(c.scope) ?? []), c]);
    return by;
  }, [calls]);
  if (!events) return <p className="note">loading…</p>;
  if (bars.length === 0) return <p className="note">no steps yet</p>;
  const t0 = Math.min(...bars.map((b) => b.start));
  const t1 = Math.max(...bars.map((b) => b.end), t0 + 1);
  const width = 1000;
  const row = bars.length > 300 ? 3 : 14;
  const x = (t: number) => ((t - t0) / (t1 - t0)) * width;
  return (
    <div className="timeline" data-testid="timeline">
      <p className="note">
        {bars.length} steps over {((t1 - t0) / 1000).toFixed(1)} s
        {critical.length > 0 ? '; the critical path outlined' : ''}
      </p>
      <svg viewBox={`0 0 ${width} ${bars.length * row}`} preserveAspectRatio="none" height={bars.length * row}>
        <title>steps over time</title>
        {bars.map((b, i) => (
          <g key={b.id}>
            <rect
              x={x(b.start)}
              y={i * row + 1}
              width={Math.max(1, x(b.end) - x(b.start))}
              height={row - 2}
              fill={colour[b.state] ?? '#94a3b8'}
              stroke={onPath.has(b.id) ? '#0f172a' : 'none'}
              strokeWidth={onPath.has(b.id) ? 1.5 : 0}
              vectorEffect="non-scaling-stroke"
            >
              <title>{`${b.id}: ${b.state}, ${((b.end - b.start) / 1000).toFixed(2)} s`}</title>
            </rect>
            {row > 4 &&
              (callsByScope.get(b.id) ?? []).map((c) => (
                <rect
                  key={c.key}
                  x={x(c.at - c.latencyMs)}
                  y={i * row + row / 2}
                  width={Math.max(0.5, x(c.at) - x(c.at - c.latencyMs))}
                  height={row / 2 - 1}
                  fill="#0f172a"
                  opacity={0.35}
                />
              ))}
          </g>
        ))}
      </svg>
    </div>
  );
}
