import type { PriceEntry } from '../../config/index.js';

/**
 * Default prices, USD per million tokens (input, cached input, output), as
 * published by the providers for their standard tiers. Edit or extend them
 * with `prices:` in the config file. `sim` has a fictitious price so budget
 * behaviour can be exercised offline; it is not a real cost.
 */
export const defaultPrices: Record<string, PriceEntry> = {
  'openai:gpt-4o': { input: 2.5, cachedInput: 1.25, output: 10 },
  'openai:gpt-4o-mini': { input: 0.15, cachedInput: 0.075, output: 0.6 },
  'openai:gpt-4.1': { input: 2, cachedInput: 0.5, output: 8 },
  'openai:gpt-4.1-mini': { input: 0.4, cachedInput: 0.1, output: 1.6 },
  'openai:gpt-4.1-nano': { input: 0.1, cachedInput: 0.025, output: 0.4 },
  'openai:o3-mini': { input: 1.1, cachedInput: 0.55, output: 4.4 },
  'openai:o4-mini': { input: 1.1, cachedInput: 0.275, output: 4.4 },
  'openai:gpt-5': { input: 1.25, cachedInput: 0.125, output: 10 },
  'openai:gpt-5-mini': { input: 0.25, cachedInput: 0.025, output: 2 },
  'anthropic:claude-sonnet-4-5': { input: 3, cachedInput: 0.3, output: 15 },
  'anthropic:claude-haiku-4-5': { input: 1, cachedInput: 0.1, output: 5 },
  'anthropic:claude-opus-4-1': { input: 15, cachedInput: 1.5, output: 75 },
  'anthropic:claude-3-5-haiku': { input: 0.8, cachedInput: 0.08, output: 4 },
  sim: { input: 0.5, cachedInput: 0.5, output: 1.5 },
};

/**
 * The price of a model: an exact override, else an exact default, else the
 * longest default whose id the model id starts with (dated snapshots such as
 * `gpt-4o-mini-2024-07-18`). Local servers (ollama, compatible) are free only
 * if the config says so; unknown prices return undefined.
 */
export function resolvePrice(modelKey: string, overrides: Record<string, PriceEntry> = {}): PriceEntry | undefined {
  if (overrides[modelKey]) return overrides[modelKey];
  const simKey = modelKey.startsWith('sim') ? 'sim' : modelKey;
  if (overrides[simKey]) return overrides[simKey];
  if (defaultPrices[simKey]) return defaultPrices[simKey];
  let best: string | undefined;
  for (const key of Object.keys(defaultPrices)) {
    if (modelKey.startsWith(`${key}-`) && (!best || key.length > best.length)) best = key;
  }
  return best ? defaultPrices[best] : undefined;
}

/** Cost in USD of a call, or undefined when the price is unknown. */
export function callCost(
  price: PriceEntry | undefined,
  tokens: { input: number; cachedInput: number; output: number },
): number | undefined {
  if (!price) return undefined;
  const uncached = Math.max(0, tokens.input - tokens.cachedInput);
  return (
    (uncached * price.input + tokens.cachedInput * (price.cachedInput ?? price.input) + tokens.output * price.output) /
    1_000_000
  );
}
