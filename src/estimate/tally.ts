import type { PriceEntry } from '../config/index.js';
import { callCost, resolvePrice } from '../model/middleware/index.js';
import type { Estimate, EstimateTotals } from './types.js';

/** Characters of a text sent or received → tokens, as the simulated model counts them (about four a token). */
export function tokensOfChars(chars: number): number {
  return chars <= 0 ? 0 : Math.ceil(chars / 4);
}

/**
 * Input characters of one call as the simulated model measures its prompt:
 * each message as `role:content`, joined by one separator.
 */
export function promptChars(system: string | number, messages: ReadonlyArray<string | number>): number {
  const len = (x: string | number) => (typeof x === 'number' ? x : x.length);
  const parts = [
    `system:`.length + len(system),
    ...messages.map((m, i) => (i % 2 === 0 ? 'user:' : 'assistant:').length + len(m)),
  ];
  return parts.reduce((a, b) => a + b, 0) + parts.length - 1;
}

interface Row {
  calls: number;
  input: number;
  output: number;
}

/** Accumulates calls and tokens per model for an expected and a bound scenario. */
export class CallTally {
  private readonly expected = new Map<string, Row>();
  private readonly bound = new Map<string, Row>();

  /**
   * Adds `weight` calls (the expected count) and `boundWeight` calls (the
   * bound, default the same) of one model with the given sizes in characters.
   */
  add(model: string, inputChars: number, outputChars: number, weight = 1, boundWeight = weight): void {
    const input = tokensOfChars(inputChars);
    const output = tokensOfChars(outputChars);
    for (const [map, w] of [
      [this.expected, weight],
      [this.bound, boundWeight],
    ] as const) {
      if (w === 0) continue;
      const row = map.get(model) ?? { calls: 0, input: 0, output: 0 };
      row.calls += w;
      row.input += w * input;
      row.output += w * output;
      map.set(model, row);
    }
  }

  /** The estimate's call, token and cost figures, priced with `prices` overriding the defaults. */
  totals(
    prices: Record<string, PriceEntry> = {},
  ): Pick<Estimate, 'expected' | 'bound' | 'perModel' | 'costNote' | 'simulated'> {
    const models = [...new Set([...this.expected.keys(), ...this.bound.keys()])].sort();
    const unknown = models.filter((m) => resolvePrice(m, prices) === undefined);
    const priced = (model: string, row: Row | undefined): EstimateTotals => {
      const r = row ?? { calls: 0, input: 0, output: 0 };
      const cost = callCost(resolvePrice(model, prices), { input: r.input, cachedInput: 0, output: r.output });
      return {
        calls: round(r.calls),
        inputTokens: Math.round(r.input),
        outputTokens: Math.round(r.output),
        costUsd: cost ?? null,
      };
    };
    const perModel: Estimate['perModel'] = {};
    for (const m of models)
      perModel[m] = { expected: priced(m, this.expected.get(m)), bound: priced(m, this.bound.get(m)) };
    const sum = (key: 'expected' | 'bound'): EstimateTotals => {
      const rows = Object.values(perModel).map((p) => p[key]);
      const costs = rows.map((r) => r.costUsd);
      return {
        calls: round(rows.reduce((a, r) => a + r.calls, 0)),
        inputTokens: rows.reduce((a, r) => a + r.inputTokens, 0),
        outputTokens: rows.reduce((a, r) => a + r.outputTokens, 0),
        costUsd: costs.some((c) => c === null) ? null : costs.reduce<number>((a, c) => a + c!, 0),
      };
    };
    const simulated = models.length > 0 && models.every(isSimModel);
    const costNote =
      unknown.length > 0
        ? `no price known for ${unknown.map((m) => `'${m}'`).join(', ')} (add it under prices: in crosstalk.config.yaml)`
        : models.some(isSimModel)
          ? "sim's price is fictitious (it exists so budgets can be tried offline)"
          : undefined;
    return { expected: sum('expected'), bound: sum('bound'), perModel, ...(costNote ? { costNote } : {}), simulated };
  }
}

/** True for `sim`, `sim:<name>`, `sim?…` model strings. */
export function isSimModel(model: string): boolean {
  const m = model.trim();
  return m === 'sim' || m.startsWith('sim?') || m.startsWith('sim:');
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
