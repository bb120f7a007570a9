import {
  APICallError,
  type LanguageModelV3,
  type LanguageModelV3CallOptions,
  type LanguageModelV3GenerateResult,
  type LanguageModelV3Prompt,
  type LanguageModelV3StreamPart,
  type LanguageModelV3StreamResult,
  type LanguageModelV3Usage,
} from '@ai-sdk/provider';
import { estimateTokens, hashString, seededRandom, sleep, unitFromText, type Random } from '../../common/index.js';
import { AbortedError } from '../../errors/index.js';
import { drawLatencyMs, simOptionsSchema, type SimOptions } from './sim-options.js';
import { simulateReply, type SimMessage } from './sim-reply.js';

/** Flattens an AI SDK prompt to plain-text messages (the simulated model ignores files and tools). */
export function promptToMessages(prompt: LanguageModelV3Prompt): SimMessage[] {
  const out: SimMessage[] = [];
  for (const message of prompt) {
    if (message.role === 'system') out.push({ role: 'system', content: message.content });
    else if (message.role === 'user' || message.role === 'assistant') {
      const text = message.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
      out.push({ role: message.role, content: text });
    }
  }
  return out;
}

/** Statistics of one simulated model instance, for tests and benchmarks. */
export interface SimStats {
  calls: number;
  inFlight: number;
  maxInFlight: number;
  faults: { '429': number; '500': number; timeout: number; malformed: number; hard: number };
}

type Fault = 'none' | '429' | '500' | 'timeout' | 'malformed' | 'hard';

const garbage = [
  'I am not sure what you mean. {"score": 0.',
  'As an AI model I cannot do th',
  '```\nundefined\n',
  '\u0000\u0000 lorem ipsum ',
  '',
];

/**
 * The built-in simulated model (`sim`): a deterministic, seeded
 * `LanguageModelV3` for tests, benchmarks and offline demos. Replies come from
 * {@link simulateReply}; latency and faults (429 with Retry-After, 500, hangs,
 * malformed output, permanent failure) are injected at configured rates.
 * Anything it produces measures the system, never answer quality.
 */
export class SimulatedModel implements LanguageModelV3 {
  readonly specificationVersion = 'v3' as const;
  readonly provider = 'sim';
  readonly modelId: string;
  readonly supportedUrls = {};
  readonly options: SimOptions;
  readonly stats: SimStats = {
    calls: 0,
    inFlight: 0,
    maxInFlight: 0,
    faults: { '429': 0, '500': 0, timeout: 0, malformed: 0, hard: 0 },
  };
  private readonly attempts = new Map<number, number>();
  private readonly latencyRandom: Random;

  constructor(options: Partial<SimOptions> = {}, modelId = 'sim') {
    this.options = simOptionsSchema.parse(options);
    this.modelId = modelId;
    this.latencyRandom = seededRandom(this.options.seed ^ 0x5eed);
  }

  private decideFault(promptKey: number): Fault {
    // Faults depend on the attempt number, so a retried call can succeed.
    const attempt = this.attempts.get(promptKey) ?? 0;
    this.attempts.set(promptKey, attempt + 1);
    const o = this.options;
    if (o.failHard > 0 && unitFromText(`hard:${promptKey}`, o.seed) < o.failHard) return 'hard';
    let u = unitFromText(`fault:${promptKey}:${attempt}`, o.seed);
    for (const [fault, rate] of [
      ['429', o.fail429],
      ['500', o.fail500],
      ['timeout', o.timeout],
      ['malformed', o.malformed],
    ] as const) {
      if (u < rate) return fault;
      u -= rate;
    }
    return 'none';
  }

  private latencyMs(): number {
    return drawLatencyMs(this.options.latency, this.latencyRandom);
  }

