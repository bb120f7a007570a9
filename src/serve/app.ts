import { Hono, type Context } from 'hono';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import type { CrosstalkEvent } from '../events/index.js';
import { readRunEvents } from '../jobs/index.js';
import type { RunStore } from '../store/index.js';
import { hostName, isLoopback, presentedToken, tokenMatches } from './guard.js';
import type { LiveRuns } from './live-runs.js';
import {
  CallIndexCache,
  RunPageCache,
  listRunViews,
  nodeDialogue,
  runEvents,
  stepArtifact,
  stepDetail,
} from './run-data.js';
import type { ViewerResume } from './resume.js';
import { ReplayedMarker } from './replayed-live.js';
import { readWebFile } from './static-files.js';
import { z } from 'zod';

/** What the viewer's web app serves. */
export interface ViewerAppOptions {
  /** The run store, opened on first use; undefined while there is none (no run recorded yet). */
  store: () => RunStore | undefined;
  /** Runs executing in this process, streamed live. */
  live?: LiveRuns;
  /** When set, every request must present it (header, query or cookie). */
  token?: string;
  /** Allow requests that change runs (cancel). Default: read-only. */
  allowControl?: boolean;
  /** The host the server is bound to: on a loopback address without a token, only loopback `Host` names are served. */
  boundHost?: string;
  /** The built web viewer (index.html and assets); without it the API is served alone. */
  webRoot?: string;
  /** Resumes a stopped run in this process (with `allowControl`); without it, resuming is not offered. */
  resume?: ViewerResume;
  /** Poll interval when following a run of another process through the store, ms. Default 200. */
  pollMs?: number;
}

/** A resume request: the new budget in dollars and/or tokens (both optional: the run's stored limits stay). */
const resumeBody = z
  .object({
    budgetUsd: z.number().positive().finite().optional(),
    maxTokens: z.number().int().positive().optional(),
  })
  .strict();

/** Longest pause between two replayed events, ms, whatever the recorded gap. */
const maxReplayGapMs = 2000;

const notFound = (c: Context, what: string) => c.json({ error: { code: 'NOT_FOUND', message: what } }, 404);
const badRequest = (c: Context, message: string) => c.json({ error: { code: 'BAD_REQUEST', message } }, 400);

/** Content-Security-Policy of every response: the page loads only its own scripts and talks only to this server. */
const csp = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/**
 * The viewer's HTTP application: a read-only JSON API over the run store, a
 * server-sent-events stream of each run's events and the built web viewer.
 * CORS stays closed (no `Access-Control-Allow-*` header is ever sent, and a
 * request from a foreign origin is refused); with a token every request must
 * present it; without one, a server bound to loopback answers only loopback
 * `Host` names (no DNS rebinding).
 */
