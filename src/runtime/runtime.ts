import type { EmbeddingModelV3, LanguageModelV3, LanguageModelV3Middleware } from '@ai-sdk/provider';
import {
  resolveOutputLimits,
  type CrosstalkConfig,
  type LoadedConfig,
  type OutputLimits,
  type PriceEntry,
} from '../config/index.js';
import { createEmbeddingModel, createProviderModel, parseModelString, resolveModelString } from '../model/index.js';
import {
  BudgetGuard,
  buildModelStack,
  resolvePrice,
  resolveTelemetry,
  createModelLimiter,
  UsageTracker,
  type ModelLimiter,
  type TelemetryOptions,
} from '../model/middleware/index.js';
import { checkModelStrings } from './check-model-strings.js';
import { guardProgramRunner, type GuardOptions } from '../guard/index.js';
import { createProgramRunner } from '../software/program-runner.js';
import type { ProgramRunner, TestOutcome } from '../software/chain.js';
import type { RunStore } from '../store/index.js';

/** Where a run's messages for people go (the job layer turns them into `note` events). */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

/** Runs generated programs: the sandbox as the features see it. `run` is absent when no sandbox exists. */
export interface ProgramSandbox {
  run?: ProgramRunner;
  /** Which sandbox is used, or why there is none. */
  reason: string;
}

/**
 * Everything a feature needs to run: models (already wrapped in retry,
 * limits, timeout, usage and budget middleware), the usage tracker, the seed
 * and the cancellation signal. Features receive a Runtime; they never build
 * adapters themselves.
 */
export interface Runtime {
  readonly config: CrosstalkConfig;
  /** The default model string, e.g. `sim` or `openai:gpt-4o-mini`. */
  readonly defaultModel: string;
  /** Where the default model came from (flag, env, config, …). */
  readonly modelSource: string;
  /**
   * True when any model in use is the simulated one (the default, a role's,
   * or one built since for a node or team): results measure the system, not answer quality.
   */
  readonly simulated: boolean;
  readonly usage: UsageTracker;
  /** The run's budget, shared by every model. */
  readonly budget: BudgetGuard;
  readonly seed: number;
  /** Maximum model calls in flight per model. */
  readonly concurrency: number;
  /** Size caps on model output (config `limits:`, defaults filled in). */
  readonly outputLimits: OutputLimits;
  readonly signal: AbortSignal;
  /** Runs generated code (bubblewrap or unshare; none when neither exists and unsafe runs were not allowed). */
  readonly sandbox: ProgramSandbox;
  /** Milliseconds since the epoch (replaceable in tests). */
  readonly clock: () => number;
  /** Messages for people watching the run. */
  readonly logger: Logger;
  /** The run store the run is journaled in, when it has one. */
  readonly store?: RunStore;
  /** The model string for a role (per-role override or the default). */
  modelString(role?: string): string;
  /** The wrapped model for a role. Models are shared: one limiter per model string. */
  model(role?: string): LanguageModelV3;
  /** The wrapped model for a model string (e.g. a network node's own model). */
  modelByString(model: string): LanguageModelV3;
  /** The embedding model of the consistency metric (config `embeddingModel`, `--embedding-model`), when set. */
  readonly embedding?: { model: EmbeddingModelV3; name: string };
}

/** The sandbox, telling `onProgramRun` of every program it ran. */
function reporting(
  sandbox: ProgramSandbox,
  onProgramRun: Parameters<typeof createRuntime>[0]['onProgramRun'],
): ProgramSandbox {
  const run = sandbox.run;
  if (!run || !onProgramRun) return sandbox;
  return {
    reason: sandbox.reason,
    run: async (files, entry, language, signal) => {
      const outcome = await run(files, entry, language, signal);
      onProgramRun({ entry, language, outcome });
      return outcome;
    },
  };
}

/** The sandbox with every program scanned by the guard before it runs. */
function guarded(sandbox: ProgramSandbox, guard: GuardOptions | undefined): ProgramSandbox {
  if (!guard || !sandbox.run) return sandbox;
  return { reason: sandbox.reason, run: guardProgramRunner(sandbox.run, guard) };
}

/** The host variables the guard policy lets generated programs see (default none). */
function visibleEnv(guard: GuardOptions, env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    guard.policy.env.flatMap((name) => (env[name] !== undefined ? [[name, env[name]!] as [string, string]] : [])),
  );
}

/** Default number of model calls in flight per model. */
export const defaultConcurrency = 8;

/**
 * Builds the runtime from a loaded config: validates every model string,
 * resolves the default model, creates each provider model once (so a missing
 * key is reported before any work starts) and wraps it in the middleware stack.
 */
