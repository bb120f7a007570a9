import { describe, expect, it } from 'vitest';
import { ZodError } from 'zod';
import { PathSafetyError } from '../../errors/index.js';
import { Codebase, diffCodebase, mergeCodebase } from './codebase.js';
import { CodebaseHistory } from './codebase-history.js';
import { parseCodebase } from './parse-codebase.js';

const f = '```';

describe('Codebase', () => {
  it('normalises and sorts paths, and is immutable', () => {
    const cb = Codebase.from({ 'src\\b.py': 'b', './a.py': 'a' });
    expect(cb.paths()).toEqual(['a.py', 'src/b.py']);
    expect(cb.get('./src/b.py')).toBe('b');
    expect(cb.has('../a.py')).toBe(false);
    expect(Object.isFrozen(cb)).toBe(true);
    const files = cb.toFiles();
    files['a.py'] = 'changed';
    expect(cb.get('a.py')).toBe('a');
  });

  it('refuses unsafe paths with a typed error', () => {
    expect(() => Codebase.from({ '../x.py': 'x' })).toThrow(PathSafetyError);
    expect(() => Codebase.from([{ path: '/etc/passwd', content: 'x' }])).toThrow(/absolute path/);
  });

  it('merges: each new file replaces the one it names, others stay', () => {
    const v1 = Codebase.from({ 'main.py': 'v1', 'util.py': 'u1' });
    const v2 = mergeCodebase(v1, parseCodebase(`main.py\n${f}python\nv2\n${f}\n\nnew.py\n${f}\nn\n${f}`).files);
    expect(v2.toFiles()).toEqual({ 'main.py': 'v2\n', 'new.py': 'n\n', 'util.py': 'u1' });
    expect(v1.toFiles()).toEqual({ 'main.py': 'v1', 'util.py': 'u1' });
    expect(v1.merge({}).equals(v1)).toBe(true);
    expect(v2.without(['new.py']).paths()).toEqual(['main.py', 'util.py']);
  });

  it('diffs two versions', () => {
    expect(diffCodebase({ a: '1', b: '2', c: '3' }, { a: '1', b: '22', d: '4' })).toEqual({
      added: ['d'],
      changed: ['b'],
      removed: ['c'],
    });
  });

  it('round-trips through JSON', () => {
    const cb = Codebase.from({ 'main.py': 'print(1)\n', 'pkg/x.py': '' });
    const back = Codebase.fromJSON(JSON.parse(JSON.stringify(cb)));
    expect(back.equals(cb)).toBe(true);
    expect(() => Codebase.fromJSON({ files: { '../x': 'y' } })).toThrow(PathSafetyError);
    expect(() => Codebase.fromJSON({ files: { a: 1 } })).toThrow(ZodError);
  });
});

describe('CodebaseHistory', () => {
  function chain() {
    const history = new CodebaseHistory();
    let cb = Codebase.empty;
    cb = cb.merge({ 'main.py': 'print(1)\n', 'store.py': 'items = []\n' });
    history.record('coding', cb, { recordedAt: '2025-01-01T00:00:00.000Z' });
    cb = cb.merge({ 'store.py': 'items = {}\n' });
    history.record('code-review', cb);
    history.record('code-review', cb);
    cb = cb.merge({ 'README.md': '# app\n' }).without(['store.py']);
    history.record('manual', cb);
    return history;
  }

  it('records a version per phase with its diff', () => {
    const history = chain();
    expect(history.length).toBe(4);
    expect(history.versions.map((v) => [v.version, v.phase, v.diff])).toEqual([
      [1, 'coding', { added: ['main.py', 'store.py'], changed: [], removed: [] }],
      [2, 'code-review', { added: [], changed: ['store.py'], removed: [] }],
      [3, 'code-review', { added: [], changed: [], removed: [] }],
      [4, 'manual', { added: ['README.md'], changed: [], removed: ['store.py'] }],
    ]);
    expect(history.forPhase('code-review').map((v) => v.version)).toEqual([2, 3]);
    expect(history.diff(0, 4)).toEqual({ added: ['README.md', 'main.py'], changed: [], removed: [] });
    expect(history.diff(1, 4)).toEqual({ added: ['README.md'], changed: [], removed: ['store.py'] });
    expect(() => history.diff(1, 9)).toThrow(RangeError);
    expect(history.summary()).toEqual([
      'v1 coding: +2 ~0 -0 (main.py, store.py)',
      'v2 code-review: +0 ~1 -0 (store.py)',
      'v3 code-review: +0 ~0 -0 (no changes)',
      'v4 manual: +1 ~0 -1 (README.md, store.py)',
    ]);
  });

  it('serialises as deltas and reads back identical versions', () => {
    const history = chain();
    const json = JSON.parse(JSON.stringify(history)) as {
      versions: Array<{ set: Record<string, string>; removed: string[] }>;
    };
    expect(json.versions[1]).toEqual({ phase: 'code-review', set: { 'store.py': 'items = {}\n' }, removed: [] });
    expect(json.versions[3]!.removed).toEqual(['store.py']);
    const back = CodebaseHistory.fromJSON(json);
    expect(back.versions.map((v) => [v.phase, v.codebase.toFiles(), v.recordedAt])).toEqual(
      history.versions.map((v) => [v.phase, v.codebase.toFiles(), v.recordedAt]),
    );
    expect(() => CodebaseHistory.fromJSON({ format: 'other' })).toThrow(ZodError);
  });

  it('versions do not change when the history grows', () => {
    const history = new CodebaseHistory();
    const first = history.record('coding', { 'a.py': '1' });
    history.record('review', { 'a.py': '2' });
    expect(first.codebase.get('a.py')).toBe('1');
    expect(Object.isFrozen(first)).toBe(true);
  });
});
