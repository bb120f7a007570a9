import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/temp-dir.js';
import { makeDirectory } from './make-directory.js';

describe('makeDirectory', () => {
  it('creates missing parents and accepts an existing directory', () => {
    const root = tempDir('crosstalk-make-directory-');
    makeDirectory(join(root, 'a', 'b', 'c'));
    expect(statSync(join(root, 'a', 'b', 'c')).isDirectory()).toBe(true);
    expect(() => makeDirectory(join(root, 'a'))).not.toThrow();
  });

  it('fails with ENOTDIR when a component is a file', () => {
    const root = tempDir('crosstalk-make-directory-');
    writeFileSync(join(root, 'file'), 'x');
    expect(() => makeDirectory(join(root, 'file', 'sub'))).toThrow(expect.objectContaining({ code: 'ENOTDIR' }));
    expect(existsSync(join(root, 'file', 'sub'))).toBe(false);
  });

  it.runIf(process.platform === 'linux')(
    'fails instead of looping forever where the parent refuses new entries (/proc)',
    () => {
      expect(() => makeDirectory('/proc/crosstalk-no-such-dir/sub')).toThrow(
        expect.objectContaining({ code: 'ENOENT' }),
      );
    },
  );
});
