import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/index.js';
import { createRuntime } from './runtime.js';

const runtimeFor = (model: string) =>
  createRuntime({
    loaded: loadConfig({ cwd: '/nonexistent-crosstalk-dir', env: {}, flags: { model } }),
    env: {},
    probe: async () => undefined,
  });

describe('createRuntime', () => {
  it('labels a run simulated as soon as any node or team model is the simulated one', async () => {
    const runtime = await runtimeFor('compatible:http://127.0.0.1:9/v1#real-model');
    expect(runtime.simulated).toBe(false);
    runtime.modelByString('sim?seed=3');
    expect(runtime.simulated).toBe(true);
  });

  it('carries the sandbox, a clock and a logger that does nothing by default', async () => {
    const runtime = await runtimeFor('sim');
    expect(runtime.simulated).toBe(true);
    expect(typeof runtime.sandbox.reason).toBe('string');
    expect(runtime.clock()).toBeGreaterThan(0);
    expect(() => runtime.logger.warn('nobody listens')).not.toThrow();
  });
});
