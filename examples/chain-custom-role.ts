/**
 * The ChatDev chain with a custom role and a shorter list of phases, given as plain objects.
 * Run: npx tsx examples/chain-custom-role.ts   (offline, on the simulated model)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runChain, type PhaseConfig, type Role } from 'crosstalk';

const securityReviewer: Role = {
  title: 'Security Reviewer',
  persona: 'You review code for injection, unsafe file handling and secrets before anything else.',
  duties: ['find security problems', 'ask for the smallest fix'],
};

const phases: PhaseConfig[] = [
  { name: 'coding' },
  { name: 'code-review', instructor: 'security', rounds: 2 },
  { name: 'testing', rounds: 1 },
  { name: 'manual' },
];

const outDir = join(mkdtempSync(join(tmpdir(), 'crosstalk-example-')), 'project');
try {
  const run = runChain({
    task: 'a command-line tool that renames photos by their date',
    language: 'Python',
    roles: { security: securityReviewer },
    phases,
    outDir,
    model: process.env.CROSSTALK_MODEL ?? 'sim',
  });
  for await (const event of run) {
    if (event.type === 'step-finished' && event.step.kind === 'phase')
      console.log(`✓ ${event.step.id}${event.note ? `: ${event.note}` : ''}`);
    if (event.type === 'sandbox-result') console.log(`  ran ${event.scope}: ${event.outcome}`);
  }
  const result = await run.result;
  console.log(
    `${result.status}: ${result.summary.files.length} files in ${outDir} (${result.summary.files.join(', ')})`,
  );
  if (result.status !== 'completed') process.exitCode = 1;
} finally {
  rmSync(join(outDir, '..'), { recursive: true, force: true });
}
