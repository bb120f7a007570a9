import type { RunDetail, StoredEventView as StoredEvent } from '../../src/serve/view-types';

type Decision = { scores: Record<string, number>; kept: string[]; pruned: Array<{ team: string; reason: string }> };

/**
 * A cross-team run as lanes: a row per team through the segments (decision points, stages), each cell the team's
 * phases there coloured by state, and after each segment the decision: the team's score, kept or pruned and why.
 * A pruned team's proposal leaves the merge from then on. Clicking a cell opens that team's calls there.
 */
export function Lanes({ detail, onSelect }: { detail: RunDetail; onSelect: (scope: string) => void }) {
  const decisionAt = new Map<string, Decision>();
  for (const d of detail.decisions as Array<StoredEvent & Decision>) decisionAt.set(String(d.point), d);
  const segments = detail.segments.length ? detail.segments : [...new Set(detail.teamSteps.map((s) => s.segment))];
  return (
    <section className="lanes" data-testid="lanes">
      <h3>Teams</h3>
      <table>
        <thead>
          <tr>
            <th>team</th>
            {segments.map((segment) => (
              <th key={segment}>{segment}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {detail.teams.map((team) => (
            <tr key={team} data-testid="lane" data-team={team}>
              <th>{team}</th>
              {segments.map((segment) => {
                const phases = detail.teamSteps.filter((s) => s.team === team && s.segment === segment);
                const decision = decisionAt.get(segment);
                const pruned = decision?.pruned.find((p) => p.team === team);
                const score = decision?.scores[team];
                return (
                  <td key={segment}>
                    <button type="button" className="lane-cell" onClick={() => onSelect(`${segment}/${team}`)}>
                      {phases.map((p) => (
                        <span key={p.phase} className={`badge step-${p.state}`}>
                          {p.phase}
                        </span>
                      ))}
                    </button>
                    {decision && (score !== undefined || pruned) && (
                      <div className={`verdict ${pruned ? 'pruned' : 'kept'}`} data-testid="verdict">
                        {score !== undefined ? `${score.toFixed(2)} ` : ''}
                        {pruned ? `pruned: ${pruned.reason}` : decision.kept.includes(team) ? 'kept' : ''}
                      </div>
                    )}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
