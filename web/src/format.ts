import type { RunTotals } from '../../src/serve/view-types';

export const tokens = (t: RunTotals) => t.inputTokens + t.outputTokens;

export const cost = (usd: number | null) => (usd === null ? 'cost unknown' : `$${usd.toFixed(4)}`);

export const when = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);

export const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
