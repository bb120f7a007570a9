import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../config/index.js';
import { BudgetExceededError, ConfigError, ExitCode } from '../../errors/index.js';
import { createRuntime } from '../../runtime/index.js';
import { slugify, timestampForName } from '../../software/slug.js';
import { diversifyTeams, runStoryTeams } from '../../teams/index.js';
import { parseKeepRule, wholeNumber } from '../parse-flags.js';
import { formatUsageLine, simulatedBanner } from '../format.js';
import { configFlags } from '../global-options.js';
import type { Register } from '../main.js';
import { Progress } from '../progress.js';

/** `crosstalk story "<premise>" --teams K`: cross-team story writing (outline → draft → revise). */
export const registerStory: Register = (program, ctx, run) => {
  program
    .command('story')
    .description('write a story with several teams: outline, draft and revision, judged, pruned and merged at each stage')
    .argument('<premise>', 'what the story is about')
    .option('--teams <k>', 'number of teams (default 4)')
    .option('--prune <keep>', 'keep this share (0-1) or number (≥ 1) of texts at each stage (default 0.5)')
    .option('--group-size <g>', 'texts merged per aggregation call (default 2)')
    .option('--words <n>', 'target length in words (default 300)')
    .option('--out <dir>', 'output directory (default ./crosstalk-out/<name>-<timestamp>)')
    .action(
      run(async ([premise], options, out) => {
        const text = String(premise ?? '').trim();
        if (text === '') throw new ConfigError({ key: 'premise', message: 'story needs a non-empty premise' });
        const k = wholeNumber('--teams', options.teams, 4, 1, 64);
        const groupSize = wholeNumber('--group-size', options.groupSize, 2, 2, 64);
        const words = wholeNumber('--words', options.words, 300, 20, 20_000);
        const keep = parseKeepRule(options.prune);
        const outDir = resolve(ctx.cwd, typeof options.out === 'string' ? options.out : join('crosstalk-out', `${slugify(text)}-${timestampForName()}`));
        if (existsSync(outDir) && readdirSync(outDir).length > 0) throw new ConfigError({ key: '--out', message: `output directory ${outDir} is not empty; choose another --out` });
        const loaded = loadConfig({ cwd: ctx.cwd, env: ctx.env, flags: configFlags(options) });
        const runtime = await createRuntime({ loaded, env: ctx.env, signal: ctx.signal });
        const progress = new Progress(ctx.stderr, out);
        if (runtime.simulated) progress.line(simulatedBanner);
        const teams = diversifyTeams(k, runtime.seed);
        const started = performance.now();
        let stopped: BudgetExceededError | undefined;
        let result;
        try {
          result = await runStoryTeams({ premise: text, teams, model: (_team, role) => runtime.model(role), keep, groupSize, words, seed: runtime.seed, signal: ctx.signal });
        } catch (error) {
          if (!BudgetExceededError.isInstance(error)) throw error;
          stopped = error;
        }
        const durationMs = Math.round(performance.now() - started);
        const usage = runtime.usage.snapshot();
        mkdirSync(outDir, { recursive: true });
        if (result?.story) writeFileSync(join(outDir, 'story.md'), `${result.story}\n`);
        const summary = {
          premise: text,
          model: runtime.defaultModel,
          simulated: runtime.simulated,
          status: stopped ? 'stopped-budget' : (result?.status ?? 'failed'),
          config: { teams: k, keep, groupSize, words, seed: runtime.seed },
          teams: result?.teams ?? [],
          decisions: result?.decisions ?? [],
          usage,
          durationMs,
          ...(result?.error ? { error: result.error } : {}),
          ...(stopped ? { error: stopped.message } : {}),
        };
        writeFileSync(join(outDir, 'crosstalk-run.json'), `${JSON.stringify(summary, null, 2)}\n`);
        out.result({ ok: !stopped && result?.status === 'completed', outDir, story: result?.story ?? null, ...summary });
        if (stopped) {
          out.note(`crosstalk: ${stopped.message}; rerun with a larger --budget-usd or --max-tokens.`);
          return ExitCode.budget;
        }
        for (const d of result!.decisions) progress.line(`◆ ${d.point}: kept ${d.kept.join(', ')}${d.pruned.length ? `; pruned ${d.pruned.map((p) => p.team).join(', ')}` : ''}`);
        if (result!.story) out.line(result!.story);
        out.note(`${result!.status}: ${outDir}`);
        out.note(formatUsageLine(runtime.defaultModel, usage.total, durationMs));
        return result!.status === 'completed' ? ExitCode.ok : ExitCode.failed;
      }),
    );
};
