import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeDirectory } from '../../common/index.js';
import { prepareOutputDir } from '../output-dir.js';
import { loadConfig, type ConfigFlags } from '../../config/index.js';
import { BudgetExceededError, ConfigError, ExitCode, ModelConfigError } from '../../errors/index.js';
import { graphStats, toDot, validateGraph, type GraphSpec, type ScheduleEvent } from '../../graph/index.js';
import { parseModelString } from '../../model/index.js';
import { extractChoice, runNetwork, type NetworkTaskType, type NodeOutput } from '../../network/index.js';
import { slugify, timestampForName } from '../../software/slug.js';
import type { CliContext } from '../context.js';
import { formatCost, formatUsageLine, simulatedBanner } from '../format.js';
import { configFlags } from '../global-options.js';
import { addTopologyOptions, resolveGraph } from '../graph-options.js';
import type { Register } from '../main.js';
import type { Output } from '../output.js';
import { Progress } from '../progress.js';
import { openDurableRun } from '../durable-run.js';
import { entryFile, type TestOutcome } from '../../software/chain.js';
import { parseCodebase, writeCodebase } from '../../software/codebase/index.js';
import { createProgramRunner } from '../../software/program-runner.js';

const taskTypes = ['code', 'text', 'choice'] as const;

/** Everything needed to run (or resume) a network job; stored as the run's config. */
export interface NetJob {
  kind: 'net';
  task: string;
  taskType: NetworkTaskType;
  topology: string;
  graph: GraphSpec;
  edgeRounds: number;
  groupSize: number;
  outDir: string;
  /** Config flags given when the run started (model, seed, concurrency, budget…). */
  flags: ConfigFlags;
  /** Answer look-ups also from other runs' identical requests. */
  cache?: boolean;
  /** Run generated code on the host when there is no sandbox. */
  unsafeNoSandbox?: boolean;
}

/**
 * Runs a network job through the run store: model calls journaled, node
 * artifacts stored as they finish, so an interrupted run resumes from the
 * nodes already done without paying for their calls again.
 */
