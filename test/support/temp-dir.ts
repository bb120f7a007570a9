import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, onTestFinished } from 'vitest';

// Directories made outside a running test (in a describe body or a beforeAll hook) live until the file ends.
const untilFileEnds = new Set<string>();

const remove = (dir: string) => rmSync(dir, { recursive: true, force: true, maxRetries: 3 });

// Registered when a test file first imports this module: with isolated forks that is once per file.
afterAll(() => {
  for (const dir of untilFileEnds) remove(dir);
  untilFileEnds.clear();
});

/**
 * A fresh empty directory in the system temp folder that is removed when the
 * test that made it finishes (pass or fail), or, when made outside a test,
 * when the test file ends. Tests never leave directories behind.
 */
export function tempDir(prefix = 'crosstalk-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    onTestFinished(() => remove(dir));
  } catch {
    untilFileEnds.add(dir); // not inside a test: onTestFinished refuses
  }
  return dir;
}
