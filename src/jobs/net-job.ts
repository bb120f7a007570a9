import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { checkRoleNames, defaultRoles } from '../agents/index.js';
import { makeDirectory } from '../common/index.js';
import { AbortedError, BudgetExceededError, ModelOutputError } from '../errors/index.js';
import type { StepRef } from '../events/index.js';
import {
  defaultMaxEdges,
  graphSpecSchema,
  nodeFileName,
  remainingTimeMs,
  topologicalOrder,
  structureStats,
  toDot,
  validateGraph,
  type GraphStructure,
  type ScheduleEvent,
} from '../graph/index.js';
import {
  defaultPruneRule,
  edgeRunModes,
  executeNetwork,
  extractChoice,
  runNodeWork,
  type ArtifactRunner,
  type MergeReport,
  type NetworkResult,
  type NodeOutput,
} from '../network/index.js';
import { runCodeAnswer } from '../software/code-answer.js';
import { writeCodebase } from '../software/codebase/index.js';
import type { TestOutcome } from '../software/chain.js';
import type { RunStatus } from '../store/index.js';
import { closingJob, finalStatus, finishJob, modelFields, openJob } from './job-run.js';
import { correctingNodes, reviewFinalText, safetyCheckSchema, textSelfCorrectSchema } from './self-correction.js';
import type { JobEnvironment, JobResult, JobStart } from './job-run.js';
import { flagsSchema } from './flags.js';
import type { CodeMetrics } from '../metrics/index.js';
import { measureResult } from './run-metrics.js';
import { openJobQueue } from './job-queue.js';

/** How a network job runs its nodes, apart from its stored configuration. */
export interface NetRunOptions {
  /**
   * `redis://…` or `rediss://…`: send each node's work to `crosstalk worker` processes through BullMQ. Not
   * stored with the run (the URL may hold a password). Default: every node runs in this process.
   */
  queue?: string;
  /** How long Redis may stay unreachable before the run stops (resumable), ms. Default 5 minutes. */
  queueTimeoutMs?: number;
}

/** A network job's stored configuration: everything needed to run or resume it. */
export const netJobSchema = z.object({
  kind: z.literal('net'),
  task: z.string().min(1),
  /** What the network produces. */
  taskType: z.enum(['code', 'text', 'choice']),
  /** The topology name or graph file it came from (for display). */
  topology: z.string(),
  graph: graphSpecSchema,
  /** Critic ↔ actor exchanges per edge, 1–3. */
  edgeRounds: z.number().int().min(1).max(3),
  /** Candidates merged per aggregation call. */
  groupSize: z.number().int().min(2),
  /** Where results are written; none when absent. */
  outDir: z.string().optional(),
  flags: flagsSchema,
  /** Review the final answer for harmful content and jailbreaks before showing it (`--safety-check`). */
  safetyCheck: safetyCheckSchema.optional(),
  /** Self-correction of every node's artifact before its successors see it (`--self-correct`); off when absent. */
  selfCorrect: textSelfCorrectSchema.optional(),
  /** Answer model calls from other runs' identical requests in the store. */
  cache: z.boolean().optional(),
  /** Run generated code on the host when there is no sandbox (dangerous). */
  unsafeNoSandbox: z.boolean().optional(),
  /** A failed node skips every node after it; default: nodes run with the inputs that finished. */
  strict: z.boolean().optional(),
  /** Prune a node's candidates before merging (MacNet's reference: above 4, keep the better half). */
  pruneInputs: z.boolean().optional(),
  /** Code tasks: when an edge's exchange runs the artifact in the sandbox. Default `request`. */
  edgeRuns: z.enum(edgeRunModes).optional(),
});

/** A network job's configuration. */
export type NetJobConfig = z.infer<typeof netJobSchema>;

