import type { LoadedConfig } from '../config/index.js';
import { ModelConfigError } from '../errors/index.js';
import { parseModelString } from '../model/index.js';

/**
 * Validates every model string in the config (the default model and the
 * per-role ones) before any work starts, naming the key that holds a bad one.
 * @throws ModelConfigError prefixed with the offending key or flag.
 */
export function checkModelStrings(loaded: LoadedConfig): void {
  const entries: Array<[string, string]> = [];
  if (loaded.config.model) entries.push([loaded.sources.model ?? 'model', loaded.config.model]);
  for (const [role, model] of Object.entries(loaded.config.roleModels ?? {}))
    entries.push([loaded.sources[`roleModels.${role}`] ? `--role-models ${role}` : `roleModels.${role}`, model]);
  for (const [key, model] of entries) {
    try {
      parseModelString(model);
    } catch (error) {
      if (ModelConfigError.isInstance(error)) {
        throw new ModelConfigError({ code: 'MODEL_UNKNOWN', modelId: model, message: `${key}: ${error.message}` });
      }
      throw error;
    }
  }
}
