import { z } from 'zod';
import { ConfigError } from '../../errors/index.js';

/**
 * Latency of the simulated model. `fixed` waits `ms`; `uniform` draws from
 * [minMs, maxMs]; `lognormal` draws a heavy-tailed latency whose median is
 * `medianMs` and whose logarithm has standard deviation `sigma` (σ = 1: the
 * mean is 1.65 × the median, one call in 20 takes over 5 × the median).
 * Zero latency answers on the next microtask.
 */
export type SimLatency =
  | { kind: 'fixed'; ms: number }
  | { kind: 'uniform'; minMs: number; maxMs: number }
  | { kind: 'lognormal'; medianMs: number; sigma: number };

/** Zod schema of {@link SimLatency}. */
export const simLatencySchema = z.union([
  z.object({ kind: z.literal('fixed'), ms: z.number().min(0) }),
  z.object({ kind: z.literal('uniform'), minMs: z.number().min(0), maxMs: z.number().min(0) }),
  z.object({ kind: z.literal('lognormal'), medianMs: z.number().min(0), sigma: z.number().min(0).max(4) }),
]);

/**
 * Draws one latency in milliseconds from `latency`, using `random` (a seeded
 * source of uniform numbers in [0, 1)): the same seed gives the same sequence.
 * A lognormal draw uses two numbers (Box–Muller), the other kinds one or none.
 */
export function drawLatencyMs(latency: SimLatency, random: () => number): number {
  switch (latency.kind) {
    case 'fixed':
      return latency.ms;
    case 'uniform':
      return latency.minMs + random() * (latency.maxMs - latency.minMs);
    case 'lognormal': {
      const u = 1 - random(); // (0, 1]: log(u) is finite
      const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
      return latency.medianMs * Math.exp(latency.sigma * normal);
    }
  }
}

/** Options of the simulated model (`sim`), from `sim?key=value&…` or the config file. */
export const simOptionsSchema = z
  .object({
    /** Seed mixed into every reply and fault decision. Default 0. */
    seed: z.number().int().default(0),
    /** Latency per call. Default zero. */
    latency: simLatencySchema.default({ kind: 'fixed', ms: 0 }),
    /** Share of calls (0..1) answered with HTTP 429 and a Retry-After of `retryAfterMs`. */
    fail429: z.number().min(0).max(1).default(0),
    /** Share of calls (0..1) answered with HTTP 500. */
    fail500: z.number().min(0).max(1).default(0),
    /** Share of calls (0..1) that hang until aborted (simulates a stuck connection). */
    timeout: z.number().min(0).max(1).default(0),
    /** Share of calls (0..1) whose reply is garbage (broken protocol: no code, bad JSON, no marker). */
    malformed: z.number().min(0).max(1).default(0),
    /** Share of calls (0..1) that fail with a non-retryable HTTP 400 (a permanently broken model). */
    failHard: z.number().min(0).max(1).default(0),
    /** Assistant turns a role-play dialogue lasts at least before the sim concludes it (a talkative model). Default 1. */
    minTurns: z.number().int().min(1).max(50).default(1),
    /**
     * A network edge's critic approves (ends the exchange with `<INFO> Approved`) on its n-th review of the
     * edge, and never before; 0, the default, never approves, so every edge uses all its rounds.
     */
    approveAfter: z.number().int().min(0).max(50).default(0),
    /** Retry-After sent with simulated 429s, in milliseconds. Default 20. */
    retryAfterMs: z.number().min(0).default(20),
  })
  .strict();

/** Parsed simulated-model options. */
export type SimOptions = z.infer<typeof simOptionsSchema>;

const durationPattern = /^(\d+(?:\.\d+)?)(ms|s)?$/;

function parseDuration(key: string, text: string): number {
  const match = durationPattern.exec(text.trim());
  if (!match)
    throw new ConfigError({
      key,
      message: `sim option '${key}': expected a duration like 50ms or 1.5s, got '${text}'`,
    });
  const value = Number(match[1]);
  return match[2] === 's' ? value * 1000 : value;
}

function parseRate(key: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0 || value > 1) {
    throw new ConfigError({ key, message: `sim option '${key}': expected a rate between 0 and 1, got '${text}'` });
  }
  return value;
}

/**
 * Parses latency notation: `50ms`, `1s`, `20-80ms` (uniform range), or
 * `50ms±20%` / `50ms~20%` (uniform, ±20 %).
 */
