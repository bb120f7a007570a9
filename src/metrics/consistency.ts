import type { FilesLike } from '../software/codebase/index.js';
import { codeFiles } from './code-files.js';

/**
 * Removes comments and docstrings from code: the consistency metric compares
 * the task with the code itself, not with what the comments claim.
 */
export function stripComments(code: string): string {
  return code
    .replace(/"""[\s\S]*?"""|'''[\s\S]*?'''/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/(^|\s)(#|\/\/).*$/gm, '$1');
}

/** The comment-free code of a codebase, file by file in path order. */
export function commentFreeCode(files: FilesLike): Array<[string, string]> {
  return codeFiles(files).map(([path, content]) => [path, stripComments(content)]);
}

// words that say nothing about what a program does: English function words and the keywords and stock names
// of the languages the chain writes
const stopWords = new Set(
  (
    'a an and are as at be but by can do does for from has have how i if in into is it its let me my no not of on ' +
    'or our should so that the their them then there these they this to too was we were what when where which ' +
    'while who will with would you your ' +
    'def class return import self none true false elif else try except finally raise lambda yield pass global ' +
    'nonlocal assert del init str int float bool dict len args kwargs ' +
    'function const var new null undefined typeof instanceof async await export default require module ' +
    'exports console log boolean void catch throw switch case break continue'
  ).split(' '),
);

/** Reduces a plural or third-person word to its stem ("items" → "item", "entries" → "entry"). */
function stem(word: string): string {
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.length > 4 && /(?:ss|x|ch|sh)es$/.test(word)) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

/**
 * The words of a text or of code: identifiers split at case changes and
 * underscores (`addItem`, `add_item` → add, item), lower-cased, stemmed, with
 * stop words, language keywords and one-letter words dropped.
 */
export function contentWords(text: string): string[] {
  const split = text.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2');
  const words: string[] = [];
  for (const raw of split.toLowerCase().match(/[a-z]+/g) ?? []) {
    if (raw.length < 2 || stopWords.has(raw)) continue;
    const word = stem(raw);
    if (!stopWords.has(word)) words.push(word);
  }
  return words;
}

function counts(words: readonly string[]): Map<string, number> {
  const map = new Map<string, number>();
  for (const w of words) map.set(w, (map.get(w) ?? 0) + 1);
  return map;
}

/**
 * The local stand-in for ChatDev's embedding similarity, used when no
 * embedding model is configured: TF-IDF cosine similarity of the task's
 * words and the comment-free code's words ({@link contentWords}). The corpus
 * is the task plus each code file as its own document, so a word every file
 * repeats weighs less than one a single file holds; weights are
 * `(1 + ln tf) × (1 + ln((1 + N) / (1 + df)))` (sublinear term frequency,
 * smoothed inverse document frequency). Deterministic, no model, and it
 * rewards code whose names speak the task's words. It is not comparable with
 * an embedding similarity: reports label it `tf-idf-fallback`.
 * @returns a value from 0 to 1, rounded to three decimals (0 when either side has no words).
 */
export function tfidfSimilarity(task: string, files: FilesLike): number {
  const documents = [contentWords(task), ...commentFreeCode(files).map(([, code]) => contentWords(code))];
  const n = documents.length;
  const df = new Map<string, number>();
  for (const doc of documents) for (const w of new Set(doc)) df.set(w, (df.get(w) ?? 0) + 1);
  const idf = (w: string) => 1 + Math.log((1 + n) / (1 + (df.get(w) ?? 0)));
  const vector = (words: readonly string[]) => {
    const v = new Map<string, number>();
    for (const [w, tf] of counts(words)) v.set(w, (1 + Math.log(tf)) * idf(w));
    return v;
  };
  const taskVector = vector(documents[0]!);
  const codeVector = vector(documents.slice(1).flat());
  let dot = 0;
  for (const [w, x] of taskVector) dot += x * (codeVector.get(w) ?? 0);
  const norm = (v: Map<string, number>) => Math.sqrt([...v.values()].reduce((s, x) => s + x * x, 0));
  const denominator = norm(taskVector) * norm(codeVector);
  return denominator === 0 ? 0 : Math.round((dot / denominator) * 1000) / 1000;
}

/**
 * Cosine similarity of two texts' word counts (lower-cased words of three or more letters, no weighting): a
 * plain lexical closeness for prose, e.g. to order story proposals that tie by how close they stay to the premise.
 * For code use {@link tfidfSimilarity} or the embedding consistency.
 */
export function wordCosine(a: string, b: string): number {
  const words = (text: string) => {
    const map = new Map<string, number>();
    for (const w of text.toLowerCase().match(/[a-z][a-z0-9]{2,}/g) ?? []) map.set(w, (map.get(w) ?? 0) + 1);
    return map;
  };
  const va = words(a);
  const vb = words(b);
  let dot = 0;
  for (const [w, c] of va) dot += c * (vb.get(w) ?? 0);
  const norm = (v: Map<string, number>) => Math.sqrt([...v.values()].reduce((s, c) => s + c * c, 0));
  const d = norm(va) * norm(vb);
  return d === 0 ? 0 : dot / d;
}
