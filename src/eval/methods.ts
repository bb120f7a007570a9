import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors/index.js';
import { generateTopology, topologyNames, type GraphSpec } from '../graph/index.js';
import { runChain, runCrossTeam, runNetwork, type RunOptions } from '../jobs/api.js';
import type { CodeMetrics } from '../metrics/index.js';

/** What produces each answer of an evaluation. */
export const evalMethodSchema = z.discriminatedUnion('kind', [
  /** One agent, one call (a one-node network). */
  z.object({ kind: z.literal('single') }),
  /** ChatDev's chain (software tasks). */
  z.object({ kind: z.literal('chain') }),
  /** A MacNet network of `agents` nodes in `topology`. */
  z.object({
    kind: z.literal('net'),
    topology: z.enum(topologyNames),
    agents: z.number().int().min(1).max(100_000),
  }),
  /** `teams` diversified teams running the chain, with cross-team decisions. */
  z.object({ kind: z.literal('teams'), teams: z.number().int().min(1).max(64) }),
]);
/** An evaluation method. */
export type EvalMethod = z.infer<typeof evalMethodSchema>;

/** A method as one short label, e.g. `net mesh ×8`. */
export function methodLabel(method: EvalMethod): string {
  if (method.kind === 'net') return `net ${method.topology} ×${method.agents}`;
  if (method.kind === 'teams') return `teams ×${method.teams}`;
  return method.kind;
}

/** What a method answered for one task, with what it cost. */
export interface MethodAnswer {
  runId: string;
  status: string;
  /** The answer text (for code: the network's answer or the chain's files as fenced blocks). */
  text: string;
  /** Files produced (software methods and code networks), path → content. */
  files: Record<string, string>;
  calls: number;
  replayedCalls: number;
  /** Tokens of the paid calls. */
  tokens: number;
  /** Tokens of the calls answered free from the journal (this configuration's work all the same). */
  replayedTokens: number;
  costUsd: number | null;
  durationMs: number;
  model: string;
  simulated: boolean;
  /** The code's metrics as the run measured them (software and code tasks; null when it produced no code). */
  metrics: CodeMetrics | null;
}

/** One task given to a method. */
export interface MethodTask {
  /** What the agents are asked. */
  prompt: string;
  /** What the answer is. `code` and `software` produce files; `software` is a whole project. */
  taskType: 'text' | 'code' | 'choice' | 'software';
  /** Where the method may write its files (software methods). */
  outDir?: string;
}

function single(): GraphSpec {
  return { nodes: [{ id: 'agent' }], edges: [] };
}

function readFiles(root: string | undefined, paths: readonly string[]): Record<string, string> {
  const files: Record<string, string> = {};
  for (const path of paths) {
    try {
      files[root ? relative(root, path) : path] = readFileSync(root ? path : path, 'utf8');
    } catch {
      // a file refused or removed after the run: not part of the answer
    }
  }
  return files;
}

/** The files as fenced blocks, the form network answers take. */
function asFences(files: Record<string, string>): string {
  return Object.entries(files)
    .map(([path, content]) => `${path}\n\`\`\`\n${content}\n\`\`\``)
    .join('\n\n');
}

/**
 * Answers one task with a method through the public run functions, so an
 * evaluation measures exactly what users run. `options` carries the model,
 * seed, store (with `cache` on, a rerun pays no call twice) and signal.
 *
 * @throws ConfigError when the method cannot answer this kind of task (a chain for a multiple-choice question).
 */
export async function answerWithMethod(
  method: EvalMethod,
  task: MethodTask,
  options: RunOptions,
): Promise<MethodAnswer> {
  // replayed calls cost nothing, but their tokens are this configuration's work: counted from their events
  let replayedTokens = 0;
  const base = {
    ...options,
    cache: true,
    onEvent: (event) => {
      if (event.type === 'model-call' && event.replayed) replayedTokens += event.inputTokens + event.outputTokens;
      options.onEvent?.(event);
    },
  } satisfies RunOptions;
  if (method.kind === 'single' || method.kind === 'net') {
    const graph = method.kind === 'single' ? single() : generateTopology(method.topology, { n: method.agents });
    const taskType = task.taskType === 'software' ? 'code' : task.taskType;
    const result = await runNetwork({
      ...base,
      task: task.prompt,
      graph,
      taskType,
      topology: method.kind === 'single' ? 'single' : method.topology,
    }).result;
    const s = result.summary;
    return {
      runId: result.runId,
      status: result.status,
      text: s.answer ?? '',
      files: {},
      metrics: s.code?.metrics ?? null,
      calls: s.totals.calls,
      replayedCalls: s.totals.replayedCalls,
      tokens: s.totals.inputTokens + s.totals.outputTokens,
      replayedTokens,
      costUsd: s.totals.costUsd,
      durationMs: s.durationMs,
      model: s.model,
      simulated: s.simulated,
    };
  }
  if (task.taskType === 'choice' || task.taskType === 'text' || task.taskType === 'code')
    throw new ConfigError({
      key: 'method',
      message: `method ${method.kind} builds software; use --method single or net for ${task.taskType} tasks`,
    });
  const outDir = task.outDir;
  const handle =
    method.kind === 'chain'
      ? runChain({ ...base, task: task.prompt, ...(outDir ? { outDir } : {}) })
      : runCrossTeam({ ...base, task: task.prompt, teams: method.teams, ...(outDir ? { outDir } : {}) });
  const result = await handle.result;
  const s = result.summary;
  const files = readFiles(result.outDir, s.files);
  return {
    runId: result.runId,
    status: result.status,
    text: asFences(files),
    files,
    metrics: s.metrics ?? null,
    calls: s.totals.calls,
    replayedCalls: s.totals.replayedCalls,
    tokens: s.totals.inputTokens + s.totals.outputTokens,
    replayedTokens,
    costUsd: s.totals.costUsd,
    durationMs: s.durationMs,
    model: s.model,
    simulated: s.simulated,
  };
}

/** Joins a task's output folder under the evaluation's. */
export function taskOutDir(evalDir: string | undefined, taskIndex: number): string | undefined {
  return evalDir ? join(evalDir, 'tasks', String(taskIndex).padStart(4, '0')) : undefined;
}
