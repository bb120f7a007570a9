import type { LanguageModelV3 } from '@ai-sdk/provider';
import { z } from 'zod';
import { complete } from '../model/index.js';

const verdictSchema = z.object({
  score: z.coerce.number().min(0).max(1),
  strengths: z.array(z.string()).optional(),
  problems: z.array(z.string()).optional(),
});

/** A judge's structured verdict. */
export type Verdict = z.infer<typeof verdictSchema> & { valid: boolean; reason?: string };

/** Pulls the first JSON object out of a reply (bare, or in a ```json fence). */
export function extractJson(text: string): unknown {
  const fenced = /```(?:json)?\s*\n([\s\S]*?)```/.exec(text);
  const candidate = fenced ? fenced[1]! : text.slice(text.indexOf('{'), text.lastIndexOf('}') + 1);
  if (!candidate.trim()) return undefined;
  try {
    return JSON.parse(candidate);
  } catch {
    return undefined;
  }
}

/**
 * Asks a judge model to score a proposal from 0 to 1 with strengths and
 * problems, as JSON validated by a schema. A reply that is not valid JSON of
 * that shape scores 0 and says why (a broken judge must not crash a run).
 */
export async function judgeProposal(options: {
  model: LanguageModelV3;
  task: string;
  proposal: string;
  kind: 'code' | 'story' | 'design';
  agent?: string;
  scope?: string;
  seed?: number;
  signal?: AbortSignal;
}): Promise<Verdict> {
  const prompt = `Task: ${options.task}

Judge this ${options.kind === 'code' ? 'program' : options.kind === 'story' ? 'story' : 'design proposal'} strictly against the task. Reply with JSON only, shaped like this example:
\`\`\`json
{"score": 0.5, "strengths": ["text"], "problems": ["text"]}
\`\`\`
The score runs from 0 (useless) to 1 (excellent).

<<<
${options.proposal}
>>>`;
  const reply = await complete(options.model, {
    system: 'You are a strict, consistent judge.',
    messages: [{ role: 'user', content: prompt }],
    temperature: 0,
    agent: options.agent ?? 'judge',
    ...(options.scope ? { scope: options.scope } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const parsed = verdictSchema.safeParse(extractJson(reply.text));
  if (!parsed.success)
    return { score: 0, valid: false, reason: 'the judge did not return valid JSON with a score between 0 and 1' };
  return { ...parsed.data, valid: true };
}
