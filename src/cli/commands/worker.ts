import { ConfigError } from '../../errors/index.js';
import { parseQueueUrl, startWorker } from '../../queue/index.js';
import { configFlags } from '../global-options.js';
import type { Register } from '../main.js';
import { printable } from '../format.js';
import { wholeNumber } from '../parse-flags.js';

/** `crosstalk worker --queue redis://…`: take steps from the queue until SIGTERM. */
export const registerWorker: Register = (program, ctx, run) => {
  program
    .command('worker')
    .description(
      'work on steps from a BullMQ queue on Redis (with --concurrency steps at once) until SIGTERM; ' +
        'provider keys come from this environment, never from Redis',
    )
    .requiredOption('--queue <url>', 'redis://[user:pass@]host[:port][/db], or rediss:// for TLS')
    .option('--lock-ms <ms>', 'how long the steps of a worker that died stay locked before another takes them', '30000')
    .action(
      run(async (_args, options, out) => {
        const url = String(options.queue);
        const { display } = parseQueueUrl(url);
        const concurrency = wholeNumber('--concurrency', options.concurrency, 4, 1, 1000);
        const lockMs = wholeNumber('--lock-ms', options.lockMs, 30_000, 200);
        const { concurrency: _c, ...flags } = configFlags(options);
        if (ctx.signal.aborted) throw new ConfigError({ key: 'signal', message: 'stopped before starting' });
        const worker = startWorker({
          queue: url,
          concurrency,
          lockMs,
          cwd: ctx.cwd,
          env: ctx.env,
          flags,
          onStepStarted: (s) => out.line(`step started: ${printable(s.stepId)} (run ${s.runId})`),
          onStepDone: (s) =>
            out.line(`step done: ${printable(s.stepId)} (run ${s.runId}; ${s.paid} paid, ${s.replayed} replayed)`),
          onStepFailed: (s) => out.note(`step failed: ${printable(s.stepId)}: ${printable(s.error)}`),
        });
        await worker.ready();
        out.note(`crosstalk worker ${worker.name} ready on ${display}, ${concurrency} step(s) at once`);
        await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve(), { once: true }));
        out.note(`crosstalk worker ${worker.name}: finishing the steps in hand`);
        await worker.close();
        out.note(`crosstalk worker ${worker.name} stopped`);
        return 0;
      }),
    );
};
