// Pure, with no imports: the web viewer shows the difference between two versions of an artifact with this.

/** One line of a diff: kept in both versions, removed from the old one or added in the new one. */
export interface DiffLine {
  kind: 'same' | 'del' | 'add';
  text: string;
}

/** Above this many cells (old lines × new lines, after the common ends are cut) the middle is shown replaced. */
const maxCells = 4_000_000;

/**
 * A line diff of `before` → `after` (a longest common subsequence of lines): the lines both keep, in order, with
 * the removed and added ones between them. Very large, very different texts fall back to replacing their differing
 * middle whole, so the viewer never stalls.
 */
export function lineDiff(before: string, after: string): DiffLine[] {
  const a = before.split('\n');
  const b = after.split('\n');
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const out: DiffLine[] = a.slice(0, head).map((text) => ({ kind: 'same', text }));
  const x = a.slice(head, a.length - tail);
  const y = b.slice(head, b.length - tail);
  if (x.length * y.length > maxCells) {
    for (const text of x) out.push({ kind: 'del', text });
    for (const text of y) out.push({ kind: 'add', text });
  } else {
    // lcs[i][j]: length of the longest common subsequence of x[i..] and y[j..]
    const width = y.length + 1;
    const lcs = new Uint32Array((x.length + 1) * width);
    for (let i = x.length - 1; i >= 0; i--)
      for (let j = y.length - 1; j >= 0; j--)
        lcs[i * width + j] =
          x[i] === y[j]
            ? lcs[(i + 1) * width + j + 1]! + 1
            : Math.max(lcs[(i + 1) * width + j]!, lcs[i * width + j + 1]!);
    let i = 0;
    let j = 0;
    while (i < x.length && j < y.length) {
      if (x[i] === y[j]) {
        out.push({ kind: 'same', text: x[i]! });
        i++;
        j++;
      } else if (lcs[(i + 1) * width + j]! >= lcs[i * width + j + 1]!) out.push({ kind: 'del', text: x[i++]! });
      else out.push({ kind: 'add', text: y[j++]! });
    }
    while (i < x.length) out.push({ kind: 'del', text: x[i++]! });
    while (j < y.length) out.push({ kind: 'add', text: y[j++]! });
  }
  for (const text of a.slice(a.length - tail)) out.push({ kind: 'same', text });
  return out;
}
