import { describe, expect, it } from 'vitest';
import { simulateReply } from '../model/sim/index.js';
import { artifactProblem, javascriptProblem, pythonProblem } from './artifact-check.js';

const file = (name: string, lang: string, body: string) => `${name}\n\`\`\`${lang}\n${body}\n\`\`\``;

describe('artifactProblem', () => {
  it('accepts the programs the simulated model writes, in Python and JavaScript', () => {
    for (const language of ['Python', 'JavaScript']) {
      const text = simulateReply({
        seed: 3,
        messages: [
          {
            role: 'user',
            content: `Task: a todo app\nProgramming language: ${language}\nWrite every file as its file name on a line of its own, followed by a fenced code block with the whole file.`,
          },
        ],
      });
      expect(artifactProblem(text, 'code'), language).toBeUndefined();
    }
  });

  it('names what keeps a merged artifact from moving on', () => {
    expect(artifactProblem('  \n', 'text')).toBe('it is empty');
    expect(artifactProblem('Here is the merged program, as discussed.', 'code')).toMatch(/^it holds no files/);
    expect(artifactProblem('main.py\n```python\nprint(1)\n', 'code')).toBe('the code block of main.py is never closed');
    expect(artifactProblem(file('main.js', 'javascript', 'const x = ;'), 'code')).toMatch(
      /^main\.js does not parse: Unexpected token \(1:10\)/,
    );
    expect(artifactProblem(file('main.py', 'python', 'def f(x):\n    return (x +\n'), 'code')).toBe(
      "main.py does not parse: line 2: '(' is never closed",
    );
    expect(artifactProblem('I think B is right.', 'choice')).toMatch(/names no answer letter/);
    expect(artifactProblem('So the answer is (B).', 'choice')).toBeUndefined();
    expect(artifactProblem('An old pond.', 'text')).toBeUndefined();
  });
});

describe('javascriptProblem', () => {
  it('parses modules and CommonJS scripts (top-level return, hashbang)', () => {
    expect(
      javascriptProblem("import fs from 'node:fs';\nexport const a = await fs.promises.stat('.');"),
    ).toBeUndefined();
    expect(javascriptProblem('#!/usr/bin/env node\nconst x = require("x");\nif (!x) return;\n')).toBeUndefined();
    expect(javascriptProblem('function f( {')).toMatch(/Unexpected token/);
  });
});

describe('pythonProblem', () => {
  it('accepts well-formed code: strings, comments, continuations, brackets across lines', () => {
    const source = [
      'import sys',
      '',
      'class Store:',
      '    """Keeps entries.',
      '',
      '    More text (with an unbalanced bracket: [ ) in the docstring."""',
      '',
      '    def add(self, text):  # a comment: with a colon:',
      '        items = {"a": 1,',
      "                 'b': [2, 3]}",
      '        total = 1 + \\',
      '            2',
      '        s = "quote \\" inside"',
      '        if text:',
      '',
      '            return items',
      '        else:',
      '            return {}',
      '',
      'print(Store())',
    ].join('\n');
    expect(pythonProblem(source)).toBeUndefined();
  });

  it.each([
    ['def f(x):\nreturn x\n', 'line 2: expected an indented block after line 1'],
    ['x = 1\n  y = 2\n', 'line 2: unexpected indent'],
    ['if x:\n        a = 1\n    b = 2\n', 'line 3: the dedent matches no outer indentation level'],
    ['x = """never closed\n\n', 'line 1: a string is never closed'],
    ["x = 'cut off\ny = 2\n", 'line 1: a string is never closed'],
    ['print((1, 2]\n', "line 1: ']' does not close '(' of line 1"],
    ['x = 1)\n', "line 1: ')' closes nothing"],
    ['if x:\n    a = 1\nelse:\n', 'the file ends after a block header (line 3)'],
  ])('finds the problem in %j', (source, problem) => {
    expect(pythonProblem(source)).toBe(problem);
  });
});
