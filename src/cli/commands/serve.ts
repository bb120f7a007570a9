import { existsSync } from 'node:fs';
import type { JobEnvironment } from '../../jobs/index.js';
import { feedLive, LiveRuns, startViewer, type Viewer, type ViewerOptions } from '../../serve/index.js';
import type { CliContext } from '../context.js';
import { defineCommand } from '../define-command.js';
import type { Register } from '../main.js';
import type { Output } from '../output.js';
import { wholeNumber } from '../parse-flags.js';
import { runWithProgress } from '../run-job.js';
import { storePath } from './runs.js';

/** The viewer flags `serve` has, and `dev`, `net` and `story` take with `--serve`. */
export const viewerFlags: Array<readonly [string, string]> = [
  ['--host <address>', 'viewer: address to listen on (default 127.0.0.1; any other needs --token)'],
  ['--port <n>', 'viewer: port to listen on (default: a free one)'],
  ['--token <secret>', 'viewer: required on every request (or set CROSSTALK_VIEWER_TOKEN)'],
  ['--allow-control', 'viewer: allow stopping a run from the page (default read-only)'],
];

/** The viewer's options from a command's flags. */
export function viewerOptions(
  ctx: CliContext,
  options: Record<string, unknown>,
): Omit<ViewerOptions, 'storePath' | 'live'> {
  const token = (options.token as string | undefined) ?? ctx.env.CROSSTALK_VIEWER_TOKEN;
  return {
    ...(options.host !== undefined ? { host: String(options.host) } : {}),
    port: wholeNumber('--port', options.port, 0, 0, 65535),
    ...(token ? { token } : {}),
    ...(options.allowControl === true ? { allowControl: true } : {}),
  };
}

/** Prints the viewer's address: the line to open, and the one tests and scripts wait for. */
export function announceViewer(out: Output, viewer: Viewer): void {
  out.note(`crosstalk: viewer at ${viewer.url}`);
}

/** Resolves once `signal` aborts. */
function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}

/** `crosstalk serve [--store PATH]`: the web viewer over every run in a store, until Ctrl-C. */
export const registerServe: Register = (program, ctx, run) => {
  defineCommand(program, {
    name: 'serve',
    description: 'serve a live web viewer of the runs in a store: networks, teams, dialogues, replay (until Ctrl-C)',
    options: viewerFlags,
  }).action(
    run(async (_args, options, out) => {
      const path = storePath(ctx, options);
      const viewer = await startViewer({ storePath: path, ...viewerOptions(ctx, options) });
      out.result({ ok: true, url: viewer.url, store: path });
      announceViewer(out, viewer);
      if (!existsSync(path)) out.note(`crosstalk: no runs in ${path} yet; runs appear as they are recorded`);
      await untilAborted(ctx.signal);
      await viewer.close();
      return 0;
    }),
  );
};

/** `--serve` and the viewer flags, for the commands that start a run. */
export const serveOptions: Array<readonly [string, string]> = [
  ['--serve', 'open the web viewer on this run (prints its address; stays open after the run until Ctrl-C)'],
  ...viewerFlags,
];

/** A viewer opened by `--serve` on the run a command starts. */
export interface ServedRun {
  /** The environment to run the job with: its events feed the viewer live. */
  wrap(environment: JobEnvironment): JobEnvironment;
  /** After the command printed its ending: keeps the viewer open until Ctrl-C, then closes it. */
  keepOpen(): Promise<void>;
  /** Closes the viewer at once (the job failed to start). */
  close(): Promise<void>;
}

/**
 * With `--serve`, starts the viewer over the command's store and returns how to feed it the run; without, nothing.
 * Prints the viewer's address at once, and the run's page once the run has an id.
 */
export async function serveRun(
  ctx: CliContext,
  out: Output,
  options: Record<string, unknown>,
): Promise<ServedRun | undefined> {
  if (options.serve !== true) return undefined;
  const settings = viewerOptions(ctx, options);
  const live = new LiveRuns();
  const viewer = await startViewer({ storePath: storePath(ctx, options), live, ...settings });
  announceViewer(out, viewer);
  let ends: Array<() => void> = [];
  return {
    wrap(environment) {
      const fed = feedLive(live, environment, {
        ...(settings.allowControl ? { allowControl: true } : {}),
        onRunStarted: (runId) =>
          out.note(`crosstalk: run ${runId} at ${viewer.url}#/runs/${encodeURIComponent(runId)}`),
      });
      ends.push(fed.end);
      return fed.environment;
    },
    async keepOpen() {
      for (const end of ends) end();
      ends = [];
      if (!ctx.signal.aborted) out.note(`crosstalk: the viewer stays open at ${viewer.url} until Ctrl-C`);
      await untilAborted(ctx.signal);
      await viewer.close();
    },
    close: () => viewer.close(),
  };
}

/**
 * Runs a job the way every run command does (its events shown as they happen) and, with `--serve`, in the viewer
 * too. Call `keepOpen` after printing the ending: with `--serve` it waits for Ctrl-C before the viewer closes.
 */
export async function runJobServed<R>(
  ctx: CliContext,
  out: Output,
  options: Record<string, unknown>,
  job: (environment: JobEnvironment) => Promise<R>,
): Promise<{ result: R; keepOpen: () => Promise<void> }> {
  const served = await serveRun(ctx, out, options);
  try {
    const result = await runWithProgress(ctx, out, (environment) =>
      job(served ? served.wrap(environment) : environment),
    );
    return { result, keepOpen: served ? () => served.keepOpen() : async () => {} };
  } catch (error) {
    await served?.close();
    throw error;
  }
}
