import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runInProcess, storedNetRun, tempDir } from '../../test/support/run-cli.js';
import { SqliteRunStore } from '../store/index.js';
import { runHtml } from './export-html.js';

/**
 * A stand-in for the built web viewer: an index.html naming the early data read, one script and one style sheet,
 * as Vite writes it.
 */
function fakeWebRoot(): string {
  const root = join(tempDir('crosstalk-web-'), 'web');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(
    join(root, 'index.html'),
    '<!doctype html><html><head><script src="./prefetch.js"></script>\n' +
      '<script type="module" crossorigin src="./assets/app.js"></script>\n' +
      '<link rel="stylesheet" crossorigin href="./assets/app.css"></head><body><div id="root"></div></body></html>',
  );
  writeFileSync(join(root, 'assets', 'app.js'), 'const closing = "</script>"; console.log(closing);');
  writeFileSync(join(root, 'assets', 'app.css'), 'body { color: red; }');
  return root;
}

describe('runs export --html', () => {
  it('inlines the viewer and embeds the run: no file or server is needed to open it', async () => {
    const cwd = tempDir('crosstalk-export-');
    const runId = await storedNetRun(cwd, 3);
    const store = new SqliteRunStore(join(cwd, '.crosstalk/runs.db'), { readOnly: true });
    try {
      const { html, calls, artifacts } = runHtml(store, runId, fakeWebRoot());
      expect(html).not.toMatch(/src="\.\/assets/);
      // the served page's early read of its data has no place in a file
      expect(html).not.toContain('prefetch.js');
      expect(html).not.toMatch(/href="\.\/assets/);
      expect(html).toContain('body { color: red; }');
      // the script's own "</script>" cannot end the inlined element early
      expect(html).toContain('const closing = "<\\/script>"');
      const embedded = /<script type="application\/json" id="crosstalk-data">(.*?)<\/script>/s.exec(html)![1]!;
      expect(embedded).not.toContain('<');
      const data = JSON.parse(embedded) as {
        detail: { run: { id: string }; graph: { id: string[] } };
        meta: Record<string, unknown>;
        calls: unknown[];
        artifacts: Record<string, string>;
        events: Array<{ type: string }>;
      };
      expect(data.detail.run.id).toBe(runId);
      expect(data.detail.graph.id).toHaveLength(3);
      expect(Object.keys(data.meta)).toHaveLength(3);
      expect(data.calls).toHaveLength(calls);
      expect(calls).toBe(5); // the first node's actor; a critic and an actor for each of the others
      expect(Object.keys(data.artifacts)).toHaveLength(artifacts);
      expect(artifacts).toBe(3);
      expect(data.events.at(-1)!.type).toBe('run-finished');
    } finally {
      store.close();
    }
  });

  it('is a command: writes the file and says what it holds; an unknown run is a one-line error', async () => {
    const cwd = tempDir('crosstalk-export-');
    const runId = await storedNetRun(cwd, 2);
    const written = await runInProcess(['runs', 'export', runId, '--html', 'run.html'], { cwd });
    expect(written.code).toBe(0);
    expect(written.stdout).toMatch(/exported run \S+ to .*run\.html \(\d+ KiB: 3 calls, 2 artifacts, \d+ events\)/);
    expect(readFileSync(join(cwd, 'run.html'), 'utf8')).toContain('id="crosstalk-data"');
    const missing = await runInProcess(['runs', 'export', 'nope', '--html', 'x.html'], { cwd });
    expect(missing.code).toBe(2);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    const neither = await runInProcess(['runs', 'export', runId], { cwd });
    expect(neither.code).toBe(2);
    expect(neither.stderr).toMatch(/--out <dir> or --html <file>/);
  });
});
