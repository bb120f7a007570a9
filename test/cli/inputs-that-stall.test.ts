import { spawn } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it, onTestFinished } from 'vitest';
import { cleanEnv, cliPath, runProcess, tempDir } from '../support/run-cli.js';

function workDir(): string {
  const cwd = tempDir();
  onTestFinished(() => rmSync(cwd, { recursive: true, force: true }));
  return cwd;
}

/**
 * Starts the CLI, waits for `ready` on its stderr, sends SIGTERM and resolves with the exit code and how long the
 * process took to exit after the signal.
 */
function terminateWhenReady(
  args: string[],
  ready: RegExp,
  cwd: string,
): Promise<{ code: number | null; afterSignalMs: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliPath, ...args], {
      cwd,
      env: cleanEnv(),
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    let signalledAt: number | undefined;
    const guard = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.stderr.on('data', (d) => {
      stderr += String(d);
      if (signalledAt === undefined && ready.test(stderr)) {
        signalledAt = performance.now();
        child.kill('SIGTERM');
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({
        code,
        afterSignalMs: signalledAt === undefined ? Number.NaN : performance.now() - signalledAt,
        stderr,
      });
    });
  });
}

describe('inputs that used to stall or crash a run', () => {
  it('refuses a mesh whose edges would exhaust memory within seconds, with one line and exit 2', async () => {
    const started = performance.now();
    const result = await runProcess(['graph', 'mesh', '--n', '100000'], { cwd: workDir() });
    expect(performance.now() - started).toBeLessThan(20_000);
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'crosstalk: a mesh of 100,000 nodes has about 4,999,950,000 edges, above the maximum of 4,000,000 (raise it with --max-edges)\n',
    );
  });

  it('computes no clustering statistics without --stats', { timeout: 60_000 }, async () => {
    const result = await runProcess(['graph', 'small-world', '--n', '100000', '--json'], { cwd: workDir() });
    expect(result.code).toBe(0);
    const doc = JSON.parse(result.stdout) as { stats: Record<string, unknown> };
    expect(doc.stats.nodes).toBe(100_000);
    expect(doc.stats).not.toHaveProperty('averageClustering');
  });

  it('stops graph --stats on SIGTERM promptly', { timeout: 150_000 }, async () => {
    const result = await terminateWhenReady(
      ['graph', 'mesh', '--n', '2000', '--stats'],
      /computing clustering and path statistics/,
      workDir(),
    );
    expect(result.stderr).toContain('SIGTERM received');
    expect(result.code).toBe(130);
    // the issue asks for a second; the bound is generous for a loaded 2-core machine
    expect(result.afterSignalMs).toBeLessThan(5_000);
  });

  it('stops a net run on the simulated model on SIGTERM promptly, resumable', { timeout: 150_000 }, async () => {
    // the simulated model answers at once: without turns of the event loop the signal waited for the whole run
    const result = await terminateWhenReady(
      ['net', 'Write a haiku', '--topology', 'mesh', '--agents', '300', '--model', 'sim'],
      /run \S+ \(net, sim\)/,
      workDir(),
    );
    expect(result.code).toBe(130);
    expect(result.stderr).toMatch(
      /crosstalk: interrupted; \d+ of 300 nodes are done and saved\. Resume with: crosstalk runs resume \S+/,
    );
    expect(result.afterSignalMs).toBeLessThan(5_000);
  });

  it('refuses a 300-character node id before any model call', async () => {
    const cwd = workDir();
    const id = 'n'.repeat(300);
    writeFileSync(
      join(cwd, 'g.json'),
      JSON.stringify({ nodes: [{ id: 'a' }, { id }], edges: [{ from: 'a', to: id }] }),
    );
    const result = await runProcess(['net', 'Write a haiku', '--topology', 'g.json', '--model', 'sim'], { cwd });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^crosstalk: node id 'n{40}…' has 300 characters, above the maximum of 200\n$/);
  });

  it('refuses an oversized config file, a file:// baseURL and a --store that is not a crosstalk store', async () => {
    const cwd = workDir();
    writeFileSync(join(cwd, 'big.yaml'), `seed: 1\n${'# padding\n'.repeat(40_000)}`);
    const big = await runProcess(['graph', 'chain', '--n', '3', '--config', 'big.yaml'], { cwd });
    expect(big.code).toBe(2);
    expect(big.stderr).toMatch(/^crosstalk: config file .*big\.yaml is 400,008 bytes, above the maximum of 262,144\n$/);

    writeFileSync(
      join(cwd, 'file-url.yaml'),
      'providers:\n  openai: { apiKey: sk-test, baseURL: "file:///etc/passwd" }\n',
    );
    const fileUrl = await runProcess(['ask', 'hi', '--model', 'openai:gpt-4o-mini', '--config', 'file-url.yaml'], {
      cwd,
    });
    expect(fileUrl.code).toBe(2);
    expect(fileUrl.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    expect(fileUrl.stderr).toContain('baseURL');

    writeFileSync(join(cwd, 'empty.db'), '');
    const foreign = new Database(join(cwd, 'foreign.db'));
    foreign.exec('CREATE TABLE notes (body TEXT)');
    foreign.close();
    for (const store of ['empty.db', 'foreign.db']) {
      const net = await runProcess(
        ['net', 'Write a haiku', '--topology', 'chain', '--agents', '2', '--model', 'sim', '--store', store],
        { cwd },
      );
      expect(net.code).toBe(2);
      expect(net.stderr).toMatch(
        /^crosstalk: .*(is an empty file, not a crosstalk run store|is not a crosstalk run store)/m,
      );
    }
    const check = new Database(join(cwd, 'foreign.db'), { readonly: true });
    expect(check.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()).toEqual([{ name: 'notes' }]);
    check.close();
  });
});