/** What a network run reports (and writes to `crosstalk-run.json`). */
export interface NetSummary {
  task: string;
  taskType: NetJobConfig['taskType'];
  model: string;
  simulated: boolean;
  topology: string;
  graph: GraphStructure & { warnings: string[] };
  config: {
    seed: number;
    concurrency: number;
    edgeRounds: number;
    groupSize: number;
    pruneInputs: boolean;
    edgeRuns: NonNullable<NetJobConfig['edgeRuns']>;
  };
  /** How the edges' exchanges ended (rounds used, early approvals, sandbox runs) and what the merges did. */
  edges: { exchanges: number; rounds: number; approved: number; runs: number };
  merges: { calls: number; repaired: number; fellBack: number; failed: number; pruned: number };
  /** `partial`: nodes that ran without some inputs (their failed or skipped predecessors). */
  nodes: {
    done: number;
    failed: Record<string, string>;
    skipped: string[];
    notStarted: number;
    partial: Record<string, string[]>;
  };
  mergedSinks: string[];
  /** The network's merged answer (the sinks' artifacts merged), when any sink finished. */
  answer: string | null;
  /** Choice tasks: the answer's letter. */
  choice?: string | null;
  /** Code tasks: the project files written, refused names and the sandbox run. */
  code?: {
    files: string[];
    refused: Array<{ path: string; reason: string }>;
    test: TestOutcome;
    /** The answer's metrics (see `src/metrics`); null when the answer holds no files or the run stopped early. */
    metrics: CodeMetrics | null;
  };
  maxPromptChars: number;
  makespanMs: number;
  error?: string;
}

/** Time per unit of node weight: node weight counts the calls a node makes in sequence. */
const nodeWeight = (inDegree: number) => 1 + 2 * inDegree;

/**
 * Runs (or resumes) a network job through the run store: model calls
 * journaled, node artifacts stored as they finish, so an interrupted run
 * resumes from the nodes already done without paying for their calls again.
 */
