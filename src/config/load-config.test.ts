import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/temp-dir.js';
import { ConfigError } from '../errors/index.js';
import { loadConfig, maskConfig } from './load-config.js';

function dirWith(name: string, text: string): string {
  const dir = tempDir('crosstalk-config-');
  writeFileSync(join(dir, name), text);
  return dir;
}

describe('loadConfig', () => {
  it('layers file, then environment, then flags', () => {
    const cwd = dirWith('crosstalk.config.yaml', 'model: sim\nlimits:\n  concurrency: 4\n  timeoutMs: 1000\nseed: 1\n');
    const loaded = loadConfig({
      cwd,
      env: { CROSSTALK_CONCURRENCY: '6', OPENAI_API_KEY: 'sk-test-1234567890' },
      flags: { seed: '9' },
    });
    expect(loaded.config.model).toBe('sim');
    expect(loaded.config.limits).toEqual({ concurrency: 6, timeoutMs: 1000 });
    expect(loaded.config.seed).toBe(9);
    expect(loaded.sources).toMatchObject({ 'limits.concurrency': 'CROSSTALK_CONCURRENCY', seed: '--seed' });
    expect(loaded.file).toBe(join(cwd, 'crosstalk.config.yaml'));
  });

  it('reads JSON config files', () => {
    const cwd = dirWith('crosstalk.config.json', JSON.stringify({ model: 'openai:gpt-4o-mini', budget: { usd: 2 } }));
    expect(loadConfig({ cwd, env: {} }).config.budget?.usd).toBe(2);
  });

  it('works with no config file at all', () => {
    const cwd = tempDir('crosstalk-config-');
    expect(loadConfig({ cwd, env: {} }).config).toEqual({});
  });

  it('masks secrets', () => {
    const cwd = tempDir('crosstalk-config-');
    const loaded = loadConfig({ cwd, env: { OPENAI_API_KEY: 'sk-secret-abcdefgh1234' } });
    expect(JSON.stringify(maskConfig(loaded.config))).not.toContain('secret');
    expect(maskConfig(loaded.config).providers?.openai?.apiKey).toBe('****1234');
  });

  const badFiles: Array<[string, string, string, RegExp]> = [
    ['unknown top-level key', 'crosstalk.config.yaml', 'modle: sim\n', /unknown key 'modle'/],
    ['unknown nested key', 'crosstalk.config.yaml', 'limits:\n  concurency: 3\n', /unknown key 'limits\.concurency'/],
    [
      'wrong type',
      'crosstalk.config.yaml',
      'limits:\n  concurrency: eight\n',
      /'limits\.concurrency' must be a number \(got "eight"\)/,
    ],
    ['negative number', 'crosstalk.config.yaml', 'budget:\n  usd: -1\n', /'budget\.usd' must be positive/],
    [
      'non-integer',
      'crosstalk.config.yaml',
      'limits:\n  concurrency: 2.5\n',
      /'limits\.concurrency' must be an integer/,
    ],
    ['rate above one', 'crosstalk.config.yaml', 'sim:\n  fail429: 3\n', /'sim\.fail429' must be at most 1/],
    ['turns below one', 'crosstalk.config.yaml', 'sim:\n  minTurns: 0\n', /'sim\.minTurns' must be positive \(got 0\)/],
    [
      'bad URL',
      'crosstalk.config.yaml',
      'providers:\n  openai:\n    baseURL: not a url\n',
      /'providers\.openai\.baseURL' must be a valid URL/,
    ],
    ['YAML syntax', 'crosstalk.config.yaml', 'model: [sim\n', /not valid YAML/],
    ['JSON syntax', 'crosstalk.config.json', '{"model": ', /not valid JSON/],
    ['list at top level', 'crosstalk.config.yaml', '- sim\n- openai\n', /top level must be a mapping/],
    [
      'mapping where a string belongs',
      'crosstalk.config.yaml',
      'model:\n  name: sim\n',
      /'model' must be a string \(got a mapping\)/,
    ],
    [
      'price with unknown field',
      'crosstalk.config.yaml',
      'prices:\n  "openai:x":\n    input: 1\n    output: 2\n    extra: 3\n',
      /unknown key 'prices\.openai:x\.extra'/,
    ],
  ];
  it.each(badFiles)('rejects a config with %s in one line', (_label, name, text, message) => {
    const cwd = dirWith(name, text);
    let error: unknown;
    try {
      loadConfig({ cwd, env: {} });
    } catch (e) {
      error = e;
    }
    expect(ConfigError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('\n');
  });

  const badEnvAndFlags: Array<[string, NodeJS.ProcessEnv, Record<string, string>, RegExp]> = [
    [
      'env concurrency not a number',
      { CROSSTALK_CONCURRENCY: 'many' },
      {},
      /CROSSTALK_CONCURRENCY must be a positive integer \(got "many"\)/,
    ],
    ['flag budget negative', {}, { budgetUsd: '-3' }, /--budget-usd must be a positive number/],
    ['flag seed not an integer', {}, { seed: '1.5' }, /--seed must be an integer/],
    ['flag concurrency zero', {}, { concurrency: '0' }, /--concurrency must be a positive integer/],
    [
      'env base URL invalid',
      { OPENAI_BASE_URL: 'ftp//x' },
      {},
      /OPENAI_BASE_URL: 'providers\.openai\.baseURL' must be a valid URL/,
    ],
    ['missing config file', {}, { config: 'nope.yaml' }, /config file not found/],
  ];
  it.each(badEnvAndFlags)('rejects %s naming the variable or flag', (_label, env, flags, message) => {
    const cwd = tempDir('crosstalk-config-');
    expect(() => loadConfig({ cwd, env, flags })).toThrow(message);
  });
});
