import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../errors/index.js';
import type { RunStore } from '../store/index.js';
import { compactDetail } from './detail-wire.js';
import { runCalls, runDetail, runEvents, stepArtifact, usageOf } from './run-data.js';
import type { EmbeddedRun } from './view-types.js';
import { defaultSingleRoot } from './static-files.js';

/** What {@link writeRunHtml} wrote. */
export interface ExportedHtml {
  bytes: number;
  calls: number;
  artifacts: number;
  events: number;
}

/** Text that may sit inside a `<script>` element: no sequence in it can close the element. */
const scriptSafe = (code: string) => code.replace(/<\/(script)/gi, '<\\/$1');

/**
 * The run page as one self-contained HTML file: the built web viewer's script and styles inlined, and the run
 * (detail, every call with its prompt and reply, every step's artifact, every stored event) embedded as JSON. It
 * opens from disk with no server, for sharing in a review or a paper's appendix.
 * @throws ConfigError when the web viewer has not been built or there is no such run.
 */
export function runHtml(
  store: RunStore,
  runId: string,
  webRoot = defaultSingleRoot(),
): { html: string } & ExportedHtml {
  if (!webRoot)
    throw new ConfigError({ key: '--html', message: 'the web viewer is not built: run npm run build first' });
  const detail = runDetail(store, runId);
  if (!detail) throw new ConfigError({ key: 'id', message: `no run '${runId}'` });
  const calls = runCalls(store, runId);
  const artifacts: Record<string, string> = {};
  const meta: Record<string, unknown> = {};
  const steps = new Map(store.getSteps(runId).map((s) => [s.id, s]));
  for (const step of steps.values()) {
    if (step.id.startsWith('checkpoint/')) continue;
    if (step.meta !== null && step.meta !== undefined) meta[step.id] = step.meta;
    if (!step.outputHash) continue;
    const content = stepArtifact(store, runId, step.id, steps);
    if (content !== undefined) artifacts[step.id] = content;
  }
  const events = runEvents(store, runId, 0, Number.MAX_SAFE_INTEGER);
  const embedded: EmbeddedRun = {
    detail: { ...compactDetail(detail), live: false },
    usage: usageOf(calls),
    calls,
    artifacts,
    meta,
    events,
  };
  const data = JSON.stringify(embedded).replace(/</g, '\\u003c');
  let html = readFileSync(join(webRoot, 'index.html'), 'utf8');
  // the served page's early read of its data (prefetch.js): the file has its data inside
  html = html.replace(/<script src="\.\/prefetch\.js"><\/script>\s*/, '');
  html = html.replace(/<script type="module"[^>]*src="\.\/([^"]+)"[^>]*><\/script>/g, (_m, src: string) => {
    const code = readFileSync(join(webRoot, src), 'utf8');
    return `<script type="module">${scriptSafe(code)}</script>`;
  });
  html = html.replace(/<link rel="stylesheet"[^>]*href="\.\/([^"]+)"[^>]*>/g, (_m, href: string) => {
    const css = readFileSync(join(webRoot, href), 'utf8');
    return `<style>${css.replace(/<\/(style)/gi, '<\\/$1')}</style>`;
  });
  html = html.replace('</head>', `<script type="application/json" id="crosstalk-data">${data}</script>\n</head>`);
  return {
    html,
    bytes: Buffer.byteLength(html),
    calls: calls.length,
    artifacts: Object.keys(artifacts).length,
    events: events.length,
  };
}

/** Writes {@link runHtml} to `file`. */
export function writeRunHtml(store: RunStore, runId: string, file: string, webRoot?: string): ExportedHtml {
  const { html, ...stats } = runHtml(store, runId, webRoot);
  writeFileSync(file, html);
  return stats;
}