export async function createRuntime(options: {
  loaded: LoadedConfig;
  env: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  probe?: (baseURL: string) => Promise<string | undefined>;
  /** Journal middleware per model string (durable runs): replayed calls cost nothing. */
  journal?: (
    modelString: string,
    price: PriceEntry | undefined,
  ) => { journal: LanguageModelV3Middleware; sent: LanguageModelV3Middleware | LanguageModelV3Middleware[] };
  /** Spent by earlier sessions of a resumed run; counts against the budget. */
  spentBefore?: { usd: number; tokens: number };
  /** Run generated code on the host when no sandbox exists (dangerous). Default false. */
  allowUnsafeSandbox?: boolean;
  /** Replaces the sandbox (tests, or a runner of your own). */
  sandbox?: ProgramSandbox;
  clock?: () => number;
  /**
   * The guard: every program is scanned before it runs and refused when the policy says so (a refused program's
   * outcome is `not-run`); the policy's `env` names the host variables the program sees. Default: no guard.
   */
  guard?: GuardOptions;
  /** Told of every program the sandbox ran (the job layer makes `sandbox-result` events of it). */
  onProgramRun?: (run: { entry: string; language: string; outcome: TestOutcome }) => void;
  logger?: Logger;
  store?: RunStore;
  /** OpenTelemetry spans per model call: `enabled` (`--otel`) overrides config `telemetry`; `runId` etc. are added to its settings. */
  telemetry?: TelemetryOptions & { enabled?: boolean };
}): Promise<Runtime> {
  const { loaded, env } = options;
  checkModelStrings(loaded);
  const config = loaded.config;
  const resolved = await resolveModelString({
    config,
    sources: loaded.sources,
    ...(options.probe ? { probe: options.probe } : {}),
  });
  const usage = new UsageTracker();
  const budget = new BudgetGuard(
    {
      ...(config.budget?.usd !== undefined ? { maxUsd: config.budget.usd } : {}),
      ...(config.budget?.tokens !== undefined ? { maxTokens: config.budget.tokens } : {}),
    },
    usage,
    options.spentBefore,
  );
  const concurrency = config.limits?.concurrency ?? defaultConcurrency;
  const outputLimits = resolveOutputLimits(config);
  const telemetry = resolveTelemetry(config.telemetry, options.telemetry);
  const stacks = new Map<string, LanguageModelV3>();
  const limiters = new Map<string, ModelLimiter>();

  const build = (modelString: string): LanguageModelV3 => {
    const existing = stacks.get(modelString);
    if (existing) return existing;
    const spec = parseModelString(modelString);
    const raw = createProviderModel(spec, config, env);
    let limiter = limiters.get(modelString);
    if (!limiter) {
      limiter = createModelLimiter({
        concurrency,
        ...(config.limits?.requestsPerMinute ? { requestsPerMinute: config.limits.requestsPerMinute } : {}),
        ...(config.limits?.tokensPerMinute ? { tokensPerMinute: config.limits.tokensPerMinute } : {}),
      });
      limiters.set(modelString, limiter);
    }
    const wrapped = buildModelStack({
      model: raw,
      tracker: usage,
      limiter,
      retry: { maxAttempts: config.limits?.maxAttempts ?? 5 },
      timeoutMs: config.limits?.timeoutMs ?? 120_000,
      maxReplyChars: outputLimits.maxReplyChars,
      name: spec.text,
      budget,
      ...(options.journal ? options.journal(modelString, resolvePrice(spec.text, config.prices)) : {}),
      prices: config.prices ?? {},
      telemetry,
    });
    stacks.set(modelString, wrapped);
    return wrapped;
  };

  const modelString = (role?: string) => (role ? config.roleModels?.[role] : undefined) ?? resolved.model;
  const all = [resolved.model, ...Object.values(config.roleModels ?? {})];
  for (const m of all) build(m); // fail fast on missing keys
  const embedding = config.embeddingModel
    ? { model: createEmbeddingModel(config.embeddingModel, config, env), name: config.embeddingModel }
    : undefined;
  let sandbox: ProgramSandbox | undefined;
  return {
    get sandbox() {
      // detected on first use: a network with no code to run never looks for one
      sandbox ??= reporting(
        guarded(
          options.sandbox ??
            createProgramRunner({
              allowUnsafe: options.allowUnsafeSandbox === true,
              ...(options.guard ? { env: visibleEnv(options.guard, env) } : {}),
            }),
          options.guard,
        ),
        options.onProgramRun,
      );
      return sandbox;
    },
    clock: options.clock ?? Date.now,
    logger: options.logger ?? { info: () => {}, warn: () => {} },
    ...(options.store ? { store: options.store } : {}),
    config,
    defaultModel: resolved.model,
    modelSource: resolved.source,
    get simulated() {
      return [...stacks.keys()].some((m) => parseModelString(m).provider === 'sim');
    },
    usage,
    budget,
    seed: config.seed ?? 0,
    concurrency,
    outputLimits,
    signal: options.signal ?? new AbortController().signal,
    modelString,
    model: (role) => build(modelString(role)),
    modelByString: (model) => build(model),
    ...(embedding ? { embedding } : {}),
  };
}
