import { setMaxListeners } from 'node:events';
import { EventStream, type CrosstalkEvent } from '../events/index.js';
import type { JobEnvironment } from './job-run.js';

/**
 * A run in progress. Iterate it (or `events`) for its typed events as they
 * happen; await `result` for how it ended. Events are buffered from the
 * start, so nothing is missed by iterating late; iteration ends with the run.
 */
export interface RunHandle<Result> extends AsyncIterable<CrosstalkEvent> {
  /** The run's events, in order, ending with `run-finished`. */
  readonly events: AsyncIterable<CrosstalkEvent>;
  /** How the run ended. Rejects only for bad input or internal errors: a budget stop or an abort resolves with that status. */
  readonly result: Promise<Result>;
  /** The run's id, once the run store has recorded it. */
  readonly runId: Promise<string>;
  /** Stops the run; it ends as `interrupted` and can be resumed. */
  abort(reason?: unknown): void;
}

/** What {@link startRun} needs besides the job itself. */
export interface StartOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
  onEvent?: (event: CrosstalkEvent) => void;
  probe?: JobEnvironment['probe'];
  sandbox?: JobEnvironment['sandbox'];
  askApproval?: JobEnvironment['askApproval'];
  sent?: JobEnvironment['sent'];
}

/**
 * Starts a job in the background and returns its handle. The job receives an
 * environment whose signal aborts when the caller's signal does or when
 * `abort()` is called, and whose events feed the handle's stream.
 */
export function startRun<Result>(
  options: StartOptions,
  job: (environment: JobEnvironment) => Promise<Result>,
): RunHandle<Result> {
  const stream = new EventStream();
  const controller = new AbortController();
  // every model call in flight listens to this signal; a large network has thousands
  setMaxListeners(0, controller.signal);
  const outer = options.signal;
  if (outer) {
    if (outer.aborted) controller.abort(outer.reason);
    else outer.addEventListener('abort', () => controller.abort(outer.reason), { once: true });
  }
  let resolveId!: (id: string) => void;
  let rejectId!: (error: unknown) => void;
  const runId = new Promise<string>((resolve, reject) => {
    resolveId = resolve;
    rejectId = reject;
  });
  runId.catch(() => {}); // a caller that never asks for the id must not see an unhandled rejection
  const onEvent = (event: CrosstalkEvent) => {
    if (event.type === 'run-started') resolveId(event.runId);
    options.onEvent?.(event);
    stream.push(event);
  };
  const environment: JobEnvironment = {
    cwd: options.cwd ?? process.cwd(),
    env: options.env ?? process.env,
    signal: controller.signal,
    onEvent,
    ...(options.probe ? { probe: options.probe } : {}),
    ...(options.sandbox ? { sandbox: options.sandbox } : {}),
    ...(options.askApproval ? { askApproval: options.askApproval } : {}),
    ...(options.sent ? { sent: options.sent } : {}),
  };
  // start on the next turn, so a caller can attach to the handle before the first event
  const result = Promise.resolve()
    .then(() => job(environment))
    .finally(() => stream.close());
  result.then(
    () => rejectId(new Error('the run ended before it started')),
    (error: unknown) => rejectId(error),
  );
  return {
    events: stream,
    result,
    runId,
    abort: (reason?: unknown) => controller.abort(reason),
    [Symbol.asyncIterator]: () => stream[Symbol.asyncIterator](),
  };
}
