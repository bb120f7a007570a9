import { createRequire } from 'node:module';

interface Lemmatizer {
  noun(word: string): string;
  verb(word: string): string;
  adjective(word: string): string;
}

// wink-lemmatizer is CommonJS without types; its three functions are all we use
const lemmatizer = createRequire(import.meta.url)('wink-lemmatizer') as Lemmatizer;

/** Every base form a word may have (as noun, verb and adjective), lower-cased. */
export function lemmas(word: string): Set<string> {
  const w = word.toLowerCase();
  return new Set([w, lemmatizer.noun(w), lemmatizer.verb(w), lemmatizer.adjective(w)]);
}

/** How many of a concept set a text uses, and which are missing. */
export interface Coverage {
  /** Concepts used ÷ concepts, 0–1. */
  coverage: number;
  used: string[];
  missing: string[];
}

/**
 * CommonGen concept coverage, computed without a model: a concept counts as
 * used when one of its lemmas equals a lemma of a word of the text
 * ("dunk" is used by "dunked", "knife" by "knives", "run" by "ran").
 * Multi-word concepts need every word.
 */
export function conceptCoverage(text: string, concepts: readonly string[]): Coverage {
  const seen = new Set<string>();
  for (const word of text.match(/[A-Za-z]+(?:'[A-Za-z]+)?/g) ?? []) for (const l of lemmas(word)) seen.add(l);
  const used: string[] = [];
  const missing: string[] = [];
  for (const concept of concepts) {
    const words = concept.split(/[\s_-]+/).filter(Boolean);
    const ok = words.length > 0 && words.every((w) => [...lemmas(w)].some((l) => seen.has(l)));
    (ok ? used : missing).push(concept);
  }
  return { coverage: concepts.length ? used.length / concepts.length : 0, used, missing };
}
