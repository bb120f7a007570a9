import { useMemo, useState } from 'react';
import { artifactParts, tokenize } from '../../src/serve/highlight';
import { lineDiff } from '../../src/serve/line-diff';
import type { StoredEventView as StoredEvent } from '../../src/serve/view-types';

/** An artifact: prose as is, code (fenced, or the whole text when it looks like code) coloured by token. */
export function ArtifactText({ text }: { text: string }) {
  const parts = useMemo(() => artifactParts(text), [text]);
  return (
    <pre className="artifact" data-testid="artifact">
      {parts.map((part, i) =>
        part.language ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: an artifact's parts are a fixed list
          <code key={i} className={`code lang-${part.language}`} data-testid="code">
            {tokenize(part.text, part.language).map((t, j) =>
              t.kind === 'text' ? (
                t.text
              ) : (
                // biome-ignore lint/suspicious/noArrayIndexKey: tokens are a fixed list
                <span key={j} className={`tok-${t.kind}`}>
                  {t.text}
                </span>
              ),
            )}
          </code>
        ) : (
          // biome-ignore lint/suspicious/noArrayIndexKey: an artifact's parts are a fixed list
          <span key={i}>{part.text}</span>
        ),
      )}
    </pre>
  );
}

/** One version of an artifact: where it came from and its text. */
export interface ArtifactVersion {
  label: string;
  text: string;
}

/** The difference between two chosen versions of an artifact (by default the last two), line by line. */
export function VersionDiff({ versions }: { versions: ArtifactVersion[] }) {
  const [from, setFrom] = useState(Math.max(0, versions.length - 2));
  const [to, setTo] = useState(versions.length - 1);
  const a = versions[Math.min(from, versions.length - 1)]?.text ?? '';
  const b = versions[Math.min(to, versions.length - 1)]?.text ?? '';
  const diff = useMemo(() => lineDiff(a, b), [a, b]);
  const added = diff.filter((l) => l.kind === 'add').length;
  const removed = diff.filter((l) => l.kind === 'del').length;
  const pick = (value: number, set: (n: number) => void, testId: string, label: string) => (
    <select data-testid={testId} aria-label={label} value={value} onChange={(e) => set(Number(e.currentTarget.value))}>
      {versions.map((v, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: versions are listed in a fixed order
        <option key={i} value={i}>
          {i + 1}. {v.label}
        </option>
      ))}
    </select>
  );
  return (
    <div className="versions">
      <div className="diff-pick">
        {pick(from, setFrom, 'diff-from', 'older version')} → {pick(to, setTo, 'diff-to', 'newer version')}{' '}
        <span className="diff-count" data-testid="diff-count">
          +{added} −{removed}
        </span>
      </div>
      <pre className="diff" data-testid="diff">
        {diff.map((line, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: a diff's lines are a fixed list
          <div key={i} className={`diff-${line.kind}`}>
            {line.kind === 'add' ? '+ ' : line.kind === 'del' ? '- ' : '  '}
            {line.text}
          </div>
        ))}
      </pre>
    </div>
  );
}

