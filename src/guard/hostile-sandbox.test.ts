import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir } from '../common/index.js';
import { detectSandbox } from '../sandbox/index.js';

const hostileRoot = join(import.meta.dirname, '../../test/fixtures/hostile');
const runnable = (
  JSON.parse(readFileSync(join(hostileRoot, 'cases.json'), 'utf8')) as { cases: Array<{ file: string }> }
).cases
  .map((c) => c.file)
  .filter((f) => /^(?:py|js|sh)\//.test(f));

const command = (file: string): string[] =>
  file.endsWith('.py') ? ['python3', file] : file.endsWith('.sh') ? ['sh', file] : ['node', file];

/** A fingerprint of host files the fixtures aim at: content hash, mode, or absence. Read only. */
function fingerprint(paths: string[]): Record<string, string> {
  return Object.fromEntries(
    paths.map((p) => {
      if (!existsSync(p)) return [p, 'absent'];
      const st = statSync(p);
      if (st.isDirectory()) return [p, `dir ${st.mode.toString(8)} ${readdirSync(p).sort().join(',')}`];
      return [p, `${st.mode.toString(8)} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`];
    }),
  );
}

// never without isolation: these programs are hostile on purpose
const choice = detectSandbox();
const sandbox = choice.sandbox && choice.sandbox.kind !== 'none-unsafe' ? choice.sandbox : undefined;

describe.runIf(sandbox !== undefined)(`hostile fixtures run in the sandbox (${sandbox?.kind ?? choice.reason})`, () => {
  const secret = `canary-${createHash('sha256').update(String(process.pid)).digest('hex').slice(0, 24)}`;
  const saved = { openai: process.env.OPENAI_API_KEY, anthropic: process.env.ANTHROPIC_API_KEY };
  const temp = makeTempDir('crosstalk-hostile-');
  const canaryDir = join(temp.path, 'canary');
  const home = homedir();
  const watched = [
    canaryDir,
    join(canaryDir, 'secret.txt'),
    join(home, '.bashrc'),
    join(home, '.ssh'),
    join(home, '.config/systemd/user/updater.service'),
    '/etc/hosts',
    '/etc/passwd',
  ];
  let before: Record<string, string>;

  beforeAll(() => {
    mkdirSync(canaryDir);
    writeFileSync(join(canaryDir, 'secret.txt'), secret);
    // the process that starts the sandbox holds API keys, as crosstalk does
    process.env.OPENAI_API_KEY = secret;
    process.env.ANTHROPIC_API_KEY = secret;
    before = fingerprint(watched);
  });

  afterAll(() => {
    for (const [key, value] of [
      ['OPENAI_API_KEY', saved.openai],
      ['ANTHROPIC_API_KEY', saved.anthropic],
    ] as const)
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    temp.remove(60_000);
  });

  it.each(runnable)(
    '%s changes nothing outside its workspace and reads no canary secret',
    { timeout: 60_000 },
    async (file) => {
      const workspace = makeTempDir('ws-', temp.path);
      try {
        const name = basename(file);
        writeFileSync(join(workspace.path, name), readFileSync(join(hostileRoot, file)));
        const result = await sandbox!.run({ workspace: workspace.path, command: command(name), timeoutMs: 5000 });
        // the program really started (a sandbox that failed to start it would prove nothing)
        expect(result.outcome, result.notes.join('; ')).not.toBe('sandbox-error');
        expect(`${result.stdout}\n${result.stderr}`).not.toContain(secret);
        expect(fingerprint(watched)).toEqual(before);
      } finally {
        workspace.remove(60_000);
      }
    },
  );
});
