import { useEffect, useState } from 'react';
import { data } from './data';
import { cost } from './format';
import type { CallView, StepView } from './types';

/**
 * One node's (or phase's) work: the dialogues on its incoming edges in order (critic, then actor), the merge calls,
 * each with its prompt and reply, and the artifact the step left. Room is kept for guard findings and vetoes.
 */
export function NodePanel(props: { runId: string; stepId: string; step: StepView | undefined; onClose: () => void }) {
  const { runId, stepId, step } = props;
  const [calls, setCalls] = useState<CallView[] | undefined>();
  const [artifact, setArtifact] = useState<string | undefined>();
  const state = step?.state ?? 'waiting';
  useEffect(() => {
    let stop = false;
    data.calls(runId, stepId).then((c) => !stop && setCalls(c));
    data.artifact(runId, stepId).then((a) => !stop && setArtifact(a));
    return () => {
      stop = true;
    };
  }, [runId, stepId, state]);
  const meta = (step?.meta ?? {}) as { error?: string; because?: string; missingInputs?: string[] };
  return (
    <aside className="panel" data-testid="node-panel">
      <div className="panel-head">
        <h2>{stepId}</h2>
        <span className={`badge step-${state}`}>{state}</span>
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
      <ol className="dialogue" data-testid="dialogue">
        {calls?.map((c) => (
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
                <pre key={i} className={`message role-${m.role}`}>
                  {m.content}
                </pre>
              ))}
            </details>
            <pre className="reply">{c.reply}</pre>
          </li>
        ))}
      </ol>
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