/** The programs the sandbox ran in a step (outcome, exit code, time and output) and the guard's findings. */
export function StepChecks({ events }: { events: StoredEvent[] }) {
  const runs = events.filter((e) => e.type === 'sandbox-result');
  const findings = events.filter((e) => e.type === 'guard-finding');
  const approvals = events.filter((e) => e.type === 'guard-approval');
  const rounds = events.filter((e) => e.type === 'self-correction');
  return (
    <>
      {rounds.length > 0 && <SelfCorrection rounds={rounds} />}
      {runs.length > 0 && (
        <section data-testid="sandbox-runs">
          <h3>Sandbox runs</h3>
          {runs.map((r) => (
            <div key={String(r.seq)} className={`sandbox-run outcome-${String(r.outcome)}`} data-testid="sandbox-run">
              <div>
                <strong>{String(r.scope)}</strong>: {String(r.outcome)} · exit {String(r.exitCode ?? '—')} ·{' '}
                {Math.round(Number(r.durationMs))} ms · rule {String(r.rule)}
              </div>
              {typeof r.output === 'string' && r.output.length > 0 && <pre className="sandbox-output">{r.output}</pre>}
            </div>
          ))}
        </section>
      )}
      {findings.length > 0 && (
        <section data-testid="guard-findings">
          <h3>Guard findings</h3>
          <ul className="findings">
            {findings.map((f) => (
              <li key={String(f.seq)} className={`finding severity-${String(f.severity)}`}>
                <span className="badge">{String(f.severity)}</span> <strong>{String(f.rule)}</strong> in{' '}
                {String(f.file)}
                {Number(f.line) > 0 ? `:${String(f.line)}` : ''} — {String(f.message)} ·{' '}
                <span className={`decision decision-${String(f.decision)}`}>
                  {f.decision === 'block' ? 'vetoed (block)' : String(f.decision)}
                  {f.refused ? ' (refused)' : ''}
                </span>{' '}
                <span className="note">because {String(f.because)}</span>
                {typeof f.snippet === 'string' && f.snippet && <pre className="snippet">{f.snippet}</pre>}
              </li>
            ))}
          </ul>
        </section>
      )}
      {approvals.length > 0 && (
        <section data-testid="guard-approvals">
          <h3>Guard approvals</h3>
          <ul className="findings">
            {approvals.map((a) => {
              const listed = (a.findings ?? []) as Array<{ rule: string; file: string; line: number }>;
              return (
                <li key={String(a.seq)} className={a.approved ? 'approved' : 'refused'} data-testid="guard-approval">
                  <strong>{String(a.scope)}</strong>: {a.approved ? 'approved' : 'refused'} by {String(a.by)} (mode{' '}
                  {String(a.mode)})
                  {listed.length > 0 &&
                    ` — ${listed.map((f) => `${f.rule} in ${f.file}${f.line > 0 ? `:${f.line}` : ''}`).join(', ')}`}
                </li>
              );
            })}
          </ul>
        </section>
      )}
    </>
  );
}

/** Self-correction rounds: each round's checks, the critic's score against the threshold, and why the loop stopped. */
function SelfCorrection({ rounds }: { rounds: StoredEvent[] }) {
  return (
    <section data-testid="self-correction">
      <h3>Self-correction</h3>
      <table className="rounds">
        <thead>
          <tr>
            <th>where</th>
            <th>round</th>
            <th>score</th>
            <th>verdict</th>
            <th>checks</th>
            <th>problems</th>
          </tr>
        </thead>
        <tbody>
          {rounds.map((r) => {
            const checks = (r.checks ?? []) as Array<{ name: string; passed: boolean }>;
            const problems = (r.problems ?? []) as string[];
            const stop = r.stop as { by: string; chosenRound: number | null } | undefined;
            const verdict = r.rejected ? 'rejected' : Number(r.score) >= Number(r.threshold) ? 'accepted' : 'below';
            return (
              <tr key={String(r.seq)} className={`round round-${verdict}`} data-testid="self-correction-round">
                <td data-testid="round-where">
                  {typeof r.team === 'string' ? `${r.team} · ` : ''}
                  {String(r.hook)}
                </td>
                <td>{String(r.round)}</td>
                <td data-testid="round-score">
                  {String(r.score)}/10 (needs {String(r.threshold)})
                </td>
                <td>
                  {verdict}
                  {stop && (
                    <div className="note">
                      stopped ({stop.by}):{' '}
                      {stop.chosenRound === null
                        ? 'every attempt rejected, nothing kept'
                        : `round ${stop.chosenRound} kept`}
                    </div>
                  )}
                </td>
                <td>
                  {checks.map((c) => (
                    <span key={c.name} className={`check ${c.passed ? 'passed' : 'failed'}`}>
                      {c.passed ? '✓' : '✗'} {c.name}{' '}
                    </span>
                  ))}
                </td>
                <td>
                  {problems.length > 0 && (
                    <ul>
                      {problems.map((p, i) => (
                        // biome-ignore lint/suspicious/noArrayIndexKey: a round's problems are a fixed list
                        <li key={i}>{p}</li>
                      ))}
                    </ul>
                  )}
                  {typeof r.rationale === 'string' && r.rationale && (
                    <details>
                      <summary>critic's rationale</summary>
                      {r.rationale}
                    </details>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
