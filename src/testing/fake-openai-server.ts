import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { estimateTokens, seededRandom } from '../common/index.js';
import {
  drawLatencyMs,
  simLatencySchema,
  simulateReply,
  type SimLatency,
  type SimMessage,
} from '../model/sim/index.js';

/**
 * A scripted failure of the fake server: a 429 with Retry-After, a 500, a request never answered (`hang`),
 * half a JSON body (`truncated`), or headers and the first part of the answer and then nothing (`stall`: a
 * body that stalls, for streamed and plain requests alike).
 */
export type FakeFault = '429' | '500' | 'hang' | 'truncated' | 'stall';

/** Options of {@link startFakeOpenAIServer}. */
export interface FakeServerOptions {
  /** Reply text for a request (default: the simulated model's reply). */
  reply?: (request: {
    messages: SimMessage[];
    model: string;
    temperature?: number;
    seed?: number;
  }) => string | Promise<string>;
  /** Latency per successful response, ms: fixed or a [min, max] range. */
  latencyMs?: number | [number, number];
  /**
   * Latency per successful response as the simulated model describes it, e.g. heavy-tailed
   * `{ kind: 'lognormal', medianMs: 20, sigma: 1 }`. Takes precedence over `latencyMs`.
   */
  latency?: SimLatency;
  /** Seed of the latency draws, in arrival order of the requests. Default 7. */
  latencySeed?: number;
  /** Random faults: this share of requests fails with one of `kinds` (seeded). */
  faults?: { rate: number; kinds: FakeFault[]; seed?: number };
  /** Explicit per-request script, used before random faults: `ok` or a fault, one per request in arrival order. */
  script?: Array<FakeFault | 'ok'>;
  /** Retry-After sent with 429s: `{ ms }` as retry-after-ms, or `{ seconds }` as Retry-After. Default { ms: 50 }. */
  retryAfter?: { ms: number } | { seconds: number };
  /** Model ids listed by /v1/models. */
  models?: string[];
  /** Vector for an input of `/v1/embeddings` (default: {@link bagOfWordsEmbedding}). */
  embed?: (text: string) => number[];
}

/**
 * The fake server's default embedding: words (letters only, lower-cased)
 * hashed into 64 buckets and counted. Texts sharing words point the same way;
 * deterministic, so tests can write down the similarity they expect.
 */
export function bagOfWordsEmbedding(text: string): number[] {
  const vector = Array<number>(64).fill(0);
  for (const word of text.toLowerCase().match(/[a-z]+/g) ?? []) {
    let h = 2166136261;
    for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), 16777619);
    vector[(h >>> 0) % 64]! += 1;
  }
  return vector;
}

/** What the server observed. */
export interface FakeServerStats {
  requests: number;
  outcomes: Record<FakeFault | 'ok', number>;
  inFlight: number;
  maxInFlight: number;
  /** Requests whose connection the client closed before the answer was complete (a cancelled or timed-out call). */
  closedEarly: number;
  /** Tokens served in successful responses. */
  completionTokens: number;
  promptTokens: number;
  /** Arrival time of every request, with its outcome, the prompt it carried and the latency drawn for it (ms). */
  log: Array<{ at: number; outcome: FakeFault | 'ok'; promptKey: string; latencyMs?: number }>;
}

/** A running fake server. */
export interface FakeServer {
  /** Base URL for OpenAI-compatible clients, e.g. `http://127.0.0.1:43117/v1`. */
  url: string;
  stats: FakeServerStats;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}

type ContentPart = { type?: string; text?: string };
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return (content as ContentPart[]).map((p) => (p.type === 'text' ? (p.text ?? '') : '')).join('');
  return '';
}

/**
 * Starts an OpenAI-compatible HTTP server on 127.0.0.1 (a free port) that
 * answers `/v1/chat/completions` (streaming and not), `/v1/models` and `/v1/embeddings` with
 * simulated replies, scripted latency and faults: 429 with Retry-After, 500,
 * hung connections, truncated JSON. For tests of the real provider code.
 */
