import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../support/run-cli.js';
import { chromiumPath, openPage, recordRun, runPageData, serveStore, shotsDir } from '../support/viewer.js';

const trigger = 'as we discussed';

describe.skipIf(!existsSync(chromiumPath))('a step’s checks in the node panel, in Chromium', () => {
  it('shows the self-correction rounds with their scores, and the guard’s findings and approvals', async () => {
    const cwd = tempDir('crosstalk-viewer-');
    // the simulated model's backdoor writes a program the guard's policy asks about (nobody can answer: refused)
    writeFileSync(join(cwd, 'policy.yaml'), 'network: any\nrules:\n  download-execute: ask\n  process-spawn: ask\n');
    writeFileSync(join(cwd, 'phases.yaml'), 'phases:\n  - name: coding\n  - name: testing\n    rounds: 0\n');
    // exit code 4 too: the refused program may leave the run completed with problems
    const runId = await recordRun(
      [
        'dev',
        `a command-line todo list, ${trigger}`,
        '--model',
        `sim?backdoor=${encodeURIComponent(trigger)}`,
        '--language',
        'Python',
        '--phases',
        'phases.yaml',
        '--guard-policy',
        'policy.yaml',
        '--self-correct',
        '3',
        '--self-correct-threshold',
        '10',
        '--out',
        'project',
      ],
      cwd,
      [0, 4],
    );
    const viewer = await serveStore(cwd);
    // what the page should show, as the API gives it: the step the rounds belong to, and their scores
    const { detail } = await runPageData(viewer.url, runId);
    const withRounds = Object.entries(detail.checks).find(([, events]) =>
      events.some((e) => e.type === 'self-correction'),
    );
    expect(withRounds).toBeDefined();
    const [stepId, checks] = withRounds!;
    const rounds = checks.filter((e) => e.type === 'self-correction');
    expect(rounds.length).toBeGreaterThanOrEqual(1);

    const { page, pageErrors } = await openPage();
    await page.goto(`${viewer.url}#/runs/${runId}`);
    await page.getByTestId('steps').locator('button', { hasText: stepId }).first().click();
    const panel = page.getByTestId('node-panel');
    const shown = panel.getByTestId('self-correction-round');
    await expect.poll(() => shown.count(), { timeout: 30_000 }).toBe(rounds.length);
    expect(await panel.getByTestId('round-score').allTextContents()).toEqual(
      rounds.map((r) => `${r.score}/10 (needs 10)`),
    );
    // the last round says why the loop stopped
    expect(await shown.last().textContent()).toMatch(/stopped \((no-improvement|round-limit|threshold)\)/);
    // the guard's findings and the refused approval, in the panel of the step they came in, or as the run's
    const guardStep = Object.entries(detail.checks).find(([, events]) =>
      events.some((e) => e.type === 'guard-approval'),
    )?.[0];
    if (guardStep && guardStep !== stepId)
      await page.getByTestId('steps').locator('button', { hasText: guardStep }).first().click();
    const where = guardStep ? panel : page.getByTestId('run-checks');
    await expect
      .poll(() => where.getByTestId('guard-approval').first().textContent(), { timeout: 30_000 })
      .toMatch(/refused by no-terminal/);
    expect(await where.getByTestId('guard-findings').textContent()).toContain('download-execute');
    await page.screenshot({ path: join(shotsDir(cwd), 'viewer-checks.png') });
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
