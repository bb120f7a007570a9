import { existsSync } from 'node:fs';
import { startViewer, type Viewer, type ViewerOptions } from '../../serve/index.js';
import type { CliContext } from '../context.js';
import { defineCommand } from '../define-command.js';
import type { Register } from '../main.js';
import type { Output } from '../output.js';
import { wholeNumber } from '../parse-flags.js';
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