export async function startFakeOpenAIServer(options: FakeServerOptions = {}): Promise<FakeServer> {
  const random = seededRandom(options.faults?.seed ?? 1);
  const latencyRandom = seededRandom(options.latencySeed ?? 7);
  const sockets = new Set<Socket>();
  const stats: FakeServerStats = {
    requests: 0,
    outcomes: { ok: 0, '429': 0, '500': 0, hang: 0, truncated: 0, stall: 0 },
    inFlight: 0,
    maxInFlight: 0,
    closedEarly: 0,
    completionTokens: 0,
    promptTokens: 0,
    log: [],
  };
  let served = 0;

  const pickOutcome = (): FakeFault | 'ok' => {
    const index = served++;
    if (options.script && index < options.script.length) return options.script[index]!;
    const f = options.faults;
    if (f && f.kinds.length > 0 && random() < f.rate) return f.kinds[Math.floor(random() * f.kinds.length)]!;
    return 'ok';
  };
  const range = options.latencyMs ?? 0;
  const latencySpec: SimLatency = options.latency
    ? simLatencySchema.parse(options.latency)
    : typeof range === 'number'
      ? { kind: 'fixed', ms: range }
      : { kind: 'uniform', minMs: range[0], maxMs: range[1] };
  const latency = () => drawLatencyMs(latencySpec, latencyRandom);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET' && req.url === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          object: 'list',
          data: (options.models ?? ['fake-model']).map((id) => ({ id, object: 'model', owned_by: 'crosstalk-test' })),
        }),
      );
      return;
    }
    if (req.method === 'POST' && req.url === '/v1/embeddings') {
      const body = JSON.parse(await readBody(req)) as { input?: string | string[]; model?: string };
      const inputs = Array.isArray(body.input) ? body.input : [body.input ?? ''];
      const embed = options.embed ?? bagOfWordsEmbedding;
      const tokens = inputs.reduce((sum, text) => sum + estimateTokens(text), 0);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          object: 'list',
          data: inputs.map((text, index) => ({ object: 'embedding', index, embedding: embed(text) })),
          model: body.model ?? 'fake-embedding',
          usage: { prompt_tokens: tokens, total_tokens: tokens },
        }),
      );
      return;
    }
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `no route ${req.method} ${req.url}` } }));
      return;
    }
    const raw = await readBody(req);
    let body: {
      model?: string;
      messages?: Array<{ role: string; content: unknown }>;
      stream?: boolean;
      temperature?: number;
      seed?: number;
    };
    try {
      body = JSON.parse(raw);
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'invalid JSON body' } }));
      return;
    }
    const messages: SimMessage[] = (body.messages ?? [])
      .filter((m) => m.role === 'system' || m.role === 'user' || m.role === 'assistant')
      .map((m) => ({ role: m.role as SimMessage['role'], content: textOf(m.content) }));
    const promptText = messages.map((m) => m.content).join('\n');
    const outcome = pickOutcome();
    stats.requests++;
    stats.outcomes[outcome]++;
    const entry: FakeServerStats['log'][number] = { at: Date.now(), outcome, promptKey: promptText };
    stats.log.push(entry);
    res.on('close', () => {
      if (!res.writableFinished) stats.closedEarly++;
    });

    if (outcome === '429') {
      const ra = options.retryAfter ?? { ms: 50 };
      res.writeHead(429, {
        'content-type': 'application/json',
        ...('ms' in ra ? { 'retry-after-ms': String(ra.ms) } : { 'retry-after': String(ra.seconds) }),
      });
      res.end(JSON.stringify({ error: { message: 'rate limited (fake)', type: 'rate_limit_error' } }));
      return;
    }
    if (outcome === '500') {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: 'internal error (fake)' } }));
      return;
    }
    if (outcome === 'hang') return; // never answer; the client's timeout or close() ends it

    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    try {
      const wait = latency();
      entry.latencyMs = wait;
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const text = await (
        options.reply ??
        ((r) =>
          simulateReply({
            messages: r.messages,
            seed: r.seed ?? 0,
            ...(r.temperature !== undefined ? { temperature: r.temperature } : {}),
            modelId: r.model,
          }))
      )({
        messages,
        model: body.model ?? 'fake-model',
        ...(body.temperature !== undefined ? { temperature: body.temperature } : {}),
        ...(body.seed !== undefined ? { seed: body.seed } : {}),
      });
      const usage = {
        prompt_tokens: estimateTokens(promptText),
        completion_tokens: estimateTokens(text),
        total_tokens: 0,
      };
      usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
      const id = `chatcmpl-fake-${stats.requests}`;
      const created = Math.floor(Date.now() / 1000);
      const model = body.model ?? 'fake-model';
      const completion = () =>
        JSON.stringify({
          id,
          object: 'chat.completion',
          created,
          model,
          choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
          usage,
        });
      const chunk = (delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}) =>
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [{ index: 0, delta, finish_reason: finish }], ...extra })}\n\n`;
      const startEvents = () =>
        res.writeHead(200, {
          'content-type': 'text/event-stream',
          'cache-control': 'no-cache',
          connection: 'keep-alive',
        });
      if (outcome === 'truncated') {
        const full = completion();
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(full.slice(0, Math.floor(full.length / 2)));
        return;
      }
      if (outcome === 'stall') {
        // headers and a first part, then silence: only the client's timeout or abort ends it
        if (body.stream) {
          startEvents();
          res.write(chunk({ role: 'assistant', content: text.slice(0, 40) }, null));
        } else {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write(JSON.stringify({ id, object: 'chat.completion', created, model }).slice(0, -1));
        }
        return;
      }
      stats.completionTokens += usage.completion_tokens;
      stats.promptTokens += usage.prompt_tokens;
      if (body.stream) {
        startEvents();
        res.write(chunk({ role: 'assistant', content: '' }, null));
        for (const piece of text.match(/[\s\S]{1,40}/g) ?? []) res.write(chunk({ content: piece }, null));
        res.write(chunk({}, 'stop'));
        res.write(
          `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, choices: [], usage })}\n\n`,
        );
        res.end('data: [DONE]\n\n');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(completion());
    } finally {
      stats.inFlight--;
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: String(error) } }));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    stats,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
