import { ModelConfigError } from '../errors/index.js';

/** A parsed model string. */
export type ModelSpec =
  | { provider: 'sim'; modelId: string; query: string; text: string }
  | { provider: 'openai' | 'anthropic' | 'ollama'; modelId: string; text: string }
  | { provider: 'compatible'; baseURL: string; modelId: string; text: string };

/** The model string forms crosstalk accepts, for error messages and help. */
export const modelStringForms = 'openai:<id>, anthropic:<id>, ollama:<id>, compatible:<baseURL>#<id>, or sim';

function unknown(text: string, why: string): ModelConfigError {
  return new ModelConfigError({
    code: 'MODEL_UNKNOWN',
    modelId: text,
    message: `unknown model '${text}': ${why} (expected ${modelStringForms})`,
  });
}

/**
 * Parses a model string: `openai:gpt-4o-mini`, `anthropic:claude-sonnet-4-5`,
 * `ollama:qwen2.5-coder`, `compatible:http://127.0.0.1:8000/v1#my-model`,
 * `sim`, `sim?latency=50ms&fail429=0.1`.
 * @throws ModelConfigError (`MODEL_UNKNOWN`) naming the string and the accepted forms.
 */
export function parseModelString(text: string): ModelSpec {
  const trimmed = text.trim();
  if (trimmed === '') throw unknown(text, 'empty model string');
  if (trimmed === 'sim' || trimmed.startsWith('sim?') || trimmed.startsWith('sim:')) {
    const [head, query = ''] = trimmed.split(/\?(.*)/s, 2) as [string, string?];
    const modelId = head === 'sim' ? 'sim' : head.slice(4);
    if (modelId === '') throw unknown(text, 'empty simulated model name');
    return { provider: 'sim', modelId, query, text: trimmed };
  }
  const colon = trimmed.indexOf(':');
  if (colon <= 0) throw unknown(text, 'no provider prefix');
  const provider = trimmed.slice(0, colon);
  const rest = trimmed.slice(colon + 1);
  switch (provider) {
    case 'openai':
    case 'anthropic':
    case 'ollama':
      if (rest === '' || /\s/.test(rest)) throw unknown(text, `missing or invalid model id after '${provider}:'`);
      return { provider, modelId: rest, text: trimmed };
    case 'compatible': {
      const hash = rest.lastIndexOf('#');
      if (hash <= 0 || hash === rest.length - 1) throw unknown(text, "a compatible model needs '<baseURL>#<model id>'");
      const baseURL = rest.slice(0, hash);
      let url: URL;
      try {
        url = new URL(baseURL);
      } catch {
        throw unknown(text, `'${baseURL}' is not a URL`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:')
        throw unknown(text, `'${baseURL}' must be an http(s) URL`);
      return {
        provider: 'compatible',
        baseURL: baseURL.replace(/\/$/, ''),
        modelId: rest.slice(hash + 1),
        text: trimmed,
      };
    }
    default:
      throw unknown(text, `unknown provider '${provider}'`);
  }
}
