import { resolve } from 'node:path';
import type { CrosstalkConfig } from '../config/index.js';
import { noStore } from './no-store.js';

/** Default location of the run store, relative to the working directory. */
export const defaultStorePath = '.crosstalk/runs.db';

/**
 * The run store path for a config (`store:` / `--store` / `CROSSTALK_STORE`); `none` (no store, see
 * {@link noStore}) is returned as it is (a file of that name: `./none`).
 */
export function resolveStorePath(cwd: string, config: CrosstalkConfig): string {
  return config.store === noStore ? noStore : resolve(cwd, config.store ?? defaultStorePath);
}
