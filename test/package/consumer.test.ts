import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { complete } from '../../src/model/index.js';
import { SimulatedModel } from '../../src/model/sim/index.js';

/*
 * The package as a consumer sees it: `npm pack`, install the tarball into a
 * throw-away project, type-check consumer files against the emitted .d.ts
 * under the tsconfigs users really have, then run them with node.
 *
 * Where the consumer project lives. Installing the tarball from a registry
 * would rebuild better-sqlite3 (~45 s) and need the network. Instead the
 * project is a git-ignored folder INSIDE the repo (`.consumer-tmp-<random>/`)
 * and the tarball is extracted into its `node_modules/crosstalk`. Node and
 * tsc then take crosstalk's own files and `exports` map from the tarball (the
 * nearest node_modules), while crosstalk's dependencies (ai, zod,
 * better-sqlite3, …) resolve by walking up to the repo's node_modules, which
 * `npm ci` installed from the same lock file. What this does not check is that
 * package.json lists every runtime dependency (a devDependency would resolve
 * too); {@link undeclaredImports} covers that separately. The consumer files
 * are copied into the project because, left in the repo, `import 'crosstalk'`
 * would self-reference the repo's own package.json and never see the tarball.
 */

const run = promisify(execFile);
const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const tsc = join(repo, 'node_modules/typescript/bin/tsc');

/** One consumer source file, and what its run must print (besides exiting 0). */
interface ConsumerFile {
  path: string;
  expectOutput?: (stdout: string) => void | Promise<void>;
}

const fixtures: ConsumerFile[] = [
  {
    path: join(repo, 'test/package/fixtures/simulated-complete.ts'),
    // the packed build must answer exactly as the source does
    expectOutput: async (stdout) => {
      const expected = await complete(new SimulatedModel({ seed: 7 }), {
        system: 'You are a terse reviewer.',
        messages: [{ role: 'user', content: 'Review: function add(a, b) { return a + b; }' }],
        agent: 'reviewer',
      });
      expect(expected.text.length).toBeGreaterThan(0);
      expect(stdout).toBe(expected.text);
    },
  },
  {
    // the library example of docs/telemetry.md: spans reach the user's own tracer provider
    path: join(repo, 'test/package/fixtures/telemetry-spans.ts'),
    expectOutput: (stdout) => {
      expect(stdout.trim().split('\n')).toEqual([
        'ai.generateText.doGenerate run actor plan sim',
        'ai.generateText.doGenerate run critic review sim',
      ]);
    },
  },
];

/** Every `examples/*.ts`, when the folder exists: each must type-check and exit 0. */
function examples(): ConsumerFile[] {
  const dir = join(repo, 'examples');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
    .sort()
    .map((name) => ({ path: join(dir, name) }));
}

const consumers = [...fixtures, ...examples()];

/** The tsconfig variants users have: DOM lib or not, Node's resolution or a bundler's. */
const variants = [
  { name: 'node16, ES2022 + DOM', lib: ['ES2022', 'DOM'], module: 'node16', moduleResolution: 'node16' },
  { name: 'node16, ES2022', lib: ['ES2022'], module: 'node16', moduleResolution: 'node16' },
  { name: 'bundler, ES2022 + DOM', lib: ['ES2022', 'DOM'], module: 'ESNext', moduleResolution: 'bundler' },
  { name: 'bundler, ES2022', lib: ['ES2022'], module: 'ESNext', moduleResolution: 'bundler' },
] as const;

/**
 * Each tsc run checks every third-party .d.ts our types expose (zod's alone
 * take seconds): about 10 s of CPU per variant on an idle machine, so allow
 * for a busy one.
 */
const compileTimeoutMs = 240_000;

/** The variant whose output is run with node (node16 emits what node runs natively). */
const runVariant = variants[1];

const slug = (name: string) => name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
/** Consumer files keep their names; the folder says where they came from, so two `index.ts` cannot collide. */
const consumerName = (file: ConsumerFile) => `${slug(relative(repo, dirname(file.path)))}--${basename(file.path)}`;

/**
 * Fails early and clearly when dist is older than the sources: the tarball is
 * packed from dist as it is (see `pack`), and `npm test` builds first.
 */
function assertDistFresh(): void {
  const newest = (dir: string, keep: (path: string) => boolean): number => {
    let max = 0;
    for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
      const path = join(dir, name);
      if (keep(path) && statSync(path).isFile()) max = Math.max(max, statSync(path).mtimeMs);
    }
    return max;
  };
  const distIndex = join(repo, 'dist/index.d.ts');
  if (!existsSync(distIndex)) throw new Error('dist/ is missing: run `npm run build` (npm test does) before this test');
  const source = newest(join(repo, 'src'), (p) => p.endsWith('.ts') && !p.endsWith('.test.ts'));
  if (source > statSync(distIndex).mtimeMs)
    throw new Error('dist/ is older than src/: run `npm run build` (npm test does) before this test');
}

/**
 * `npm pack` with `--ignore-scripts`: the `prepare` script would delete and
 * rebuild dist/ while other test files, running in parallel, spawn the CLI
 * from it. The tarball holds exactly the files and exports map npm publishes.
 */
async function pack(destination: string): Promise<string> {
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', destination], {
    cwd: repo,
  });
  const [info] = JSON.parse(stdout) as Array<{ filename: string }>;
  if (!info) throw new Error(`npm pack printed no file: ${stdout}`);
  return join(destination, info.filename);
}

