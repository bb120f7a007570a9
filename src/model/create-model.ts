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

/** A hosted provider's settings, or the one-line error saying where its API key goes. */
export function keyedSettings(
  model: string,
  settings: { apiKey?: string | undefined; baseURL?: string | undefined } | undefined,
  vendor: string,
  envVar: string,
  configKey: string,
): { apiKey: string; baseURL?: string | undefined } {
  if (!settings?.apiKey) {
    throw new ModelConfigError({
      code: 'MODEL_KEY_MISSING',
      modelId: model,
      message: `model '${model}' needs an ${vendor} API key: set ${envVar} or providers.${configKey}.apiKey in crosstalk.config.yaml (or use --model sim for an offline dry run)`,
    });
  }
  return { apiKey: settings.apiKey, baseURL: settings.baseURL };
}

/**
 * Creates the provider model for a parsed model string, without middleware.
 * Credentials come from the (already merged) config.
 * @throws ModelConfigError (`MODEL_KEY_MISSING`) when the provider needs a key that is not set.
 */
export function createProviderModel(
  spec: ModelSpec,
  config: CrosstalkConfig,
  env: NodeJS.ProcessEnv = {},
): LanguageModelV3 {
  switch (spec.provider) {
    case 'sim':
      return new SimulatedModel(parseSimQuery(spec.query, simBase(config)), spec.modelId);
    case 'openai': {
      const { apiKey, baseURL } = keyedSettings(
        spec.text,
        config.providers?.openai,
        'OpenAI',
        'OPENAI_API_KEY',
        'openai',
      );
      return createOpenAI({ apiKey, ...(baseURL ? { baseURL } : {}) }).chat(spec.modelId);
    }
    case 'anthropic': {
      const { apiKey, baseURL } = keyedSettings(
        spec.text,
        config.providers?.anthropic,
        'Anthropic',
        'ANTHROPIC_API_KEY',
        'anthropic',
      );
      return createAnthropic({ apiKey, ...(baseURL ? { baseURL } : {}) })(spec.modelId);
    }
    case 'ollama': {
      const baseURL = config.providers?.ollama?.baseURL ?? defaultOllamaBaseURL;
      return createOpenAICompatible({ name: 'ollama', baseURL, includeUsage: true })(spec.modelId);
    }
    case 'compatible': {
      const apiKey = env.COMPATIBLE_API_KEY;
      return createOpenAICompatible({
        name: 'compatible',
        baseURL: spec.baseURL,
        includeUsage: true,
        ...(apiKey ? { apiKey } : {}),
      })(spec.modelId);
    }
  }
}
