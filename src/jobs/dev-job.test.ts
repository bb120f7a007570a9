import { describe, expect, it } from 'vitest';
import { resolvePhases } from '../software/phases.js';
import { chainProblems } from './dev-job.js';

describe('chainProblems', () => {
  const all = resolvePhases(undefined);
  it('names what a finished chain failed to produce', () => {
    expect(chainProblems(all, ['main.py', 'README.md'])).toEqual([]);
    expect(chainProblems(all, ['main.py'])).toEqual(['the manual phase wrote no README.md']);
    expect(chainProblems(all, [])).toEqual(['the chain produced no files']);
    // a chain without the manual phase owes no manual; written paths count by their file name
    expect(
      chainProblems(
        all.filter((p) => p.name !== 'manual'),
        ['/out/p/main.py'],
      ),
    ).toEqual([]);
    expect(chainProblems(all, ['/out/p/readme.md', '/out/p/main.py'])).toEqual([]);
  });
});