export function createViewerApp(options: ViewerAppOptions): Hono {
  const app = new Hono();
  const callIndex = new CallIndexCache();
  const pages = new RunPageCache();
  const boundLoopback = options.boundHost === undefined || isLoopback(options.boundHost);

  app.use('*', async (c, next) => {
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
    c.header('Content-Security-Policy', csp);
    c.header('Cache-Control', 'no-store');
    const host = c.req.header('host') ?? new URL(c.req.url).host;
    if (!options.token && boundLoopback && !isLoopback(hostName(host) ?? '')) {
      return c.json({ error: { code: 'FORBIDDEN', message: 'this viewer answers only to localhost' } }, 403);
    }
    const origin = c.req.header('origin');
    if (origin !== undefined && origin !== 'null') {
      let sameOrigin = false;
      try {
        sameOrigin = new URL(origin).host === host;
      } catch {
        sameOrigin = false;
      }
      if (!sameOrigin)
        return c.json({ error: { code: 'FORBIDDEN', message: 'cross-origin requests are not allowed' } }, 403);
    }
    if (c.req.method === 'OPTIONS')
      return c.json({ error: { code: 'FORBIDDEN', message: 'cross-origin requests are not allowed' } }, 403);
    if (options.token) {
      const { token, from } = presentedToken(c.req);
      if (!tokenMatches(token, options.token))
        return c.json({ error: { code: 'UNAUTHORIZED', message: 'a valid token is required' } }, 401);
      // the page's own requests (scripts, the event stream) then carry it as a cookie
      if (from === 'query')
        c.header('Set-Cookie', `crosstalk_token=${encodeURIComponent(token!)}; Path=/; HttpOnly; SameSite=Strict`);
    }
    await next();
  });

  const withStore = <T>(c: Context, body: (store: RunStore) => T | Response): T | Response => {
    const store = options.store();
    if (!store) return notFound(c, 'no run store yet: no run has been recorded');
    return body(store);
  };

  app.get('/api/runs', (c) => {
    const store = options.store();
    const limitText = c.req.query('limit');
    const limit = limitText === undefined ? undefined : Number(limitText);
    if (limit !== undefined && (!Number.isInteger(limit) || limit < 1))
      return badRequest(c, 'limit must be a whole number of at least 1');
    const filter = {
      ...(c.req.query('kind') ? { kind: c.req.query('kind')! } : {}),
      ...(c.req.query('status') ? { status: c.req.query('status')! } : {}),
      ...(c.req.query('model') ? { model: c.req.query('model')! } : {}),
      ...(limit !== undefined ? { limit } : {}),
    };
    return c.json({ runs: store ? listRunViews(store, filter) : [] });
  });

  app.get('/api/runs/:id', (c) =>
    withStore(c, (store) => {
      const page = pages.get(store, c.req.param('id'));
      if (!page) return notFound(c, `no run '${c.req.param('id')}'`);
      // the page data is serialized once per finished run; what this server adds goes in front of it
      const live = options.live?.get(c.req.param('id')) !== undefined;
      // the page offers resuming a stopped run when this server may do it
      const canResume = Boolean(options.allowControl && options.resume);
      return c.body(`{"live":${live},"canResume":${canResume},${page.json.slice(1)}`, 200, {
        'Content-Type': 'application/json; charset=UTF-8',
      });
    }),
  );

  app.get('/api/runs/:id/step', (c) =>
    withStore(c, (store) => {
      const id = c.req.param('id');
      const stepId = c.req.query('step');
      if (!store.getRun(id)) return notFound(c, `no run '${id}'`);
      if (!stepId) return badRequest(c, 'step is required');
      const step = pages.peek(store, id)?.steps.get(stepId) ?? store.getSteps(id).find((s) => s.id === stepId);
      if (!step) return notFound(c, `run '${id}' has no step '${stepId}'`);
      return c.json({ step: stepDetail(step) });
    }),
  );

  app.get('/api/runs/:id/events', (c) =>
    withStore(c, (store) => {
      const id = c.req.param('id');
      if (!store.getRun(id)) return notFound(c, `no run '${id}'`);
      const after = Number(c.req.query('after') ?? 0);
      if (!Number.isInteger(after) || after < 0) return badRequest(c, 'after must be a sequence number');
      const limit = Number(c.req.query('limit') ?? 10_000);
      if (!Number.isInteger(limit) || limit < 1) return badRequest(c, 'limit must be a whole number of at least 1');
      const types = c.req.query('type')?.split(',').filter(Boolean);
      const events = runEvents(store, id, after, limit);
      return c.json({ events: types?.length ? events.filter((e) => types.includes(e.type)) : events });
    }),
  );

  app.get('/api/runs/:id/calls', (c) =>
    withStore(c, (store) => {
      const id = c.req.param('id');
      const scope = c.req.query('scope');
      if (scope !== undefined) {
        if (!store.getRun(id)) return notFound(c, `no run '${id}'`);
        return c.json({ calls: callIndex.scope(store, id, scope) });
      }
      const index = callIndex.get(store, id);
      if (!index) return notFound(c, `no run '${id}'`);
      return c.json({ calls: index.calls });
    }),
  );

  app.get('/api/runs/:id/dialogue', (c) =>
    withStore(c, (store) => {
      const id = c.req.param('id');
      const node = c.req.query('node');
      if (!store.getRun(id)) return notFound(c, `no run '${id}'`);
      if (!node) return badRequest(c, 'node is required');
      const dialogue = nodeDialogue(store, id, node, callIndex.scope(store, id, node), pages.peek(store, id));
      if (!dialogue) return notFound(c, `run '${id}' has no node '${node}'`);
      return c.json(dialogue);
    }),
  );

  app.get('/api/runs/:id/usage', (c) =>
    withStore(c, (store) => {
      const index = callIndex.get(store, c.req.param('id'));
      if (!index) return notFound(c, `no run '${c.req.param('id')}'`);
      return c.json(index.usage);
    }),
  );

  // artifacts are content-addressed rows of the store, named by their step: no request names a file
  app.get('/api/runs/:id/artifact', (c) =>
    withStore(c, (store) => {
      const id = c.req.param('id');
      const step = c.req.query('step');
      if (!store.getRun(id)) return notFound(c, `no run '${id}'`);
      if (!step) return badRequest(c, 'step is required');
      const content = stepArtifact(store, id, step, pages.peek(store, id)?.steps);
      if (content === undefined) return notFound(c, `step '${step}' of run '${id}' has no artifact`);
      return c.json({ step, content });
    }),
  );

  app.get('/api/runs/:id/stream', (c) => {
    const id = c.req.param('id');
    const speedText = c.req.query('speed');
    const speed = speedText === undefined ? undefined : Number(speedText);
    if (speed !== undefined && !(Number.isFinite(speed) && speed > 0))
      return badRequest(c, 'speed must be a number above 0 (1 = as recorded, 10 = ten times faster)');
    const live = options.live?.get(id);
    const store = options.store();
    if (!live && !store?.getRun(id)) return notFound(c, `no run '${id}'`);
    return streamSSE(c, async (stream) => {
      const controller = new AbortController();
      stream.onAbort(() => controller.abort());
      // steps a resumed session answers from the journal are marked as they finish
      const marker = new ReplayedMarker(options.store, id);
      if (live) await streamLive(stream, live.events, marker, controller.signal);
      else await streamStored(stream, store!, id, marker, { signal: controller.signal, speed, pollMs: options.pollMs });
      if (!controller.signal.aborted) await stream.writeSSE({ event: 'end', data: '{}' });
    });
  });

  app.post('/api/runs/:id/cancel', (c) => {
    if (!options.allowControl)
      return c.json(
        { error: { code: 'READ_ONLY', message: 'this viewer is read-only (start it with --allow-control)' } },
        403,
      );
    const live = options.live?.get(c.req.param('id'));
    if (!live?.abort)
      return c.json(
        { error: { code: 'NOT_LIVE', message: 'only a run executing in this process can be stopped here' } },
        409,
      );
    live.abort(new Error('stopped from the viewer'));
    return c.json({ ok: true }, 202);
  });

  app.post('/api/runs/:id/resume', async (c) => {
    if (!options.allowControl || !options.resume)
      return c.json(
        { error: { code: 'READ_ONLY', message: 'this viewer is read-only (start it with --allow-control)' } },
        403,
      );
    // JSON only: a plain form posted from another site cannot send it
    if (!(c.req.header('content-type') ?? '').startsWith('application/json'))
      return c.json({ error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'send the resume request as JSON' } }, 415);
    const id = c.req.param('id');
    const body = resumeBody.safeParse(await c.req.json().catch(() => undefined));
    if (!body.success) {
      const issue = body.error.issues[0];
      return badRequest(c, `bad resume request: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
    }
    const store = options.store();
    if (!store?.getRun(id)) return notFound(c, `no run '${id}'`);
    if (options.live?.get(id))
      return c.json({ error: { code: 'RUN_ACTIVE', message: `run '${id}' is running in this process` } }, 409);
    try {
      await options.resume(id, body.data);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      return c.json(
        { error: { code: typeof code === 'string' ? code : 'CANNOT_RESUME', message: (error as Error).message } },
        409,
      );
    }
    return c.json({ ok: true }, 202);
  });

  app.all('/api/*', (c) => notFound(c, `no such endpoint: ${c.req.method} ${c.req.path}`));

  app.get('*', (c) => {
    if (!options.webRoot) return notFound(c, 'the web viewer is not built (npm run build); the API is under /api');
    const path = new URL(c.req.url).pathname;
    const file = readWebFile(options.webRoot, path === '/' ? 'index.html' : path);
    if (!file) return notFound(c, 'no such file');
    return c.body(new Uint8Array(file.body), 200, { 'Content-Type': file.type });
  });

  app.notFound((c) => notFound(c, 'not found'));
  return app;
}

/** Streams a run of this process: every event from its start (model calls and progress included) until it ends. */
async function streamLive(
  stream: SSEStreamingApi,
  events: AsyncIterable<CrosstalkEvent>,
  marker: ReplayedMarker,
  signal: AbortSignal,
) {
  let n = 0;
  for await (const event of events) {
    if (signal.aborted) return;
    n++;
    await stream.writeSSE({ id: String(n), data: JSON.stringify(await marker.mark(event)) });
  }
}

/**
 * Streams a run's stored events: a run of another process is followed until it ends; a finished run is sent from
 * the start, at `speed` times the recorded pace when a speed is given, else at once.
 */
async function streamStored(
  stream: SSEStreamingApi,
  store: RunStore,
  id: string,
  marker: ReplayedMarker,
  options: { signal: AbortSignal; speed: number | undefined; pollMs: number | undefined },
) {
  const finished = store.getRun(id)?.status !== 'running';
  if (finished && options.speed !== undefined) {
    let previous: number | undefined;
    for (const event of runEvents(store, id, 0, Number.MAX_SAFE_INTEGER)) {
      if (options.signal.aborted) return;
      if (previous !== undefined) {
        const wait = Math.min(maxReplayGapMs, Math.max(0, event.at - previous) / options.speed);
        if (wait > 0) await stream.sleep(wait);
      }
      previous = event.at;
      await stream.writeSSE({ id: String(event.seq), data: JSON.stringify(await marker.mark(event)) });
    }
    return;
  }
  let chain = Promise.resolve();
  await readRunEvents(store, id, {
    follow: !finished,
    signal: options.signal,
    ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
    onEvent: (event) => {
      chain = chain.then(async () =>
        stream.writeSSE({ id: String(event.seq), data: JSON.stringify(await marker.mark(event)) }),
      );
    },
  });
  await chain;
}
