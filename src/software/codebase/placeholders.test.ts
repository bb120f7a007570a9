import { describe, expect, it } from 'vitest';
import { Codebase } from './codebase.js';
import { findPlaceholders, hasPlaceholders, unfinishedParts } from './placeholders.js';

describe('placeholders', () => {
  it('finds placeholder bodies and TODOs but not finished code', () => {
    const files = {
      'a.py': [
        'def done():',
        '    return 1',
        '',
        'def todo():',
        '    """Not yet."""',
        '    pass',
        '',
        'def later(): ...',
        '',
        'def nope(',
        '    x: int,',
        ') -> int:',
        '    # comment',
        '    raise NotImplementedError("soon")',
        '',
      ].join('\n'),
      'b.js': 'function f() {\n  // TODO: write it\n}\nfunction g() {\n  throw new Error("Not implemented");\n}\n',
      'c.py': 'def ok():\n    """Docs."""\n    return 2\n\nclass Empty(Exception):\n    pass\n',
    };
    expect(unfinishedParts(files)).toEqual([
      'a.py: function todo',
      'a.py: function later',
      'a.py: function nope',
      'b.js: TODO on line 2',
      'b.js: function g',
    ]);
    expect(findPlaceholders(files).map((p) => [p.path, p.line, p.kind])).toEqual([
      ['a.py', 4, 'pass-body'],
      ['a.py', 8, 'ellipsis-body'],
      ['a.py', 10, 'not-implemented'],
      ['b.js', 2, 'todo'],
      ['b.js', 5, 'not-implemented'],
    ]);
    expect(hasPlaceholders(Codebase.from(files))).toBe(true);
  });

  it('accepts intentional stubs and ordinary TODO words', () => {
    const files = {
      'base.py':
        'from abc import ABC, abstractmethod\nclass Shape(ABC):\n    @abstractmethod\n    def area(self):\n        pass\n',
      'proto.py': 'from typing import Protocol\nclass Greeter(Protocol):\n    def greet(self) -> str: ...\n',
      'todo_app.py': '# TODO list manager\ndef add(todo):\n    """Add a TODO item."""\n    items.append(todo)\n',
      'README.md': 'TODO: write docs\n',
      'loop.py': 'def run():\n    while True:\n        pass\n',
    };
    expect(findPlaceholders(files)).toEqual([]);
    expect(hasPlaceholders(files)).toBe(false);
  });

  it('catches bare TODO and "your code here" comments', () => {
    expect(
      unfinishedParts({
        'x.py': 'x = 1  # TODO\n',
        'y.js': '// your code here\n',
        'z.ts': '/* FIXME(bob) handle errors */\n',
      }),
    ).toEqual(['x.py: TODO on line 1', 'y.js: TODO on line 1', 'z.ts: TODO on line 1']);
  });
});
