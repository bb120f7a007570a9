import { useEffect, useMemo, useState } from 'react';
import { ArtifactText, type ArtifactVersion, StepChecks, VersionDiff } from './artifact-views';
import { data } from './data';
import { cost } from './format';
import type { NodeDialogue } from '../../src/serve/dialogue';
import type { CallView, StepDetail, StepView, StoredEventView as StoredEvent } from '../../src/serve/view-types';

/**
 * One node's (or phase's) work: the dialogues on its incoming edges in order (critic, then actor), the merge calls,
 * each with its prompt and reply; the artifact the step left (code coloured) and a diff between its versions (a
 * predecessor's artifact, each edge's revisions, the merges, the result); the programs the sandbox ran and the guard's
 * findings while the step ran.
 */
export function NodePanel(props: {
  runId: string;
  stepId: string;
  step: StepView | undefined;
  /** The step's sandbox runs and guard findings. */
  checks: StoredEvent[];
  /** The step is a network node: its calls are shown by incoming edge. */
  isNode: boolean;
  onClose: () => void;
}) {
  const { runId, stepId, step, isNode } = props;
  const [calls, setCalls] = useState<CallView[] | undefined>();
  const [dialogue, setDialogue] = useState<NodeDialogue<CallView> | undefined>();
  const [artifact, setArtifact] = useState<string | undefined>();
  const [inputs, setInputs] = useState<ReadonlyMap<string, string>>(new Map());
  const [stored, setStored] = useState<StepDetail | undefined>();
  const state = step?.state ?? 'waiting';
  // biome-ignore lint/correctness/useExhaustiveDependencies: read again when the step's state changes (live runs)
  useEffect(() => {
    let stop = false;
    if (isNode)
      data.dialogue(runId, stepId).then((d) => {
        if (stop) return;
        setDialogue(d);
        setCalls([...d.edges.flatMap((e) => e.turns), ...d.other]);
        const from = d.edges.flatMap((e) => (e.from ? [e.from] : []));
        Promise.all(from.map((f) => data.artifact(runId, f))).then((texts) => {
          if (stop) return;
          setInputs(new Map(from.flatMap((f, i) => (texts[i] !== undefined ? [[f, texts[i]!]] : []))));
        });
      });
    else data.calls(runId, stepId).then((c) => !stop && setCalls(c));
    data.artifact(runId, stepId).then((a) => !stop && setArtifact(a));
    data.step(runId, stepId).then((s) => !stop && setStored(s));
    return () => {
      stop = true;
    };
  }, [runId, stepId, state, isNode]);
  const versions = useMemo(() => {
    const list: ArtifactVersion[] = [];
    for (const edge of dialogue?.edges ?? []) {
      const input = edge.from ? inputs.get(edge.from) : undefined;
      if (input !== undefined) list.push({ label: `${edge.from}'s artifact`, text: input });
      let round = 0;
      for (const turn of edge.turns)
        if (turn.agent !== 'critic')
          list.push({ label: `edge ${edge.from ?? '?'}: revision ${++round}`, text: turn.reply });
    }
    const merges = dialogue ? dialogue.other : (calls ?? []);
    merges.forEach((turn, i) => {
      list.push({ label: `${turn.agent ?? 'answer'} ${i + 1}`, text: turn.reply });
    });
    if (artifact !== undefined && list[list.length - 1]?.text !== artifact)
      list.push({ label: 'result', text: artifact });
    return list;
  }, [dialogue, calls, inputs, artifact]);
  const meta = (stored?.meta ?? {}) as { error?: string; because?: string; missingInputs?: string[] };
  return (
    <aside className="panel" data-testid="node-panel">
      <div className="panel-head">
        <h2>{stepId}</h2>
        {step && <span className={`badge step-${state}`}>{state}</span>}
        <button type="button" onClick={props.onClose} aria-label="close">
          ×
        </button>
      </div>
      {meta.error && <p className="error">failed: {meta.error}</p>}
      {meta.because && <p className="note">skipped: {meta.because}</p>}
      {meta.missingInputs && <p className="note">ran without {meta.missingInputs.join(', ')}</p>}
      <h3>Dialogue</h3>
      {calls === undefined && <p className="note">loading…</p>}
      {calls?.length === 0 && <p className="note">no model calls recorded yet</p>}
      {dialogue ? (
        <div data-testid="dialogue">
          {dialogue.edges.map((edge, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: an edge's place in a node's dialogue never changes
            <section key={`${edge.from}-${i}`} className="edge-dialogue">
              <h4>
                edge {edge.from ?? '?'} → {stepId}
              </h4>
              <Turns calls={edge.turns} />
            </section>
          ))}
          {dialogue.other.length > 0 && (
            <section className="edge-dialogue">
              <h4>{dialogue.edges.length > 0 ? 'merge' : 'answer'}</h4>
              <Turns calls={dialogue.other} />
            </section>
          )}
        </div>
      ) : (
        <div data-testid="dialogue">{calls && <Turns calls={calls} />}</div>
      )}
      <h3>Artifact</h3>
      {artifact === undefined ? <p className="note">none yet</p> : <ArtifactText text={artifact} />}
      {versions.length >= 2 && (
        <Folded className="versions-box" testId="versions" summary={`Versions (${versions.length}): diff`}>
          {() => <VersionDiff key={`${stepId}:${versions.length}`} versions={versions} />}
        </Folded>
      )}
      <StepChecks events={props.checks} />
    </aside>
  );
}

/** Model calls in order: who (agent, model), what it cost, the prompt (folded) and the reply. */
function Turns({ calls }: { calls: CallView[] }) {
  return (
    <ol className="dialogue">
      {calls.map((c) => (
        <li key={c.key} className={`turn agent-${c.agent ?? 'agent'}`}>
          <div className="turn-head">
            <strong className="agent">{c.agent ?? 'agent'}</strong> <span className="model">{c.model}</span>
            <span className="usage">
              {c.inputTokens} in · {c.outputTokens} out · {Math.round(c.latencyMs)} ms · {cost(c.costUsd)} ·{' '}
              {c.paid ? 'paid' : 'replayed'}
            </span>
          </div>
          <Folded summary="prompt">
            {() => (
              <>
                {c.system && <pre className="system">{c.system}</pre>}
                {c.messages.map((m, i) => (
                  // biome-ignore lint/suspicious/noArrayIndexKey: a prompt's messages are a fixed list
                  <pre key={i} className={`message role-${m.role}`}>
                    {m.content}
                  </pre>
                ))}
              </>
            )}
          </Folded>
          <pre className="reply">{c.reply}</pre>
        </li>
      ))}
    </ol>
  );
}

/**
 * A folded section whose content is built only once it is first opened: a node's prompts (often the longest text it
 * has) and its version diff cost nothing until asked for.
 */
function Folded(props: { summary: string; className?: string; testId?: string; children: () => React.ReactNode }) {
  const [opened, setOpened] = useState(false);
  return (
    <details
      className={props.className}
      data-testid={props.testId}
      onToggle={(e) => e.currentTarget.open && setOpened(true)}
    >
      <summary>{props.summary}</summary>
      {opened && props.children()}
    </details>
  );
}
