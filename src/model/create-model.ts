import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import type { LanguageModelV3 } from '@ai-sdk/provider';
import type { CrosstalkConfig } from '../config/index.js';
import { ModelConfigError } from '../errors/index.js';
import type { ModelSpec } from './model-spec.js';
import { parseSimQuery, SimulatedModel, type SimOptions } from './sim/index.js';

/** Default endpoint of a local Ollama server (OpenAI-compatible API). */
export const defaultOllamaBaseURL = 'http://127.0.0.1:11434/v1';

function simBase(config: CrosstalkConfig): Partial<SimOptions> {
  const s = config.sim ?? {};
  // The config's sim block uses the same notation as the query string; reuse its parser.
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(s)) if (value !== undefined) params.set(key, String(value));
  const base = parseSimQuery(params.toString());
  return config.seed !== undefined && s.seed === undefined ? { ...base, seed: config.seed } : base;
}

/**
 * Creates the provider model for a parsed model string, without middleware.
 * Credentials come from the (already merged) config.
 * @throws ModelConfigError (`MODEL_KEY_MISSING`) when the provider needs a key that is not set.
 */
export function createProviderModel(spec: ModelSpec, config: CrosstalkConfig, env: NodeJS.ProcessEnv = {}): LanguageModelV3 {
  switch (spec.provider) {
    case 'sim':
      return new SimulatedModel(parseSimQuery(spec.query, simBase(config)), spec.modelId);
    case 'openai': {
      const settings = config.providers?.openai;
      if (!settings?.apiKey) {
        throw new ModelConfigError({
          code: 'MODEL_KEY_MISSING',
          modelId: spec.text,
          message: `model '${spec.text}' needs an OpenAI API key: set OPENAI_API_KEY or providers.openai.apiKey in crosstalk.config.yaml (or use --model sim for an offline dry run)`,
        });
      }
      return createOpenAI({ apiKey: settings.apiKey, ...(settings.baseURL ? { baseURL: settings.baseURL } : {}) }).chat(spec.modelId);
    }
    case 'anthropic': {
      const settings = config.providers?.anthropic;
      if (!settings?.apiKey) {
        throw new ModelConfigError({
          code: 'MODEL_KEY_MISSING',
          modelId: spec.text,
          message: `model '${spec.text}' needs an Anthropic API key: set ANTHROPIC_API_KEY or providers.anthropic.apiKey in crosstalk.config.yaml (or use --model sim for an offline dry run)`,
        });
      }
      return createAnthropic({ apiKey: settings.apiKey, ...(settings.baseURL ? { baseURL: settings.baseURL } : {}) })(spec.modelId);
    }
    case 'ollama': {
      const baseURL = config.providers?.ollama?.baseURL ?? defaultOllamaBaseURL;
      return createOpenAICompatible({ name: 'ollama', baseURL, includeUsage: true })(spec.modelId);
    }
    case 'compatible': {
      const apiKey = env.COMPATIBLE_API_KEY;
      return createOpenAICompatible({ name: 'compatible', baseURL: spec.baseURL, includeUsage: true, ...(apiKey ? { apiKey } : {}) })(spec.modelId);
    }
  }
}