export async function runNetJob(
  environment: JobEnvironment,
  config: NetJobConfig,
  start: JobStart = {},
  how: NetRunOptions = {},
): Promise<JobResult<NetSummary>> {
  const graph = validateGraph(config.graph, {
    maxNodes: Math.max(100_000, config.graph.nodes.length),
    maxEdges: Math.max(defaultMaxEdges, config.graph.edges.length),
  });
  // a node role or edge critic that names no role would fall back to the actor or critic in silence
  checkRoleNames(
    [
      ...graph.spec.nodes.flatMap((n) => (n.role ? [{ role: n.role, where: `graph node '${n.id}'` }] : [])),
      ...graph.spec.edges.flatMap((e) =>
        e.critic ? [{ role: e.critic, where: `graph edge '${e.from}' -> '${e.to}' critic` }] : [],
      ),
    ],
    defaultRoles,
  );
  const run = await openJob(
    environment,
    {
      flags: config.flags,
      run: { kind: 'net', task: config.task, config },
      cache: config.cache === true,
      allowUnsafeSandbox: config.unsafeNoSandbox === true,
    },
    start,
  );
  const { session, runtime } = run;
  return closingJob(run, async () => {
    for (const node of graph.spec.nodes) if (node.model) runtime.modelByString(node.model); // missing keys fail before any work
    const seed = runtime.seed;
    const { dag, spec } = graph;
    // structure only: clustering and path statistics are for `graph --stats`, never on the way to the first call
    const stats = structureStats(dag);
    const done = new Map<string, NodeOutput>();
    for (const [id, text] of session.doneOutputs()) done.set(id, { text, calls: 0, maxPromptChars: 0, temperature: 0 });
    session.begin({
      model: runtime.defaultModel,
      simulated: runtime.simulated,
      plannedSteps: stats.nodes,
      doneSteps: done.size,
    });
    for (const w of graph.warnings) runtime.logger.warn(w);
    if (session.lostOnResume) runtime.logger.info(`${session.lostOnResume} call(s) lost in flight will be sent again`);

    const stepOf = (id: string): StepRef => {
      const node = spec.nodes[dag.index.get(id)!]!;
      return {
        kind: 'node',
        id,
        role: node.role ?? 'actor',
        model: node.model ?? runtime.modelString(node.role ?? 'actor'),
      };
    };
    // ETA: remaining critical path and work, at the observed time per sequential call of finished nodes
    const weights = dag.pred.map((p) => nodeWeight(p.length));
    const order = topologicalOrder(dag); // once: the ETA is recomputed on every progress event
    const finished = new Set<number>([...done.keys()].map((id) => dag.index.get(id)!));
    const partial = new Map<string, string[]>();
    let timedUnits = 0;
    let timedMs = 0;
    let lastProgress = 0;
    const onEvent = (e: ScheduleEvent) => {
      if (e.type === 'step-started') {
        session.stepStarted(e.id, e.attempt);
        session.emit({ type: 'step-started', step: stepOf(e.id), attempt: e.attempt });
      } else if (e.type === 'step-finished') {
        const i = dag.index.get(e.id)!;
        finished.add(i);
        timedUnits += weights[i]!;
        timedMs += e.durationMs;
        const without = partial.get(e.id);
        session.emit({
          type: 'step-finished',
          step: stepOf(e.id),
          durationMs: Math.round(e.durationMs),
          ...(without ? { note: `ran without ${without.join(', ')} (failed or skipped)` } : {}),
        });
      } else if (e.type === 'step-failed') {
        const error = e.error instanceof Error ? e.error.message.split('\n')[0]! : String(e.error);
        session.stepFailed(e.id, error, e.attempt, !e.willRetry);
        session.emit({ type: 'step-failed', step: stepOf(e.id), error, attempt: e.attempt, willRetry: e.willRetry });
      } else if (e.type === 'step-skipped') {
        session.stepSkipped(e.id, e.because);
        session.emit({ type: 'step-skipped', step: stepOf(e.id), because: e.because });
      } else if (e.type === 'progress') {
        const now = Date.now();
        const last = e.done + e.failed + e.skipped >= e.total;
        if (now - lastProgress < 250 && !last) return;
        lastProgress = now;
        const etaMs =
          timedUnits > 0
            ? remainingTimeMs(dag, {
                weights,
                finished: (i) => finished.has(i),
                msPerUnit: timedMs / timedUnits,
                concurrency: runtime.concurrency,
                order,
              })
            : undefined;
        run.progress({
          steps: { done: e.done, failed: e.failed, skipped: e.skipped, running: e.running, total: e.total },
          ...(etaMs !== undefined ? { etaMs: Math.round(etaMs) } : {}),
        });
      }
    };
    // the input graph is written before the first call: on a 1,500-node mesh (1.1 M edges) its DOT text takes
    // a second to build, which must not delay the exit after Ctrl-C or SIGTERM
    if (config.outDir) {
      makeDirectory(config.outDir);
      writeFileSync(join(config.outDir, 'graph.dot'), `${toDot(graph.spec)}\n`);
    }
    const edgeRuns = config.edgeRuns ?? 'request';
    // code networks: an edge may run its artifact in the sandbox, as MacNet's compile step does (and pruning
    // judges candidates by a run); `edgeRuns` decides whether edges use it
    const runArtifact: ArtifactRunner | undefined =
      config.taskType === 'code' && runtime.sandbox.run
        ? async (text, signal) => {
            const { test } = await runCodeAnswer(text, runtime.sandbox, signal);
            const ok = test.outcome === 'exited-ok' || test.outcome === 'timeout-running';
            const exit = test.exitCode !== null ? `, exit code ${test.exitCode}` : '';
            const output = test.output.trim().slice(-1500);
            return { ok, report: `${test.outcome} (${test.rule})${exit}${output ? `\n${output}` : ''}` };
          }
        : undefined;
    const queue = how.queue ? await openJobQueue(run, how.queue, how.queueTimeoutMs) : undefined;
    const closeQueue = async (keepJournal: boolean) => queue?.close(keepJournal);
    // with --self-correct every node's artifact goes through the loop (here, after a worker's work too)
    const executeNode = config.selfCorrect
      ? correctingNodes(
          run,
          config.selfCorrect,
          { taskType: config.taskType, ...(runtime.sandbox.run ? { runProgram: runtime.sandbox.run } : {}) },
          queue?.executor.executeNode ?? ((work) => runNodeWork(work)),
        )
      : queue?.executor.executeNode;
    const result = await executeNetwork({
      ...(executeNode ? { executeNode } : {}),
      graph,
      task: config.task,
      taskType: config.taskType,
      model: ({ role, model }) => (model ? runtime.modelByString(model) : runtime.model(role)),
      concurrency: runtime.concurrency,
      edgeRounds: config.edgeRounds,
      aggregationGroupSize: config.groupSize,
      ...(config.pruneInputs ? { pruneInputs: defaultPruneRule } : {}),
      edgeRuns,
      ...(runArtifact ? { runArtifact } : {}),
      seed,
      signal: environment.signal,
      done,
      // an abort while the run's signal is not aborted: the queue was lost for good (the run stops, resumable)
      isFatal: (error) =>
        BudgetExceededError.isInstance(error) || ModelOutputError.isTooLarge(error) || AbortedError.isInstance(error),
      maxPromptChars: runtime.outputLimits.maxPromptChars,
      ...(config.strict ? { strict: true } : {}),
      onEvent,
      onNodeDone: (id, output) => {
        if (output.missingInputs) partial.set(id, output.missingInputs);
        const meta = {
          calls: output.calls,
          temperature: output.temperature,
          ...(output.edges?.length ? { edges: output.edges } : {}),
          ...(output.merge ? { merge: output.merge } : {}),
          ...(output.missingInputs ? { missingInputs: output.missingInputs } : {}),
        };
        session.stepDone(id, output.text, meta);
      },
      // the final merge of the sinks is a step of its own: for a large network it is the last stretch of the run
      onMerge: ({ phase, sinks, durationMs }) => {
        const step = {
          kind: 'merge' as const,
          id: 'output',
          role: 'aggregator',
          model: runtime.modelString('aggregator'),
        };
        if (phase === 'started') session.emit({ type: 'step-started', step, attempt: 1 });
        else
          session.emit({
            type: 'step-finished',
            step,
            durationMs: Math.round(durationMs ?? 0),
            note: `merged ${sinks.length} sinks`,
          });
      },
    }).then(
      async (r) => {
        await closeQueue(r.status === 'stopped' || r.status === 'aborted');
        return r;
      },
      async (error: unknown) => {
        await closeQueue(true);
        throw error;
      },
    );
    const reviewed =
      config.safetyCheck && result.final !== undefined && result.status !== 'stopped' && result.status !== 'aborted'
        ? await reviewFinalText(run, result.final, config.safetyCheck, {
            task: config.task,
            scope: 'answer',
            signal: environment.signal,
          })
        : undefined;
    // a withheld answer is neither shown, nor written, nor run
    const answer = reviewed?.passed === false ? undefined : result.final;
    const code =
      config.taskType === 'code' && answer !== undefined
        ? await runCodeAnswer(answer, runtime.sandbox, environment.signal)
        : undefined;
    if (code?.files) await run.guard.checkOutput(code.files);
    const written = config.outDir
      ? writeNetworkOutput(config.outDir, reviewed?.passed === false ? withheld(result) : result, code?.files)
      : undefined;
    // the answer's run is reused: measuring runs nothing again
    const metrics =
      code && result.status !== 'stopped' && result.status !== 'aborted'
        ? await measureResult(runtime, session, {
            task: config.task,
            files: code.files,
            language: code.language,
            test: code.test,
            testedFiles: code.files,
          })
        : null;
    const status: RunStatus =
      result.status === 'stopped'
        ? finalStatus(result.stopError, undefined)
        : result.status === 'aborted'
          ? 'interrupted'
          : result.status;
    const error = result.stopError ? (result.stopError as Error).message : undefined;
    const summary: NetSummary = {
      task: config.task,
      taskType: config.taskType,
      ...modelFields(runtime),
      topology: config.topology,
      graph: { ...stats, warnings: graph.warnings },
      config: {
        seed,
        concurrency: runtime.concurrency,
        edgeRounds: config.edgeRounds,
        groupSize: config.groupSize,
        pruneInputs: config.pruneInputs === true,
        edgeRuns,
      },
      ...edgeAndMergeTotals(result),
      nodes: {
        done: result.outputs.size,
        failed: Object.fromEntries(result.failed),
        skipped: result.skipped,
        notStarted: result.notStarted.length,
        partial: Object.fromEntries(
          [...result.outputs].flatMap(([id, o]) => (o.missingInputs ? [[id, o.missingInputs]] : [])),
        ),
      },
      mergedSinks: result.mergedSinks,
      answer: answer ?? null,
      ...(config.taskType === 'choice' ? { choice: answer ? (extractChoice(answer) ?? null) : null } : {}),
      ...(code
        ? {
            code: {
              files: written?.files ?? Object.keys(code.files),
              refused: [...code.refused, ...(written?.refused ?? [])],
              test: code.test,
              metrics,
            },
          }
        : {}),
      maxPromptChars: result.maxPromptChars,
      makespanMs: Math.round(result.makespanMs),
    };
    const problems = [
      ...(reviewed?.reason ? [reviewed.reason] : []),
      ...(code?.files && Object.keys(code.files).length === 0 ? ['the code answer holds no files'] : []),
      ...(summary.choice === null && answer !== undefined ? ['no answer letter (A–J) found in the answer'] : []),
    ];
    return finishJob(run, {
      kind: 'net',
      problems,
      status,
      summary,
      outDir: config.outDir,
      ...(error ? { error } : status === 'interrupted' ? { error: 'interrupted' } : {}),
      resumable: result.status === 'stopped',
      saved: `${result.outputs.size} of ${stats.nodes} nodes are done and saved`,
    });
  });
}