/** Bare package names imported by the packed JavaScript that package.json does not declare as dependencies. */
async function undeclaredImports(packageDir: string): Promise<string[]> {
  const manifest = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...builtinModules]);
  const missing = new Set<string>();
  for (const name of readdirSync(join(packageDir, 'dist'), { recursive: true, encoding: 'utf8' })) {
    // dist/web and dist/web-single are the viewer's browser bundles: self-contained, they import nothing at run time
    if (!name.endsWith('.js') || ['web', 'web-single'].includes(name.split(/[\\/]/)[0]!)) continue;
    const code = await readFile(join(packageDir, 'dist', name), 'utf8');
    for (const match of code.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"]([^'"./][^'"]*)['"]/g)) {
      const specifier = match[1]!;
      if (specifier.startsWith('node:')) continue;
      const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
      if (!declared.has(name)) missing.add(name);
    }
  }
  return [...missing].sort();
}

interface ConsumerProject {
  dir: string;
  packageDir: string;
  remove(): void;
}

async function createConsumerProject(): Promise<ConsumerProject> {
  assertDistFresh();
  const dir = join(repo, `.consumer-tmp-${randomBytes(4).toString('hex')}`);
  const remove = () => rmSync(dir, { recursive: true, force: true });
  try {
    const packageDir = join(dir, 'node_modules/crosstalk');
    mkdirSync(packageDir, { recursive: true });
    mkdirSync(join(dir, 'src'));
    const tarball = await pack(dir);
    await run('tar', ['-xzf', tarball, '-C', packageDir, '--strip-components=1']);
    writeFileSync(
      join(dir, 'package.json'),
      JSON.stringify({ name: 'crosstalk-consumer', private: true, type: 'module' }, null, 2),
    );
    for (const file of consumers) copyFileSync(file.path, join(dir, 'src', consumerName(file)));
    for (const variant of variants) {
      const tsconfig = {
        compilerOptions: {
          target: 'ES2022',
          lib: variant.lib,
          module: variant.module,
          moduleResolution: variant.moduleResolution,
          strict: true,
          // our .d.ts, and the third-party ones they expose, are really checked; only
          // TypeScript's own lib.*.d.ts are skipped (not ours to fix, and lib.dom alone costs seconds)
          skipLibCheck: false,
          skipDefaultLibCheck: true,
          // A Node project declares Node's types; without this, tsc would also load every
          // @types package it finds walking up, i.e. the repo's devDependencies (chai, …)
          types: ['node'],
          ...(variant === runVariant ? { outDir: 'out', rootDir: 'src' } : { noEmit: true }),
        },
        include: ['src'],
      };
      writeFileSync(join(dir, `tsconfig.${slug(variant.name)}.json`), JSON.stringify(tsconfig, null, 2));
    }
    return { dir, packageDir, remove };
  } catch (error) {
    remove();
    throw error;
  }
}

/** Stops every child process still running when the suite ends (a timed-out test leaves its tsc behind). */
const children = new AbortController();

/** Runs a command; on failure the error carries its output, so a type error shows in the test report. */
async function runOrExplain(command: string, args: string[], cwd: string, timeout: number): Promise<string> {
  try {
    return (await run(command, args, { cwd, timeout, signal: children.signal })).stdout;
  } catch (error) {
    const {
      stdout = '',
      stderr = '',
      code,
      signal,
    } = error as { stdout?: string; stderr?: string; code?: number | string; signal?: string };
    throw new Error(`${command} ${args.join(' ')} failed (${signal ?? `exit ${code}`}):\n${stdout}${stderr}`);
  }
}

describe('the packed package, as a consumer sees it', () => {
  let project: ConsumerProject | undefined;
  beforeAll(async () => {
    project = await createConsumerProject();
  }, 120_000);
  afterAll(() => {
    children.abort();
    project?.remove();
  });

  // the run variant's type-check also emits the JavaScript the run tests execute: compile it once
  const compilations = new Map<(typeof variants)[number], Promise<string>>();
  const compile = (variant: (typeof variants)[number]) => {
    let pending = compilations.get(variant);
    if (!pending)
      compilations.set(
        variant,
        (pending = runOrExplain(
          process.execPath,
          [tsc, '-p', `tsconfig.${slug(variant.name)}.json`],
          project!.dir,
          compileTimeoutMs,
        )),
      );
    return pending;
  };

  it('declares every package its code imports', async () => {
    expect(await undeclaredImports(project!.packageDir)).toEqual([]);
  });

  // tsc runs are independent: run them concurrently
  describe.concurrent('type-checks consumer files', () => {
    it.each(variants)(
      'with $name',
      async (variant) => {
        await compile(variant);
      },
      compileTimeoutMs + 5_000,
    );
  });

  describe.concurrent('runs consumer files with node', () => {
    it.each(consumers.map((file) => ({ ...file, name: relative(repo, file.path) })))(
      '$name',
      async (file) => {
        const out = join(project!.dir, 'out', consumerName(file).replace(/\.ts$/, '.js'));
        await compile(runVariant);
        const stdout = await runOrExplain(process.execPath, [out], project!.dir, 60_000);
        await file.expectOutput?.(stdout);
      },
      compileTimeoutMs + 65_000,
    );
  });
});
