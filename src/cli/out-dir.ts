import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { ConfigError } from '../errors/index.js';

/**
 * Checks `--out` before any work is done and creates it: it must be a new or
 * empty directory that can be created. Found out only when the results are
 * written, a bad `--out` would throw away a whole paid run.
 * @throws ConfigError in one line naming the directory.
 */
export function claimOutDir(outDir: string): void {
  let entries: string[] | undefined;
  try {
    if (!statSync(outDir).isDirectory()) throw new ConfigError({ key: '--out', message: `--out ${outDir} is a file, not a directory; choose another --out` });
    entries = readdirSync(outDir);
  } catch (error) {
    if (ConfigError.isInstance(error)) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw new ConfigError({ key: '--out', message: `--out ${outDir} cannot be created (${code === 'ENOTDIR' ? 'a parent is a file' : (code ?? (error as Error).message)}); choose another --out` });
  }
  if (entries && entries.length > 0) throw new ConfigError({ key: '--out', message: `output directory ${outDir} is not empty; choose another --out` });
  try {
    mkdirSync(outDir, { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ConfigError({ key: '--out', message: `--out ${outDir} cannot be created (${code === 'ENOTDIR' ? 'a parent is a file' : (code ?? (error as Error).message)}); choose another --out` });
  }
}
