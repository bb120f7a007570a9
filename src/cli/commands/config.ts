import { stringify } from 'yaml';
import { loadConfig, maskConfig } from '../../config/index.js';
import { ModelConfigError } from '../../errors/index.js';
import { resolveModelString } from '../../model/index.js';
import { configFlags } from '../global-options.js';
import type { Register } from '../main.js';
import { checkModelStrings } from '../../runtime/index.js';

/** `crosstalk config`: prints the effective configuration with secrets masked. */
export const registerConfig: Register = (program, ctx, run) => {
  program
    .command('config')
    .description('print the effective configuration (file, then environment, then flags), secrets masked')
    .action(
      run(async (_args, options, out) => {
        const loaded = loadConfig({ cwd: ctx.cwd, env: ctx.env, flags: configFlags(options) });
        checkModelStrings(loaded);
        let model: { model: string; source: string } | { model: null; source: string };
        try {
          model = await resolveModelString(loaded);
        } catch (error) {
          if (!ModelConfigError.isInstance(error)) throw error;
          model = { model: null, source: error.message };
        }
        const masked = maskConfig(loaded.config);
        out.result({
          ok: true,
          file: loaded.file ?? null,
          config: masked,
          sources: loaded.sources,
          resolvedModel: model,
        });
        out.line(`# config file: ${loaded.file ?? '(none)'}`);
        for (const [key, source] of Object.entries(loaded.sources)) out.line(`# ${key} from ${source}`);
        out.line(`# model in use: ${model.model ?? '(none)'}${model.model ? ` (from ${model.source})` : ''}`);
        if (!model.model) out.line(`# ${model.source}`);
        const body = stringify(masked).trimEnd();
        out.line(body === '{}' ? '# (all defaults)' : body);
      }),
    );
};
