import { resolve } from 'node:path';
import type { CrosstalkConfig } from '../config/index.js';

/** Default location of the run store, relative to the working directory. */
export const defaultStorePath = '.crosstalk/runs.db';

/** The run store path for a config (`store:` / `--store` / `CROSSTALK_STORE`). */
export function resolveStorePath(cwd: string, config: CrosstalkConfig): string {
  return resolve(cwd, config.store ?? defaultStorePath);
}
