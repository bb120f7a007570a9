import { useEffect, useState } from 'react';
import { data } from './data';
import { cost } from './format';
import type { NodeDialogue } from '../../src/serve/dialogue';
import type { CallView, StepView } from './types';

/**
 * One node's (or phase's) work: the dialogues on its incoming edges in order (critic, then actor), the merge calls,
 * each with its prompt and reply, and the artifact the step left. Room is kept for guard findings and vetoes.
 */
export function NodePanel(props: {
  runId: string;
  stepId: string;
  step: StepView | undefined;
  /** The step is a network node: its calls are shown by incoming edge. */
  isNode: boolean;
  onClose: () => void;
}) {
  const { runId, stepId, step, isNode } = props;
  const [calls, setCalls] = useState<CallView[] | undefined>();
  const [dialogue, setDialogue] = useState<NodeDialogue<CallView> | undefined>();
  const [artifact, setArtifact] = useState<string | undefined>();
  const state = step?.state ?? 'waiting';
  // biome-ignore lint/correctness/useExhaustiveDependencies: read again when the step's state changes (live runs)
  useEffect(() => {
    let stop = false;
    if (isNode)
      data.dialogue(runId, stepId).then((d) => {
        if (stop) return;
        setDialogue(d);
        setCalls([...d.edges.flatMap((e) => e.turns), ...d.other]);
      });
    else data.calls(runId, stepId).then((c) => !stop && setCalls(c));
    data.artifact(runId, stepId).then((a) => !stop && setArtifact(a));
    return () => {
      stop = true;
    };
  }, [runId, stepId, state, isNode]);
  const meta = (step?.meta ?? {}) as { error?: string; because?: string; missingInputs?: string[] };
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
      {artifact === undefined ? (
        <p className="note">none yet</p>
      ) : (
        <pre className="artifact" data-testid="artifact">
          <code>{artifact}</code>
        </pre>
      )}
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
          <details>
            <summary>prompt</summary>
            {c.system && <pre className="system">{c.system}</pre>}
            {c.messages.map((m, i) => (
              // biome-ignore lint/suspicious/noArrayIndexKey: a prompt's messages are a fixed list
              <pre key={i} className={`message role-${m.role}`}>
                {m.content}
              </pre>
            ))}
          </details>
          <pre className="reply">{c.reply}</pre>
        </li>
      ))}
    </ol>
  );
}
