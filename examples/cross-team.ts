/**
 * Cross-team collaboration: three diversified teams, pruned and merged at each decision point.
 * Run: npx tsx examples/cross-team.ts   (offline, on the simulated model)
 */
import { runCrossTeam } from 'crosstalk';

const run = runCrossTeam({
  task: 'a command-line habit tracker',
  teams: [
    { id: 'careful', temperature: 0.2, reviewRounds: 3 },
    { id: 'quick', temperature: 0.9, reviewRounds: 1 },
    { id: 'js', language: 'JavaScript' },
  ],
  keep: { count: 2 },
  groupSize: 2,
  scorer: 'metrics',
  model: process.env.CROSSTALK_MODEL ?? 'sim',
});

for await (const event of run) {
  if (event.type === 'decision') {
    const scores = Object.entries(event.scores)
      .map(([team, score]) => `${team} ${score.toFixed(2)}`)
      .join(', ');
    console.log(
      `◆ ${event.point}: scores ${scores}; kept ${event.kept.join(', ')}${event.pruned.length ? `; pruned ${event.pruned.map((p) => p.team).join(', ')}` : ''}`,
    );
  } else if (event.type === 'team-dropped') {
    console.log(`✗ ${event.team}: ${event.reason}`);
  }
}

const { status, summary } = await run.result;
console.log(`${status}: ${summary.files.length} files in ${summary.language}, test ${summary.test?.outcome}`);
if (status !== 'completed') process.exitCode = 1;
