import { describe, expect, it } from 'vitest';
import { artifactParts, guessLanguage, tokenize } from './highlight.js';

const kinds = (code: string, language: 'python' | 'javascript') =>
  tokenize(code, language)
    .filter((t) => t.kind !== 'text')
    .map((t) => `${t.kind}:${t.text}`);

describe('the artifact highlighter', () => {
  it('finds Python keywords, strings, numbers and comments, and loses no character', () => {
    const code = 'def area(r):\n    """Area."""\n    return 3.14 * r ** 2  # pi r squared\nx = "a#b"\n';
    expect(kinds(code, 'python')).toEqual([
      'keyword:def',
      'string:"""Area."""',
      'keyword:return',
      'number:3',
      'number:14',
      'number:2',
      'comment:# pi r squared',
      'string:"a#b"',
    ]);
    expect(
      tokenize(code, 'python')
        .map((t) => t.text)
        .join(''),
    ).toBe(code);
  });

  it('finds JavaScript comments, template strings and keywords, but not property names', () => {
    // a template literal with a placeholder, as JavaScript source
    const template = '`a $' + '{b}`';
    expect(kinds(`const s = ${template}; /* note */ obj.return // end`, 'javascript')).toEqual([
      'keyword:const',
      `string:${template}`,
      'comment:/* note */',
      'comment:// end',
    ]);
    expect(kinds('"unterminated\nlet x', 'javascript')).toEqual(['string:"unterminated', 'keyword:let']);
  });

  it('splits an artifact into prose and fenced code with its language', () => {
    const parts = artifactParts('Here it is:\n```python\nprint(1)\n```\nDone.');
    expect(parts).toEqual([{ text: 'Here it is:\n' }, { language: 'python', text: 'print(1)\n' }, { text: '\nDone.' }]);
    expect(artifactParts('import os\nprint(os.getcwd())')[0]!.language).toBe('python');
    expect(guessLanguage('A haiku about rivers.')).toBeUndefined();
  });
});
