import { unfinishedParts, type Files } from '../software/codebase/index.js';
import type { TestOutcome } from '../software/chain.js';

const codeExtensions = /\.(py|js|mjs|cjs|ts|tsx|jsx|java|go|rs|c|cc|cpp|h|rb|php|cs|html|css)$/;

function words(text: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const w of text.toLowerCase().match(/[a-z][a-z0-9]{2,}/g) ?? []) counts.set(w, (counts.get(w) ?? 0) + 1);
  return counts;
}

/** Removes comments and docstrings from code, as the consistency metric compares the code itself. */
export function stripComments(code: string): string {
  return code
    .replace(/"""[\s\S]*?"""|'''[\s\S]*?'''/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/(^|\s)(#|\/\/).*$/gm, '$1');
}

/** Splits identifiers such as `addItem` and `add_item` into words. */
function splitIdentifiers(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/_/g, ' ');
}

/**
 * Cosine similarity of word-count vectors. A lexical stand-in for the
 * embedding similarity ChatDev uses: no embedding model is needed, and it is
 * deterministic; it rewards code whose identifiers speak the task's words.
 */
export function cosineSimilarity(a: string, b: string): number {
  const va = words(a);
  const vb = words(b);
  let dot = 0;
  for (const [w, c] of va) dot += c * (vb.get(w) ?? 0);
  const norm = (v: Map<string, number>) => Math.sqrt([...v.values()].reduce((s, c) => s + c * c, 0));
  const d = norm(va) * norm(vb);
  return d === 0 ? 0 : dot / d;
}

/** The SRDD-style quality metrics of one codebase. */
export interface CodeMetrics {
  /** 1 when no placeholder (unimplemented function, TODO) remains, else 0. */
  completeness: number;
  /** 1 when the program ran without error (or was still running at the timeout), 0 when it failed, null when it was not run. */
  executability: number | null;
  /** Lexical cosine similarity of the task and the code with comments stripped. */
  consistency: number;
  /** Mean of the available metrics (the cross-team paper's quality). */
  quality: number;
}

/** Scores a codebase with the automatic metrics. */
export function codeMetrics(task: string, files: Files, test: TestOutcome | undefined): CodeMetrics {
  const code = Object.entries(files)
    .filter(([path]) => codeExtensions.test(path))
    .map(([, content]) => splitIdentifiers(stripComments(content)))
    .join('\n');
  const completeness = code.trim() !== '' && unfinishedParts(files).length === 0 ? 1 : 0;
  const executability =
    !test || test.outcome === 'not-run' || test.outcome === 'sandbox-error'
      ? null
      : test.outcome === 'exited-ok' || test.outcome === 'timeout-running'
        ? 1
        : 0;
  const consistency = Math.round(cosineSimilarity(task, code) * 1000) / 1000;
  const parts = [completeness, consistency, ...(executability === null ? [] : [executability])];
  const quality = Math.round((parts.reduce((a, b) => a + b, 0) / parts.length) * 1000) / 1000;
  return { completeness, executability, consistency, quality };
}
