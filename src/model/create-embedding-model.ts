import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { createOpenAI } from '@ai-sdk/openai';
import type { EmbeddingModelV3 } from '@ai-sdk/provider';
import type { CrosstalkConfig } from '../config/index.js';
import { ModelConfigError } from '../errors/index.js';
import { defaultOllamaBaseURL, keyedSettings } from './create-model.js';
import { parseModelString } from './model-spec.js';

/**
 * Creates the embedding model for a model string (`--embedding-model`), e.g.
 * `openai:text-embedding-3-small`, `ollama:nomic-embed-text` or
 * `compatible:http://127.0.0.1:8000/v1#my-embedder`. Credentials come from the
 * config as for language models.
 * @throws ModelConfigError for an unknown string, a provider without embedding models (Anthropic, `sim`) or a
 * missing API key.
 */
export function createEmbeddingModel(
  text: string,
  config: CrosstalkConfig,
  env: NodeJS.ProcessEnv = {},
): EmbeddingModelV3 {
  let spec: ReturnType<typeof parseModelString>;
  try {
    spec = parseModelString(text);
  } catch (error) {
    if (!ModelConfigError.isInstance(error)) throw error;
    throw new ModelConfigError({
      code: 'MODEL_UNKNOWN',
      modelId: text,
      message: `--embedding-model: ${error.message}`,
    });
  }
  switch (spec.provider) {
    case 'openai': {
      const { apiKey, baseURL } = keyedSettings(
        spec.text,
        config.providers?.openai,
        'OpenAI',
        'OPENAI_API_KEY',
        'openai',
      );
      return createOpenAI({ apiKey, ...(baseURL ? { baseURL } : {}) }).embedding(spec.modelId);
    }
    case 'ollama': {
      const baseURL = config.providers?.ollama?.baseURL ?? defaultOllamaBaseURL;
      return createOpenAICompatible({ name: 'ollama', baseURL }).embeddingModel(spec.modelId);
    }
    case 'compatible': {
      const apiKey = env.COMPATIBLE_API_KEY;
      return createOpenAICompatible({
        name: 'compatible',
        baseURL: spec.baseURL,
        ...(apiKey ? { apiKey } : {}),
      }).embeddingModel(spec.modelId);
    }
    default:
      throw new ModelConfigError({
        code: 'MODEL_UNKNOWN',
        modelId: text,
        message: `--embedding-model '${text}': ${spec.provider === 'sim' ? 'the simulated model has no embeddings' : 'Anthropic offers no embedding models'}; use openai:<id>, ollama:<id> or compatible:<baseURL>#<id> (without one, consistency uses the TF-IDF fallback)`,
      });
  }
}
