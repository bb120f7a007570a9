import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors/index.js';
import { parseAssumedLatency } from './assume-latency.js';

describe('parseAssumedLatency', () => {
  it('reads seconds and milliseconds', () => {
    expect(parseAssumedLatency('2s')).toBe(2000);
    expect(parseAssumedLatency('1.5s')).toBe(1500);
    expect(parseAssumedLatency('500ms')).toBe(500);
    expect(parseAssumedLatency(' 0ms ')).toBe(0);
  });

  it('refuses anything else with a one-line ConfigError', () => {
    for (const bad of ['2', 'fast', '-1s', '1m', '', '1.5.2s', 's']) {
      let caught: unknown;
      try {
        parseAssumedLatency(bad);
      } catch (error) {
        caught = error;
      }
      expect(ConfigError.isInstance(caught), bad).toBe(true);
      const error = caught as ConfigError;
      expect(error.key).toBe('--assume-latency');
      expect(error.message).not.toContain('\n');
      expect(error.message).toContain(JSON.stringify(bad));
    }
  });
});
