import type { z } from 'zod';

function pathText(path: ReadonlyArray<PropertyKey>): string {
  return path.map(String).join('.');
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'a mapping';
  return String(value);
}

function valueAt(root: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let current: unknown = root;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/**
 * Turns the first zod issue into one line naming the key and what was
 * expected, e.g. `'limits.concurrency' must be a positive integer (got "eight")`.
 */
export function formatFirstIssue(error: z.ZodError, input: unknown): { key: string; message: string } {
  const issue = error.issues[0];
  if (!issue) return { key: '', message: 'invalid value' };
  if (issue.code === 'unrecognized_keys') {
    const key = pathText([...issue.path, issue.keys[0] ?? '']);
    return { key, message: `unknown key '${key}'` };
  }
  const key = pathText(issue.path);
  const got = describeValue(valueAt(input, issue.path));
  let expected = issue.message;
  const origin = (issue as { origin?: string }).origin;
  if (issue.code === 'invalid_type') expected = `must be ${article(issue.expected)}`;
  else if (issue.code === 'too_small' && origin === 'array') expected = `must list at least ${String(issue.minimum)}`;
  else if (issue.code === 'too_big' && origin === 'array') expected = `must list at most ${String(issue.maximum)}`;
  else if (issue.code === 'too_small' && origin === 'string')
    expected = issue.minimum === 1 ? 'must not be empty' : `must be at least ${String(issue.minimum)} characters`;
  else if (issue.code === 'too_big' && origin === 'string')
    expected = `must be at most ${String(issue.maximum)} characters`;
  else if (issue.code === 'invalid_format' && issue.format === 'regex') expected = issue.message;
  else if (issue.code === 'too_small')
    expected =
      issue.minimum === 0 || issue.minimum === 1
        ? `must be ${issue.inclusive && issue.minimum === 0 ? 'zero or more' : 'positive'}`
        : `must be at least ${String(issue.minimum)}`;
  else if (issue.code === 'too_big') expected = `must be at most ${String(issue.maximum)}`;
  else if (issue.code === 'invalid_format')
    expected = `must be a valid ${issue.format === 'url' ? 'URL' : issue.format}`;
  if (issue.code === 'invalid_type' && issue.expected === 'int') expected = 'must be an integer';
  return { key, message: `'${key || '(root)'}' ${expected} (got ${got})` };
}

function article(type: string): string {
  if (type === 'int') return 'an integer';
  if (type === 'object') return 'a mapping';
  if (type === 'array') return 'a list';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}
