import { describe, expect, it } from 'vitest';
import { mergeTree } from './merge-tree.js';

describe('mergeTree', () => {
  it('nests each level’s merges under the merge that took them in', () => {
    const tree = mergeTree([
      ['t1', 't2'],
      ['t3', 't4'],
      ['merge-1.1', 'merge-1.2', 't5'],
    ]);
    expect(tree).toEqual({
      id: 'merge-2.1',
      inputs: [{ id: 'merge-1.1', inputs: ['t1', 't2'] }, { id: 'merge-1.2', inputs: ['t3', 't4'] }, 't5'],
    });
  });

  it('is a single merge of every proposal, or nothing', () => {
    expect(mergeTree([['a', 'b', 'c']])).toEqual({ id: 'merge-1.1', inputs: ['a', 'b', 'c'] });
    expect(mergeTree([])).toBeUndefined();
  });
});
