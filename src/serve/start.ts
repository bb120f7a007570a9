import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { ConfigError } from '../errors/index.js';
import { SqliteRunStore, type RunStore } from '../store/index.js';
import { createViewerApp } from './app.js';
import { isLoopback } from './guard.js';
import { LiveRuns } from './live-runs.js';
import { viewerResume } from './resume.js';
import { defaultWebRoot } from './static-files.js';

/** How to start the viewer. */
export interface ViewerOptions {
  /** The run store file; opened read-only once it exists. */
  storePath: string;
  /** Default 127.0.0.1. Any other address requires a token. */
  host?: string;
  /** Default 0: a free port chosen by the system. */
  port?: number;
  token?: string;
  allowControl?: boolean;
  live?: LiveRuns;
  /** The built web viewer; default: `dist/web` when it was built. */
  webRoot?: string;
  pollMs?: number;
}

/** A running viewer. */
export interface Viewer {
  /** The address to open, with the token when one is required. */
  url: string;
  port: number;
  /** Stops accepting requests, ends open event streams and closes the store. */
  close(): Promise<void>;
}

/** Checks the viewer's flags: a port in range, and a token whenever the address is reachable from elsewhere. */
export function checkViewerOptions(options: { host?: string; port?: number; token?: string }): void {
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new ConfigError({ key: '--port', message: `--port must be a whole number from 0 to 65535 (got ${port})` });
  const host = options.host ?? '127.0.0.1';
  if (host.trim() === '') throw new ConfigError({ key: '--host', message: '--host must not be empty' });
  if (!isLoopback(host) && !options.token)
    throw new ConfigError({
      key: '--token',
      message: `binding to ${host} makes the viewer reachable from other machines: give --token <secret> (every request must present it)`,
    });
  if (options.token !== undefined && options.token.length < 8)
    throw new ConfigError({ key: '--token', message: '--token must be at least 8 characters long' });
}

/**
 * Starts the web viewer over a run store: the JSON API, the event streams and
 * the built web app. Resolves once it listens.
 * @throws ConfigError for a bad port or host, or a non-loopback host without a token.
 */
export async function startViewer(options: ViewerOptions): Promise<Viewer> {
  checkViewerOptions(options);
  const host = options.host ?? '127.0.0.1';
  let store: RunStore | undefined;
  const openStore = () => {
    if (!store && existsSync(options.storePath)) store = new SqliteRunStore(options.storePath, { readOnly: true });
    return store;
  };
  const webRoot = options.webRoot ?? defaultWebRoot();
  // with control, runs resumed from the viewer execute in this process and stream live
  const live = options.live ?? (options.allowControl ? new LiveRuns() : undefined);
  const app = createViewerApp({
    store: openStore,
    boundHost: host,
    ...(live ? { live } : {}),
    ...(options.allowControl && live ? { resume: viewerResume(live, options.storePath) } : {}),
    ...(options.token ? { token: options.token } : {}),
    ...(options.allowControl ? { allowControl: true } : {}),
    ...(webRoot ? { webRoot } : {}),
    ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
  });
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: host, port: options.port ?? 0 }, () => resolve(s));
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  const url = `http://${shown}:${port}/${options.token ? `?token=${encodeURIComponent(options.token)}` : ''}`;
  return {
    url,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          store?.close();
          store = undefined;
          resolve();
        });
        // open event streams would hold the server open
        (server as { closeAllConnections?: () => void }).closeAllConnections?.();
      }),
  };
}
