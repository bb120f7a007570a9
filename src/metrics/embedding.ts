import type { EmbeddingModelV3 } from '@ai-sdk/provider';
import { cosineSimilarity, embedMany } from 'ai';
import type { FilesLike } from '../software/codebase/index.js';
import { commentFreeCode } from './consistency.js';

/** An embedding model for the consistency metric, with the model string reports name. */
export interface EmbeddingSetup {
  model: EmbeddingModelV3;
  /** The model string, e.g. `openai:text-embedding-3-small`. */
  name: string;
}

/**
 * Characters of comment-free code sent to the embedding model (the rest is
 * cut): about 6,000 tokens, inside the 8,191-token input limit of OpenAI's
 * embedding models.
 */
export const embeddingInputChars = 24_000;

/** The text embedded for the code: each code file without comments or blank lines, in path order. */
export function codeForEmbedding(files: FilesLike): string {
  return commentFreeCode(files)
    .map(([, code]) =>
      code
        .split('\n')
        .filter((line) => line.trim() !== '')
        .join('\n'),
    )
    .join('\n\n')
    .slice(0, embeddingInputChars);
}

/**
 * ChatDev's consistency: the cosine similarity of the embeddings of the task
 * and of the comment-free code, from one `embedMany` call of the AI SDK.
 * @returns the similarity clamped to 0..1 and rounded to three decimals, with the tokens used when reported.
 */
export async function embeddingSimilarity(
  task: string,
  files: FilesLike,
  setup: EmbeddingSetup,
  signal?: AbortSignal,
): Promise<{ value: number; tokens?: number }> {
  const code = codeForEmbedding(files);
  if (code.trim() === '' || task.trim() === '') return { value: 0 };
  const result = await embedMany({
    model: setup.model,
    values: [task, code],
    maxRetries: 2,
    ...(signal ? { abortSignal: signal } : {}),
  });
  const [a, b] = result.embeddings;
  const similarity = a && b ? cosineSimilarity(a, b) : 0;
  const value = Math.round(Math.min(1, Math.max(0, similarity)) * 1000) / 1000;
  return { value, ...(result.usage?.tokens !== undefined ? { tokens: result.usage.tokens } : {}) };
}