export function parseLatency(text: string): SimLatency {
  const spread = /^(.+?)(?:±|~|\+-)(\d+(?:\.\d+)?)%$/.exec(text.trim());
  if (spread) {
    const ms = parseDuration('latency', spread[1]!);
    const pct = Number(spread[2]) / 100;
    return { kind: 'uniform', minMs: ms * (1 - pct), maxMs: ms * (1 + pct) };
  }
  const range = /^(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)(ms|s)?$/.exec(text.trim());
  if (range) {
    const unit = range[3] ?? 'ms';
    const lo = parseDuration('latency', `${range[1]}${unit}`);
    const hi = parseDuration('latency', `${range[2]}${unit}`);
    if (hi < lo)
      throw new ConfigError({
        key: 'latency',
        message: `sim option 'latency': range '${text}' has its maximum below its minimum`,
      });
    return { kind: 'uniform', minMs: lo, maxMs: hi };
  }
  return { kind: 'fixed', ms: parseDuration('latency', text) };
}

const queryKeys = [
  'seed',
  'latency',
  'jitter',
  'sigma',
  'fail429',
  'fail500',
  'timeout',
  'malformed',
  'failHard',
  'retryAfter',
  'minTurns',
  'approveAfter',
] as const;

/**
 * Parses the query part of a `sim?latency=50ms&fail429=0.1` model string.
 * `jitter=0.2` widens a fixed latency to ±20 %; `sigma=1` makes a fixed
 * latency the median of a heavy-tailed (lognormal) one with that σ.
 * @throws ConfigError naming the bad key.
 */
export function parseSimQuery(query: string, base: Partial<SimOptions> = {}): SimOptions {
  const params = new URLSearchParams(query);
  const raw: Record<string, unknown> = { ...base };
  let jitter: number | undefined;
  let sigma: number | undefined;
  for (const [key, value] of params) {
    switch (key) {
      case 'seed': {
        const seed = Number(value);
        if (!Number.isInteger(seed))
          throw new ConfigError({ key, message: `sim option 'seed': expected an integer, got '${value}'` });
        raw.seed = seed;
        break;
      }
      case 'latency':
        raw.latency = parseLatency(value);
        break;
      case 'jitter':
        jitter = parseRate(key, value);
        break;
      case 'sigma': {
        sigma = Number(value);
        if (value.trim() === '' || !Number.isFinite(sigma) || sigma < 0 || sigma > 4)
          throw new ConfigError({ key, message: `sim option 'sigma': expected a number from 0 to 4, got '${value}'` });
        break;
      }
      case 'minTurns': {
        const turns = Number(value);
        if (!Number.isInteger(turns) || turns < 1 || turns > 50)
          throw new ConfigError({
            key,
            message: `sim option 'minTurns': expected a whole number from 1 to 50, got '${value}'`,
          });
        raw.minTurns = turns;
        break;
      }
      case 'approveAfter': {
        const reviews = Number(value);
        if (!Number.isInteger(reviews) || reviews < 0 || reviews > 50)
          throw new ConfigError({
            key,
            message: `sim option 'approveAfter': expected a whole number from 0 to 50, got '${value}'`,
          });
        raw.approveAfter = reviews;
        break;
      }
      case 'retryAfter':
        raw.retryAfterMs = parseDuration(key, value);
        break;
      case 'fail429':
      case 'fail500':
      case 'timeout':
      case 'malformed':
      case 'failHard':
        raw[key] = parseRate(key, value);
        break;
      default:
        throw new ConfigError({
          key,
          message: `unknown sim option '${key}' (expected one of: ${queryKeys.join(', ')})`,
        });
    }
  }
  const options = simOptionsSchema.parse(raw);
  if (jitter !== undefined && sigma !== undefined)
    throw new ConfigError({ key: 'sigma', message: "sim options 'jitter' and 'sigma' cannot be combined: pick one" });
  if (sigma !== undefined) {
    if (options.latency.kind !== 'fixed')
      throw new ConfigError({
        key: 'sigma',
        message: "sim option 'sigma' needs a single latency (the median), like latency=50ms&sigma=1, not a range",
      });
    options.latency = { kind: 'lognormal', medianMs: options.latency.ms, sigma };
  }
  if (jitter !== undefined && options.latency.kind === 'fixed') {
    const ms = options.latency.ms;
    options.latency = { kind: 'uniform', minMs: ms * (1 - jitter), maxMs: ms * (1 + jitter) };
  }
  return options;
}
