import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { StepChecks } from './artifact-views';
import { data } from './data';
import { cost, seconds, tokens } from './format';
import { Lanes } from './lanes';
import { largeGraph } from './layout';
import { OverviewCanvas } from './overview-canvas';
import { Timeline } from './timeline';
import { NodePanel } from './node-panel';
import { ReplayBar, useReplay } from './replay-bar';
import { stateAfter } from '../../src/serve/replay';
import { mergeTree, type MergeTreeNode } from '../../src/serve/merge-tree';
import type {
  GraphView,
  RunDetail,
  RunUsage,
  StepState,
  StoredEventView as StoredEvent,
  UsageGroup as Usage,
} from '../../src/serve/view-types';

/** React Flow and dagre draw small graphs only: loaded when one is shown, not before a large graph's first paint. */
const GraphCanvas = lazy(() => import('./graph-view').then((m) => ({ default: m.GraphCanvas })));

/** A run: its header and totals, the network by layers (or its steps), decisions, usage, and the node panel. */
export function RunPage({ runId }: { runId: string }) {
  const [detail, setDetail] = useState<RunDetail | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [states, setStates] = useState<ReadonlyMap<string, StepState>>(new Map());
  const [selected, setSelected] = useState<string | undefined>();
  const [live, setLive] = useState<{ events: number; calls?: number; tokens?: number; ended: boolean }>({
    events: 0,
    ended: false,
  });
  const [timelineOpen, setTimelineOpen] = useState(false);
  const pending = useRef(new Map<string, StepState>());
  const flushTimer = useRef<number | undefined>(undefined);
  const stopStream = useRef<(() => void) | undefined>(undefined);
  const graphKept = useRef<GraphView | undefined>(undefined);

  const load = useCallback(async () => {
    // a run just started may not be committed to the store yet: ask again for a few seconds
    for (let attempt = 0; ; attempt++) {
      try {
        const fresh = await data.run(runId);
        // a run's graph never changes: keep the one shown (no new layout, React Flow keeps its measured nodes)
        const d = graphKept.current ? { ...fresh, graph: graphKept.current } : fresh;
        graphKept.current = d.graph ?? undefined;
        setDetail(d);
        setError(undefined);
        return d;
      } catch (e) {
        if (attempt >= 40) {
          setError((e as Error).message);
          return undefined;
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }, [runId]);

  // state changes arrive in bursts (a 1,000-node run): apply them at most every 100 ms
  const flush = useCallback(() => {
    flushTimer.current = undefined;
    const changes = pending.current;
    if (changes.size === 0) return;
    pending.current = new Map();
    setStates((old) => {
      const next = new Map(old);
      for (const [id, s] of changes) next.set(id, s);
      return next;
    });
  }, []);

  const follow = useCallback(
    (speed: number | undefined) => {
      stopStream.current?.();
      let events = 0;
      stopStream.current = data.stream(
        runId,
        speed,
        (event) => {
          events++;
          const change = stateAfter(event);
          if (change) pending.current.set(change.id, change.state as StepState);
          if (flushTimer.current === undefined) flushTimer.current = window.setTimeout(flush, 100);
          if (event.type === 'progress')
            setLive((l) => ({ ...l, calls: event.calls as number, tokens: event.tokens as number }));
          if (event.type === 'run-finished' || events % 50 === 0) setLive((l) => ({ ...l, events }));
          if (event.type === 'run-finished' && speed === undefined) void load();
        },
        () => {
          flush();
          setLive((l) => ({ ...l, events, ended: true }));
          if (speed === undefined) void load();
        },
      );
    },
    [runId, flush, load],
  );

  useEffect(() => {
    load().then((d) => {
      if (!d) return;
      setStates(new Map(d.steps.map((s) => [s.id, s.state])));
      // a run still going is followed live; a finished one is shown as it ended (replay on demand)
      if (d.run.status === 'running') follow(undefined);
    });
    return () => {
      stopStream.current?.();
      if (flushTimer.current !== undefined) clearTimeout(flushTimer.current);
    };
  }, [load, follow]);

  const stepIds = useMemo(() => detail?.steps.map((s) => s.id) ?? [], [detail]);
  const { states: replayStates, controls: replayControls } = useReplay(runId, stepIds);
  // a step the resumed run answered from its journal finishes as `replayed` in a replay too (it is done only then)
  const shown = useMemo(() => {
    if (!replayStates) return states;
    const replayed = detail?.steps.filter((st) => st.state === 'replayed') ?? [];
    for (const st of replayed) if (replayStates.get(st.id) === 'done') replayStates.set(st.id, 'replayed');
    return replayStates;
  }, [replayStates, states, detail]);

  const counts = useMemo(() => {
    const c: Record<string, number> = {};
    for (const [id, s] of shown) if (!id.startsWith('checkpoint/')) c[s] = (c[s] ?? 0) + 1;
    return c;
  }, [shown]);

  if (error) return <p className="error">{error}</p>;
  if (!detail) return <p className="note">loading…</p>;
  const { run } = detail;
  const stepById = new Map(detail.steps.map((s) => [s.id, { ...s, state: shown.get(s.id) ?? s.state }]));
  const shownSteps = detail.steps.filter((s) => !s.id.startsWith('checkpoint/'));
  return (
    <main className="run">
      <section className="run-head">
        <h1>
          {run.kind} <span className="run-id">{run.id}</span>{' '}
          <span className={`status status-${run.status}`} data-testid="run-status">
            {run.status}
          </span>
        </h1>
        <p className="task">{run.task}</p>
        <p className="totals">
          {run.totals.calls} calls{run.totals.replayedCalls ? ` (+${run.totals.replayedCalls} replayed)` : ''} ·{' '}
          {tokens(run.totals)} tokens · {cost(run.totals.costUsd)} ·{' '}
          {seconds((run.finishedAt ?? Date.now()) - run.createdAt)}
          {live.calls !== undefined && run.status === 'running'
            ? ` · live: ${live.calls} calls, ${live.tokens} tokens`
            : ''}
        </p>
        <p className="counts" data-testid="state-counts">
          {Object.entries(counts).map(([state, n]) => (
            <span key={state} className={`badge step-${state}`}>
              {n} {state}
            </span>
          ))}
        </p>
        {run.status !== 'running' && <ReplayBar controls={replayControls} />}
        {detail.canResume && resumable.has(run.status) && (
          <ResumeForm
            runId={run.id}
            onResumed={() =>
              load().then((d) => {
                if (!d) return;
                setStates(new Map(d.steps.map((s) => [s.id, s.state])));
                follow(undefined);
              })
            }
          />
        )}
      </section>
      <div className="run-body">
        <section className="main-col">
          {detail.graph ? (
            <>
              <NodeSearch ids={detail.graph.nodes.map((n) => n.id)} onSelect={setSelected} />
              {detail.graph.nodes.length > largeGraph ? (
                <OverviewCanvas graph={detail.graph} states={shown} selected={selected} onSelect={setSelected} />
              ) : (
                <Suspense fallback={<p className="note">drawing the graph…</p>}>
                  <GraphCanvas graph={detail.graph} states={shown} selected={selected} onSelect={setSelected} />
                </Suspense>
              )}
            </>
          ) : (
            <ol className="steps" data-testid="steps">
              {shownSteps.map((s) => (
                <li key={s.id}>
                  <button
                    type="button"
                    className={`step-row step-${shown.get(s.id) ?? s.state}`}
                    onClick={() => setSelected(s.id)}
                  >
                    {s.id} <span className="badge">{shown.get(s.id) ?? s.state}</span>
                  </button>
                </li>
              ))}
            </ol>
          )}
          {detail.teams.length > 0 && <Lanes detail={detail} onSelect={setSelected} />}
          <details
            className="timeline-box"
            data-testid="timeline-toggle"
            onToggle={(e) => setTimelineOpen(e.currentTarget.open)}
          >
            <summary>Timeline</summary>
            {timelineOpen && (
              <Timeline
                runId={run.id}
                critical={detail.graph?.criticalPath ?? []}
                withCalls={(detail.graph?.nodes.length ?? detail.steps.length) <= largeGraph}
                stamp={`${run.status}:${live.ended}:${live.events}`}
              />
            )}
          </details>
          {detail.decisions.length > 0 && <Decisions decisions={detail.decisions} />}
          {detail.runChecks.length > 0 && (
            <section className="run-checks" data-testid="run-checks">
              <h3>Checks of the run</h3>
              <StepChecks events={detail.runChecks} />
            </section>
          )}
          <UsageTables
            runId={run.id}
            stamp={`${run.status}:${live.ended}`}
            folded={(detail.graph?.nodes.length ?? detail.steps.length) > largeGraph}
          />
        </section>
        {selected && (
          <NodePanel
            runId={run.id}
            stepId={selected}
            step={stepById.get(selected)}
            checks={detail.checks?.[selected] ?? []}
            isNode={detail.graph?.nodes.some((n) => n.id === selected) ?? false}
            onClose={() => setSelected(undefined)}
          />
        )}
      </div>
    </main>
  );
}

/** Statuses of runs that may be resumed. */
const resumable = new Set(['stopped-budget', 'interrupted', 'failed', 'partial']);

/** Resumes a stopped run with a new budget (dollars and/or tokens; empty keeps the stored limit). */
function ResumeForm({ runId, onResumed }: { runId: string; onResumed: () => void }) {
  const [usd, setUsd] = useState('');
  const [tokens, setTokens] = useState('');
  const [message, setMessage] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  return (
    <form
      className="resume"
      data-testid="resume"
      onSubmit={(event) => {
        event.preventDefault();
        setBusy(true);
        setMessage(undefined);
        data
          .resume(runId, {
            ...(usd.trim() ? { budgetUsd: Number(usd) } : {}),
            ...(tokens.trim() ? { maxTokens: Number(tokens) } : {}),
          })
          .then(onResumed, (e: Error) => setMessage(e.message))
          .finally(() => setBusy(false));
      }}
    >
      resume with budget: ${' '}
      <input aria-label="budget in dollars" size={6} value={usd} onChange={(e) => setUsd(e.currentTarget.value)} />{' '}
      tokens{' '}
      <input
        aria-label="budget in tokens"
        data-testid="resume-tokens"
        size={8}
        value={tokens}
        onChange={(e) => setTokens(e.currentTarget.value)}
      />{' '}
      <button type="submit" disabled={busy} data-testid="resume-button">
        resume
      </button>
      {message && <span className="error"> {message}</span>}
    </form>
  );
}

/** Opens a node by its id: the quick way to a node of a large graph. */
function NodeSearch({ ids, onSelect }: { ids: string[]; onSelect: (id: string) => void }) {
  const [text, setText] = useState('');
  const known = useMemo(() => new Set(ids), [ids]);
  // suggestions: the first few ids that contain what is typed (never a thousand options at once)
  const suggestions = useMemo(() => {
    const typed = text.trim();
    if (!typed) return [];
    const out: string[] = [];
    for (const id of ids) if (id.includes(typed) && out.push(id) >= 20) break;
    return out;
  }, [ids, text]);
  return (
    <form
      className="node-search"
      onSubmit={(event) => {
        event.preventDefault();
        if (known.has(text.trim())) onSelect(text.trim());
      }}
    >
      <input
        data-testid="node-search"
        list="node-ids"
        placeholder="open node…"
        value={text}
        onChange={(e) => setText(e.target.value)}
      />
      <datalist id="node-ids">
        {suggestions.map((id) => (
          <option key={id} value={id} />
        ))}
      </datalist>
    </form>
  );
}

function Decisions({ decisions }: { decisions: StoredEvent[] }) {
  return (
    <section className="decisions" data-testid="decisions">
      <h3>Decision points</h3>
      {decisions.map((d) => {
        const scores = (d.scores ?? {}) as Record<string, number>;
        const kept = (d.kept ?? []) as string[];
        const pruned = (d.pruned ?? []) as Array<{ team: string; reason: string }>;
        return (
          <div key={`${d.seq}`} className="decision">
            <h4>{String(d.point)}</h4>
            <ul>
              {Object.entries(scores).map(([team, score]) => (
                <li key={team} className={kept.includes(team) ? 'kept' : 'pruned'}>
                  {team}: {score.toFixed(3)} {kept.includes(team) ? 'kept' : ''}
                  {pruned.find((p) => p.team === team)?.reason
                    ? ` — pruned: ${pruned.find((p) => p.team === team)!.reason}`
                    : ''}
                </li>
              ))}
            </ul>
            <MergeTree groups={(d.groups ?? []) as string[][]} scores={scores} />
          </div>
        );
      })}
    </section>
  );
}

/** A decision's merge tree: which proposals (and earlier merges) each merge took in, the result at the root. */
function MergeTree({ groups, scores }: { groups: string[][]; scores: Record<string, number> }) {
  const root = mergeTree(groups);
  if (!root) return null;
  const item = (node: MergeTreeNode | string): React.ReactNode =>
    typeof node === 'string' ? (
      <li key={node} className="merge-leaf">
        {node}
        {scores[node] !== undefined ? ` (${scores[node]!.toFixed(3)})` : ''}
      </li>
    ) : (
      <li key={node.id}>
        <strong>{node.id}</strong> ←<ul className="merge-tree">{node.inputs.map(item)}</ul>
      </li>
    );
  return (
    <div data-testid="merge-tree">
      merge tree:
      <ul className="merge-tree">{item(root)}</ul>
    </div>
  );
}

/**
 * Calls, tokens and cost by agent and by model. They sum the whole journal (read on the server): a large run's are
 * folded, and read when opened, so the page's first paint never waits for them.
 */
function UsageTables({ runId, stamp, folded }: { runId: string; stamp: string; folded: boolean }) {
  const [usage, setUsage] = useState<RunUsage | undefined>();
  const [open, setOpen] = useState(!folded);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `stamp` changes when the run ends: read the totals again
  useEffect(() => {
    if (!open) return;
    let stop = false;
    data.usage(runId).then(
      (u) => !stop && setUsage(u),
      () => {},
    );
    return () => {
      stop = true;
    };
  }, [runId, stamp, open]);
  return (
    <details className="timeline-box" data-testid="usage" open={open} onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary>Usage by agent and model</summary>
      {usage ? <UsageTable usage={usage} /> : <p className="note">reading the journal…</p>}
    </details>
  );
}

function UsageTable({ usage }: { usage: RunUsage }) {
  const table = (title: string, rows: Record<string, Usage>) => (
    <table className="usage">
      <thead>
        <tr>
          <th>{title}</th>
          <th>calls</th>
          <th>in</th>
          <th>out</th>
          <th>cost</th>
        </tr>
      </thead>
      <tbody>
        {Object.entries(rows).map(([name, u]) => (
          <tr key={name}>
            <td>{name}</td>
            <td>{u.calls}</td>
            <td>{u.inputTokens}</td>
            <td>{u.outputTokens}</td>
            <td>{cost(u.costUsd)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
  return (
    <section className="usage-tables">
      {table('agent', usage.perAgent)}
      {table('model', usage.perModel)}
    </section>
  );
}
