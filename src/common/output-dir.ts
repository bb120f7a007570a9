import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { makeDirectory } from './make-directory.js';
import { ConfigError } from '../errors/index.js';

/**
 * Resolves `--out` (or `fallback`, relative to `cwd`, when it was not given)
 * and creates the directory before any work starts, so a path that cannot
 * hold the results fails at once in one line instead of after the run. The
 * directory must be new or empty: crosstalk never writes over earlier output.
 * @param subdirectories created inside it as well (e.g. `artifacts`).
 * @throws ConfigError (exit code 2) for an empty `--out`, a file, a non-empty
 *   directory, or a directory that cannot be created.
 */
export function prepareOutputDir(cwd: string, out: unknown, fallback: string, subdirectories: string[] = []): string {
  if (out !== undefined && (typeof out !== 'string' || out.trim() === ''))
    throw new ConfigError({ key: '--out', message: `--out must name a directory (got ${JSON.stringify(out)})` });
  const dir = resolve(cwd, typeof out === 'string' ? out : fallback);
  const cannotCreate = (error: unknown) =>
    new ConfigError({
      key: '--out',
      message: `cannot create output directory ${dir}: ${(error as Error).message}`,
      cause: error,
    });
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(dir, { throwIfNoEntry: false });
  } catch (error) {
    throw cannotCreate(error); // e.g. a parent is a file
  }
  if (stat && !stat.isDirectory())
    throw new ConfigError({ key: '--out', message: `cannot write to ${dir}: it is a file, not a directory` });
  if (stat && readdirSync(dir).length > 0)
    throw new ConfigError({ key: '--out', message: `output directory ${dir} is not empty; choose another --out` });
  try {
    makeDirectory(dir);
    for (const sub of subdirectories) makeDirectory(join(dir, sub));
  } catch (error) {
    throw cannotCreate(error);
  }
  return dir;
}