  private async respond(options: LanguageModelV3CallOptions): Promise<{ text: string; usage: LanguageModelV3Usage }> {
    const messages = promptToMessages(options.prompt);
    const promptText = messages.map((m) => `${m.role}:${m.content}`).join('\u0000');
    const promptKey = hashString(promptText, (options.seed ?? 0) ^ Math.round((options.temperature ?? 0.7) * 1000));
    const fault = this.decideFault(promptKey);
    this.stats.calls++;
    this.stats.inFlight++;
    this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.stats.inFlight);
    try {
      await sleep(this.latencyMs(), options.abortSignal);
      const url = 'sim://local/chat';
      if (fault === '429') {
        this.stats.faults['429']++;
        throw new APICallError({
          message: 'simulated rate limit (429)',
          url,
          requestBodyValues: {},
          statusCode: 429,
          responseHeaders: { 'retry-after-ms': String(this.options.retryAfterMs) },
          isRetryable: true,
        });
      }
      if (fault === '500') {
        this.stats.faults['500']++;
        throw new APICallError({
          message: 'simulated server error (500)',
          url,
          requestBodyValues: {},
          statusCode: 500,
          isRetryable: true,
        });
      }
      if (fault === 'hard') {
        this.stats.faults.hard++;
        throw new APICallError({
          message: 'simulated permanent failure (400)',
          url,
          requestBodyValues: {},
          statusCode: 400,
          isRetryable: false,
        });
      }
      if (fault === 'timeout') {
        this.stats.faults.timeout++;
        await hangUntilAborted(options.abortSignal);
      }
      let text: string;
      if (fault === 'malformed') {
        this.stats.faults.malformed++;
        text = garbage[promptKey % garbage.length]!;
      } else {
        text = simulateReply({
          messages,
          seed: combineSeeds(this.options.seed, options.seed ?? 0),
          temperature: options.temperature ?? 0.7,
          modelId: this.modelId,
          minTurns: this.options.minTurns,
          approveAfter: this.options.approveAfter,
        });
      }
      if (options.maxOutputTokens !== undefined && estimateTokens(text) > options.maxOutputTokens) {
        text = text.slice(0, options.maxOutputTokens * 4);
      }
      const input = estimateTokens(promptText);
      const output = estimateTokens(text);
      return {
        text,
        usage: {
          inputTokens: { total: input, noCache: input, cacheRead: 0, cacheWrite: 0 },
          outputTokens: { total: output, text: output, reasoning: 0 },
        },
      };
    } finally {
      this.stats.inFlight--;
    }
  }

  async doGenerate(options: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> {
    const { text, usage } = await this.respond(options);
    return {
      content: [{ type: 'text', text }],
      finishReason: { unified: 'stop', raw: 'stop' },
      usage,
      warnings: [],
      response: { id: `sim-${this.stats.calls}`, modelId: this.modelId, timestamp: new Date(0) },
    };
  }

  // Annotated with the provider's own result type: inferred, the emitted .d.ts would name Node's
  // `stream/web` ReadableStream, which a consumer compiling with the DOM lib cannot match to the
  // global ReadableStream that `LanguageModelV3` expects.
  async doStream(options: LanguageModelV3CallOptions): Promise<LanguageModelV3StreamResult> {
    const { text, usage } = await this.respond(options);
    const chunks = text.match(/[\s\S]{1,64}/g) ?? [];
    const parts: LanguageModelV3StreamPart[] = [
      { type: 'stream-start', warnings: [] },
      { type: 'text-start', id: '0' },
      ...chunks.map((delta): LanguageModelV3StreamPart => ({ type: 'text-delta', id: '0', delta })),
      { type: 'text-end', id: '0' },
      { type: 'finish', usage, finishReason: { unified: 'stop', raw: 'stop' } },
    ];
    const stream = new ReadableStream<LanguageModelV3StreamPart>({
      start(controller) {
        for (const part of parts) controller.enqueue(part);
        controller.close();
      },
    });
    return { stream };
  }
}

function abortError(signal: AbortSignal): unknown {
  return signal.reason instanceof Error ? signal.reason : new AbortedError();
}

function hangUntilAborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    if (!signal) return; // hangs for ever, as a stuck connection does; callers must set a timeout
    if (signal.aborted) return reject(abortError(signal));
    signal.addEventListener('abort', () => reject(abortError(signal)), { once: true });
  });
}

/**
 * The reply seed from the model's own seed and the call's. Not XOR: the CLI passes `--seed` as both, and
 * `s ^ s` is 0 for every s, so `--seed` changed no reply. Seeds 0 and 0 still give 0.
 */
export function combineSeeds(modelSeed: number, callSeed: number): number {
  return (Math.imul(modelSeed, 31) + callSeed) >>> 0;
}
