import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../config/index.js';
import { BudgetExceededError, ConfigError, ExitCode, ModelConfigError } from '../../errors/index.js';
import { graphStats, toDot, type ScheduleEvent } from '../../graph/index.js';
import { parseModelString } from '../../model/index.js';
import { extractChoice, runNetwork, type NetworkTaskType } from '../../network/index.js';
import { createRuntime } from '../../runtime/index.js';
import { slugify, timestampForName } from '../../software/slug.js';
import { formatCost, formatUsageLine, simulatedBanner } from '../format.js';
import { configFlags } from '../global-options.js';
import { addTopologyOptions, resolveGraph } from '../graph-options.js';
import type { Register } from '../main.js';
import { Progress } from '../progress.js';

const taskTypes = ['code', 'text', 'choice'] as const;

/** `crosstalk net "<task>" --topology T --agents N`: run a MacNet collaboration network. */
export const registerNet: Register = (program, ctx, run) => {
  const command = program
    .command('net')
    .description('run a collaboration network (MacNet): agents on a DAG, in topological order, concurrently')
    .argument('<task>', 'the task every node works on')
    .requiredOption('--topology <name|file>', 'chain, star, tree, mesh, layer, random, small-world, scale-free, or a .json/.yaml/.dot graph')
    .option('--task-type <type>', `what the network produces: ${taskTypes.join(', ')} (default text)`)
    .option('--edge-rounds <n>', 'critic ↔ actor exchanges per edge, 1 to 3 (default 1)')
    .option('--group-size <g>', 'candidates merged per aggregation call (default 4)')
    .option('--out <dir>', 'output directory (default ./crosstalk-out/<name>-<timestamp>)');
  addTopologyOptions(command, '--agents').action(
    run(async ([task], options, out) => {
      const text = String(task ?? '').trim();
      if (text === '') throw new ConfigError({ key: 'task', message: 'net needs a non-empty task' });
      const taskType = (options.taskType ?? 'text') as NetworkTaskType;
      if (!taskTypes.includes(taskType)) throw new ConfigError({ key: '--task-type', message: `--task-type must be one of ${taskTypes.join(', ')} (got ${JSON.stringify(options.taskType)})` });
      const edgeRounds = options.edgeRounds === undefined ? 1 : Number(options.edgeRounds);
      if (!Number.isInteger(edgeRounds) || edgeRounds < 1 || edgeRounds > 3) throw new ConfigError({ key: '--edge-rounds', message: `--edge-rounds must be 1, 2 or 3 (got ${JSON.stringify(options.edgeRounds)})` });
      const groupSize = options.groupSize === undefined ? 4 : Number(options.groupSize);
      if (!Number.isInteger(groupSize) || groupSize < 2) throw new ConfigError({ key: '--group-size', message: `--group-size must be a whole number of at least 2 (got ${JSON.stringify(options.groupSize)})` });

      const loaded = loadConfig({ cwd: ctx.cwd, env: ctx.env, flags: configFlags(options) });
      const seed = loaded.config.seed ?? 0;
      const graph = resolveGraph(String(options.topology), options, ctx.cwd, 'agents', seed);
      for (const node of graph.spec.nodes) {
        if (!node.model) continue;
        try {
          parseModelString(node.model);
        } catch (error) {
          if (ModelConfigError.isInstance(error)) throw new ModelConfigError({ code: 'MODEL_UNKNOWN', message: `node '${node.id}': ${error.message}` });
          throw error;
        }
      }
      const outDir = resolve(ctx.cwd, typeof options.out === 'string' ? options.out : join('crosstalk-out', `${slugify(text)}-${timestampForName()}`));
      if (existsSync(outDir) && readdirSync(outDir).length > 0) throw new ConfigError({ key: '--out', message: `output directory ${outDir} is not empty; choose another --out` });
      const runtime = await createRuntime({ loaded, env: ctx.env, signal: ctx.signal });
      for (const node of graph.spec.nodes) if (node.model) runtime.modelByString(node.model); // missing keys fail before any work
      const progress = new Progress(ctx.stderr, out);
      if (runtime.simulated) progress.line(simulatedBanner);
      for (const w of graph.warnings) progress.line(`crosstalk: warning: ${w}`);
      const stats = graphStats(graph.dag, { seed });
      progress.line(`network: ${stats.nodes} nodes, ${stats.edges} edges (${stats.agents} agents), depth ${stats.depth}, concurrency ${runtime.concurrency}`);

      let lastPrint = 0;
      const onEvent = (e: ScheduleEvent) => {
        if (e.type !== 'progress') return;
        const now = Date.now();
        if (now - lastPrint < 200 && e.done + e.failed + e.skipped < e.total) return;
        lastPrint = now;
        const u = runtime.usage.snapshot().total;
        progress.status(`nodes ${e.done}/${e.total} done, ${e.running} running${e.failed ? `, ${e.failed} failed` : ''} — ${u.calls} calls, ${u.inputTokens + u.outputTokens} tokens, ${formatCost(u.costUsd, u.costKnown)}`);
      };
      const result = await runNetwork({
        graph,
        task: text,
        taskType,
        model: ({ role, model }) => (model ? runtime.modelByString(model) : runtime.model(role)),
        concurrency: runtime.concurrency,
        edgeRounds,
        aggregationGroupSize: groupSize,
        seed,
        signal: ctx.signal,
        isFatal: (error) => BudgetExceededError.isInstance(error),
        onEvent,
      });
      progress.done();
      const usage = runtime.usage.snapshot();

      mkdirSync(join(outDir, 'nodes'), { recursive: true });
      for (const [id, output] of result.outputs) writeFileSync(join(outDir, 'nodes', `${id.replace(/[^A-Za-z0-9._-]/g, '_')}.md`), output.text);
      writeFileSync(join(outDir, 'graph.dot'), `${toDot(graph.spec)}\n`);
      const answer = result.final;
      if (answer !== undefined) writeFileSync(join(outDir, 'answer.md'), `${answer}\n`);
      const choice = taskType === 'choice' && answer ? extractChoice(answer) ?? null : undefined;
      const summary = {
        task: text,
        taskType,
        model: runtime.defaultModel,
        simulated: runtime.simulated,
        status: result.status,
        topology: String(options.topology),
        graph: { ...stats, warnings: graph.warnings },
        config: { seed, concurrency: runtime.concurrency, edgeRounds, groupSize },
        nodes: {
          done: result.outputs.size,
          failed: Object.fromEntries(result.failed),
          skipped: result.skipped,
          notStarted: result.notStarted.length,
        },
        mergedSinks: result.mergedSinks,
        ...(choice !== undefined ? { choice } : {}),
        calls: result.calls,
        maxPromptChars: result.maxPromptChars,
        makespanMs: Math.round(result.makespanMs),
        usage,
        ...(result.stopError ? { error: (result.stopError as Error).message } : {}),
      };
      writeFileSync(join(outDir, 'crosstalk-run.json'), `${JSON.stringify(summary, null, 2)}\n`);
      out.result({ ok: result.status === 'completed', outDir, answer: answer ?? null, ...summary });
      if (result.status === 'stopped' && BudgetExceededError.isInstance(result.stopError)) {
        out.note(`crosstalk: ${result.stopError.message}; ${result.outputs.size} of ${stats.nodes} nodes finished and were saved in ${outDir}. Rerun with a larger --budget-usd or --max-tokens.`);
        return ExitCode.budget;
      }
      if (result.status === 'aborted') {
        out.note(`crosstalk: interrupted; ${result.outputs.size} of ${stats.nodes} nodes finished and were saved in ${outDir}`);
        return ExitCode.interrupted;
      }
      if (answer !== undefined) out.line(taskType === 'choice' ? `answer: ${choice ?? '(no letter found)'}` : answer);
      out.note(`${result.status}: ${result.outputs.size}/${stats.nodes} nodes${result.failed.size ? `, ${result.failed.size} failed (${[...result.failed.keys()].slice(0, 5).join(', ')})` : ''}${result.skipped.length ? `, ${result.skipped.length} skipped` : ''}; output in ${outDir}`);
      out.note(formatUsageLine(runtime.defaultModel, usage.total, result.makespanMs));
      return result.status === 'completed' ? ExitCode.ok : ExitCode.failed;
    }),
  );
};