/** A network result whose answer was withheld: no answer, and no node text (the nodes' texts led to it). */
function withheld(result: NetworkResult): NetworkResult {
  return { ...result, final: undefined, outputs: new Map() };
}

/** Totals of the edges' exchanges and the merges of the nodes run in this session (and the final merge). */
function edgeAndMergeTotals(result: NetworkResult): Pick<NetSummary, 'edges' | 'merges'> {
  const edges = { exchanges: 0, rounds: 0, approved: 0, runs: 0 };
  const merges = { calls: 0, repaired: 0, fellBack: 0, failed: 0, pruned: 0 };
  const addMerge = (m: MergeReport) => {
    merges.calls += m.calls;
    for (const c of m.checks) {
      if (c.check === 'repaired') merges.repaired++;
      else if (c.check === 'fell-back') merges.fellBack++;
      else if (c.check === 'failed') merges.failed++;
    }
    merges.pruned += m.prune?.pruned.length ?? 0;
  };
  for (const output of result.outputs.values()) {
    for (const e of output.edges ?? []) {
      edges.exchanges++;
      edges.rounds += e.rounds;
      if (e.endedBy === 'approved') edges.approved++;
      edges.runs += e.runs;
    }
    if (output.merge) addMerge(output.merge);
  }
  if (result.finalMerge) addMerge(result.finalMerge);
  return { edges, merges };
}

/** Writes each node's artifact, the graph (DOT), the answer and, for code, the project (names checked). */
function writeNetworkOutput(outDir: string, result: NetworkResult, files: Record<string, string> | undefined) {
  makeDirectory(join(outDir, 'nodes'));
  for (const [id, output] of result.outputs) writeFileSync(join(outDir, 'nodes', nodeFileName(id)), output.text);
  if (result.final !== undefined) writeFileSync(join(outDir, 'answer.md'), `${result.final}\n`);
  if (!files) return undefined;
  const written = writeCodebase(join(outDir, 'project'), files);
  return { files: written.written, refused: written.refused };
}
