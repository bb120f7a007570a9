import { describe, expect, it } from 'vitest';
import { lineDiff } from './line-diff.js';

const show = (before: string, after: string) =>
  lineDiff(before, after).map((l) => `${{ same: ' ', del: '-', add: '+' }[l.kind]}${l.text}`);

describe('lineDiff', () => {
  it('keeps common lines and marks removed and added ones in order', () => {
    expect(show('a\nb\nc\nd', 'a\nc\nx\nd')).toEqual([' a', '-b', ' c', '+x', ' d']);
  });

  it('shows identical texts unchanged and a text against nothing as added', () => {
    expect(show('a\nb', 'a\nb')).toEqual([' a', ' b']);
    expect(show('', 'a')).toEqual(['-', '+a']);
  });

  it('replaces the differing middle of two huge texts whole instead of stalling', () => {
    const before = Array.from({ length: 3000 }, (_, i) => `old ${i}`).join('\n');
    const after = Array.from({ length: 3000 }, (_, i) => `new ${i}`).join('\n');
    const diff = lineDiff(`top\n${before}\nend`, `top\n${after}\nend`);
    expect(diff.length).toBe(6002);
    expect(diff[0]).toEqual({ kind: 'same', text: 'top' });
    expect(diff.filter((l) => l.kind === 'del').length).toBe(3000);
    expect(diff.at(-1)).toEqual({ kind: 'same', text: 'end' });
  });
});