export async function runNetJob(ctx: CliContext, out: Output, job: NetJob, options: { resumeId?: string; flagOverrides?: ConfigFlags } = {}): Promise<number> {
  const graph = validateGraph(job.graph, { maxNodes: Math.max(100_000, job.graph.nodes.length) });
  const { loaded, store, session, runtime } = await openDurableRun(ctx, { flags: job.flags, run: { kind: 'net', task: job.task, config: job }, ...(job.cache ? { cache: true } : {}) }, options);
  const seed = loaded.config.seed ?? 0;
  try {
    for (const node of graph.spec.nodes) if (node.model) runtime.modelByString(node.model); // missing keys fail before any work
    const progress = new Progress(ctx.stderr, out);
    if (runtime.simulated) progress.line(simulatedBanner);
    for (const w of graph.warnings) progress.line(`crosstalk: warning: ${w}`);
    const stats = graphStats(graph.dag, { seed });
    const done = new Map<string, NodeOutput>();
    for (const [id, text] of session.doneOutputs()) done.set(id, { text, calls: 0, maxPromptChars: 0, temperature: 0 });
    progress.line(
      `${options.resumeId ? `resuming run ${session.id}: ${done.size} of ${stats.nodes} nodes already done${session.lostOnResume ? `, ${session.lostOnResume} call(s) lost in flight will be sent again` : ''}` : `run ${session.id}`} — ${stats.nodes} nodes, ${stats.edges} edges (${stats.agents} agents), depth ${stats.depth}, concurrency ${runtime.concurrency}`,
    );

    let lastPrint = 0;
    const onEvent = (e: ScheduleEvent) => {
      if (e.type === 'step-started') session.stepStarted(e.id, e.attempt);
      else if (e.type === 'step-failed') session.stepFailed(e.id, e.error instanceof Error ? e.error.message.split('\n')[0]! : String(e.error), e.attempt, !e.willRetry);
      else if (e.type === 'step-skipped') session.stepSkipped(e.id, e.because);
      else if (e.type === 'progress') {
        const now = Date.now();
        if (now - lastPrint < 200 && e.done + e.failed + e.skipped < e.total) return;
        lastPrint = now;
        const u = runtime.usage.snapshot().total;
        progress.status(`nodes ${e.done}/${e.total} done, ${e.running} running${e.failed ? `, ${e.failed} failed` : ''} — ${u.calls} calls (+${session.journalStats.replayed} replayed), ${u.inputTokens + u.outputTokens} tokens, ${formatCost(u.costUsd, u.costKnown)}`);
      }
    };
    const result = await runNetwork({
      graph,
      task: job.task,
      taskType: job.taskType,
      model: ({ role, model }) => (model ? runtime.modelByString(model) : runtime.model(role)),
      concurrency: runtime.concurrency,
      edgeRounds: job.edgeRounds,
      aggregationGroupSize: job.groupSize,
      seed,
      signal: ctx.signal,
      done,
      isFatal: (error) => BudgetExceededError.isInstance(error),
      onEvent,
      onNodeDone: (id, output) => session.stepDone(id, output.text, { calls: output.calls, temperature: output.temperature }),
    });
    progress.done();
    const usage = runtime.usage.snapshot();

    const outDir = job.outDir;
    makeDirectory(join(outDir, 'nodes'));
    for (const [id, output] of result.outputs) writeFileSync(join(outDir, 'nodes', `${id.replace(/[^A-Za-z0-9._-]/g, '_')}.md`), output.text);
    writeFileSync(join(outDir, 'graph.dot'), `${toDot(graph.spec)}\n`);
    const answer = result.final;
    if (answer !== undefined) writeFileSync(join(outDir, 'answer.md'), `${answer}\n`);
    const choice = job.taskType === 'choice' && answer ? (extractChoice(answer) ?? null) : undefined;
    // a code network's answer is a codebase: write its files (path-checked) and run it in the sandbox
    let code: { files: string[]; refused: Array<{ path: string; reason: string }>; test: TestOutcome } | undefined;
    if (job.taskType === 'code' && answer !== undefined) {
      const parsed = parseCodebase(answer);
      const written = writeCodebase(join(outDir, 'project'), parsed.files);
      const language = parsed.files['main.js'] !== undefined && parsed.files['main.py'] === undefined ? 'JavaScript' : 'Python';
      const entry = entryFile(language);
      const runner = createProgramRunner({ allowUnsafe: job.unsafeNoSandbox === true });
      const test: TestOutcome = !parsed.files[entry]
        ? { outcome: 'not-run', rule: `no ${entry} in the answer`, exitCode: null, output: '', durationMs: 0 }
        : runner.run
          ? await runner.run(parsed.files, entry, language, ctx.signal)
          : { outcome: 'not-run', rule: runner.reason, exitCode: null, output: '', durationMs: 0 };
      code = { files: written.written, refused: [...parsed.refused, ...written.refused], test };
    }
    const stoppedByBudget = result.status === 'stopped' && BudgetExceededError.isInstance(result.stopError);
    const status = result.status === 'stopped' ? 'stopped-budget' : result.status === 'aborted' ? 'interrupted' : result.status;
    const summaryCore = {
      runId: session.id,
      task: job.task,
      taskType: job.taskType,
      model: runtime.defaultModel,
      simulated: runtime.simulated,
      status,
      topology: job.topology,
      graph: { ...stats, warnings: graph.warnings },
      config: { seed, concurrency: runtime.concurrency, edgeRounds: job.edgeRounds, groupSize: job.groupSize },
      nodes: { done: result.outputs.size, failed: Object.fromEntries(result.failed), skipped: result.skipped, notStarted: result.notStarted.length },
      mergedSinks: result.mergedSinks,
      ...(choice !== undefined ? { choice } : {}),
      ...(code ? { code } : {}),
      maxPromptChars: result.maxPromptChars,
      makespanMs: Math.round(result.makespanMs),
      ...(result.stopError ? { error: (result.stopError as Error).message } : {}),
    };
    const totals = session.finish(status, { ...summaryCore, answer: answer ?? null });
    const summary = { ...summaryCore, totals, usage };
    writeFileSync(join(outDir, 'crosstalk-run.json'), `${JSON.stringify(summary, null, 2)}\n`);
    out.result({ ok: result.status === 'completed', outDir, answer: answer ?? null, ...summary });
    if (stoppedByBudget) {
      out.note(`crosstalk: ${(result.stopError as Error).message}; ${result.outputs.size} of ${stats.nodes} nodes are done and saved. Resume with: crosstalk runs resume ${session.id} --budget-usd <larger>`);
      return ExitCode.budget;
    }
    if (result.status === 'aborted') {
      out.note(`crosstalk: interrupted; ${result.outputs.size} of ${stats.nodes} nodes are done and saved. Resume with: crosstalk runs resume ${session.id}`);
      return ExitCode.interrupted;
    }
    if (code) out.line(`${code.files.length} files in ${join(outDir, 'project')}; test ${code.test.outcome} (${code.test.rule})${code.refused.length ? `; refused ${code.refused.map((r) => r.path).join(', ')}` : ''}`);
    else if (answer !== undefined) out.line(job.taskType === 'choice' ? `answer: ${choice ?? '(no letter found)'}` : answer);
    out.note(`${result.status}: ${result.outputs.size}/${stats.nodes} nodes${result.failed.size ? `, ${result.failed.size} failed (${[...result.failed.keys()].slice(0, 5).join(', ')})` : ''}${result.skipped.length ? `, ${result.skipped.length} skipped` : ''}; run ${session.id}; output in ${outDir}`);
    out.note(formatUsageLine(runtime.defaultModel, usage.total, result.makespanMs) + (session.journalStats.replayed ? ` (+${session.journalStats.replayed} replayed free)` : ''));
    return result.status === 'completed' ? ExitCode.ok : ExitCode.failed;
  } finally {
    store.close();
  }
}

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
    .option('--out <dir>', 'output directory (default ./crosstalk-out/<name>-<timestamp>)')
    .option('--cache', "answer model calls from earlier runs' identical requests in the store (repeated experiments)")
    .option('--unsafe-no-sandbox', 'code networks: run the result on the host when no sandbox is available (dangerous)');
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
      const flags = configFlags(options);
      const loaded = loadConfig({ cwd: ctx.cwd, env: ctx.env, flags });
      const graph = resolveGraph(String(options.topology), options, ctx.cwd, 'agents', loaded.config.seed ?? 0);
      for (const node of graph.spec.nodes) {
        if (!node.model) continue;
        try {
          parseModelString(node.model);
        } catch (error) {
          if (ModelConfigError.isInstance(error)) throw new ModelConfigError({ code: 'MODEL_UNKNOWN', message: `node '${node.id}': ${error.message}` });
          throw error;
        }
      }
      const outDir = prepareOutputDir(ctx.cwd, options.out, join('crosstalk-out', `${slugify(text)}-${timestampForName()}`));
      return runNetJob(ctx, out, { kind: 'net', task: text, taskType, topology: String(options.topology), graph: graph.spec, edgeRounds, groupSize, outDir, flags, cache: options.cache === true, unsafeNoSandbox: options.unsafeNoSandbox === true });
    }),
  );
};
