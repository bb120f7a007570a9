import type { CrosstalkConfig } from '../config/index.js';
import { ModelConfigError } from '../errors/index.js';
import { defaultOllamaBaseURL } from './create-model.js';

/** Which model string to use and why. */
export interface ResolvedModelString {
  model: string;
  /** Where the choice came from, e.g. `--model`, `CROSSTALK_MODEL`, `config file`, `OPENAI_API_KEY`, `local Ollama`. */
  source: string;
}

/** Asks an OpenAI-compatible server for its models; returns the first id, or undefined if unreachable. */
export async function probeOllama(baseURL = defaultOllamaBaseURL, timeoutMs = 400): Promise<string | undefined> {
  try {
    const response = await fetch(`${baseURL}/models`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) return undefined;
    const body = (await response.json()) as { data?: Array<{ id?: unknown }> };
    const id = body.data?.find((m) => typeof m.id === 'string')?.id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

/** Message shown when no model can be chosen. */
export const noModelMessage =
  'no model configured: pass --model (e.g. --model openai:gpt-4o-mini), set CROSSTALK_MODEL or OPENAI_API_KEY, ' +
  "or put 'model: …' in crosstalk.config.yaml; for an offline dry run use --model sim";

/**
 * Chooses the default model: the config's `model` (which already reflects
 * `--model` and `CROSSTALK_MODEL`), else `openai:gpt-4o-mini` when an OpenAI
 * key is set, else a reachable local Ollama's first model.
 * @throws ModelConfigError (`MODEL_NOT_CONFIGURED`) with the ways to configure one.
 */
export async function resolveModelString(options: {
  config: CrosstalkConfig;
  sources: Record<string, string>;
  probe?: (baseURL: string) => Promise<string | undefined>;
}): Promise<ResolvedModelString> {
  const { config, sources } = options;
  if (config.model) return { model: config.model, source: sources.model ?? 'config file' };
  if (config.providers?.openai?.apiKey)
    return { model: 'openai:gpt-4o-mini', source: sources['providers.openai.apiKey'] ?? 'config file' };
  const probe = options.probe ?? probeOllama;
  const ollama = await probe(config.providers?.ollama?.baseURL ?? defaultOllamaBaseURL);
  if (ollama) return { model: `ollama:${ollama}`, source: 'local Ollama' };
  throw new ModelConfigError({ code: 'MODEL_NOT_CONFIGURED', message: noModelMessage });
}
