import { z } from 'zod';
import { runNetwork, type RunOptions } from '../jobs/api.js';

/** The four criteria MacNet's CommonGen-Hard judge rates, each 1–10. */
export const textJudgeSchema = z.object({
  grammar: z.number().min(1).max(10),
  fluency: z.number().min(1).max(10),
  relevance: z.number().min(1).max(10),
  logic: z.number().min(1).max(10),
});
/** A judge's ratings of one text. */
export type TextJudgement = z.infer<typeof textJudgeSchema>;

/** What the judge said about one text: its ratings, or why none could be read. */
export interface JudgeResult {
  judgement: TextJudgement | null;
  /** Why the reply gave no ratings (not JSON, a value out of range…). */
  problem?: string;
  calls: number;
  costUsd: number | null;
}

/** The judge's instructions (crosstalk's wording). */
export function judgePrompt(text: string, concepts: readonly string[]): string {
  return [
    'You are grading a short story written to use a list of words.',
    `Words: ${concepts.join(', ')}`,
    'Story:',
    '"""',
    text,
    '"""',
    'Rate the story from 1 (poor) to 10 (excellent) on grammar, fluency, relevance (does it use the words',
    'in a way that makes sense) and logic (do events follow from each other). Reply with only a JSON object:',
    '{"grammar": n, "fluency": n, "relevance": n, "logic": n}',
  ].join('\n');
}

/** Reads the ratings out of a judge's reply: the last JSON object in it, validated. */
export function parseJudgement(reply: string): { judgement: TextJudgement | null; problem?: string } {
  const candidates = reply.match(/\{[^{}]*\}/g) ?? [];
  for (const candidate of candidates.reverse()) {
    try {
      const parsed = textJudgeSchema.safeParse(JSON.parse(candidate));
      if (parsed.success) return { judgement: parsed.data };
      return { judgement: null, problem: `ratings out of range: ${parsed.error.issues[0]?.message}` };
    } catch {
      // not JSON: try the previous braces
    }
  }
  return { judgement: null, problem: 'no JSON object with grammar, fluency, relevance and logic in the reply' };
}

/**
 * Asks a judge model to rate a text (one call through the public run
 * functions, journaled like every other call, so reruns are free).
 */
export async function judgeText(
  text: string,
  concepts: readonly string[],
  judgeModel: string,
  options: RunOptions,
): Promise<JudgeResult> {
  const result = await runNetwork({
    ...options,
    model: judgeModel,
    cache: true,
    task: judgePrompt(text, concepts),
    graph: { nodes: [{ id: 'judge' }], edges: [] },
    topology: 'judge',
  }).result;
  return {
    ...parseJudgement(result.summary.answer ?? ''),
    calls: result.summary.totals.calls,
    costUsd: result.summary.totals.costUsd,
  };
}
