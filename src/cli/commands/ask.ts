import { loadConfig } from '../../config/index.js';
import { ConfigError } from '../../errors/index.js';
import { complete } from '../../model/index.js';
import { createRuntime } from '../../runtime/index.js';
import { configFlags } from '../global-options.js';
import type { Register } from '../main.js';
import { formatUsageLine, simulatedBanner } from '../format.js';

/** `crosstalk ask "<prompt>"`: one call through the whole model stack, to check a setup. */
export const registerAsk: Register = (program, ctx, run) => {
  program
    .command('ask')
    .description(
      'send one prompt through the whole stack (retries, limits, usage, budget) and print the reply and usage',
    )
    .argument('<prompt>', 'the prompt')
    .option('--system <text>', 'system prompt')
    .option('--temperature <t>', 'sampling temperature (0-2)')
    .action(
      run(async ([prompt], options, out) => {
        if (typeof prompt !== 'string' || prompt.trim() === '')
          throw new ConfigError({ key: 'prompt', message: 'ask needs a non-empty prompt' });
        let temperature: number | undefined;
        if (options.temperature !== undefined) {
          temperature = Number(options.temperature);
          if (!Number.isFinite(temperature) || temperature < 0 || temperature > 2) {
            throw new ConfigError({
              key: '--temperature',
              message: `--temperature must be a number from 0 to 2 (got ${JSON.stringify(options.temperature)})`,
            });
          }
        }
        const loaded = loadConfig({ cwd: ctx.cwd, env: ctx.env, flags: configFlags(options) });
        const runtime = await createRuntime({ loaded, env: ctx.env, signal: ctx.signal });
        if (runtime.simulated) out.note(simulatedBanner);
        const started = performance.now();
        const reply = await complete(runtime.model(), {
          messages: [{ role: 'user', content: prompt }],
          ...(typeof options.system === 'string' ? { system: options.system } : {}),
          ...(temperature !== undefined ? { temperature } : {}),
          seed: runtime.seed,
          agent: 'user',
          signal: ctx.signal,
        });
        const durationMs = Math.round(performance.now() - started);
        const usage = runtime.usage.snapshot();
        out.result({
          ok: true,
          model: runtime.defaultModel,
          simulated: runtime.simulated,
          reply: reply.text,
          durationMs,
          usage: usage.total,
        });
        out.line(reply.text);
        out.note(formatUsageLine(runtime.defaultModel, usage.total, durationMs));
      }),
    );
};
