import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeTempDir } from './temp-dir.js';

// the built module, so a plain `node` child can load it (`npm test` builds first)
const built = pathToFileURL(resolve(dirname(fileURLToPath(import.meta.url)), '../../dist/common/index.js')).href;

describe('makeTempDir', () => {
  it('makes a directory in the temp folder and removes it with its contents', () => {
    const temp = makeTempDir('crosstalk-temp-dir-test-');
    writeFileSync(join(temp.path, 'file.txt'), 'x');
    expect(existsSync(temp.path)).toBe(true);
    temp.remove();
    temp.remove(); // a second call does nothing
    expect(existsSync(temp.path)).toBe(false);
  });

  it('removes directories still in use when the process exits at once (a second Ctrl-C)', () => {
    const script = `import { makeTempDir } from ${JSON.stringify(built)};
const temp = makeTempDir('crosstalk-temp-dir-test-');
process.stdout.write(temp.path);
process.exit(3);`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(child.status, child.stderr).toBe(3);
    expect(child.stdout).toMatch(/crosstalk-temp-dir-test-/);
    expect(existsSync(child.stdout)).toBe(false);
  });
});
