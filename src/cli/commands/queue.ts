import { queueStatus } from '../../queue/index.js';
import type { Register } from '../main.js';
import { printable } from '../format.js';

/** `crosstalk queue status --queue redis://…`: workers, waiting and active steps. */
export const registerQueue: Register = (program, _ctx, run) => {
  const queue = program.command('queue').description('the BullMQ queue that `net --queue` and workers share');
  queue
    .command('status')
    .description('show connected workers, waiting and active steps, and rate-limit state per model')
    .requiredOption('--queue <url>', 'redis://[user:pass@]host[:port][/db], or rediss:// for TLS')
    .action(
      run(async (_args, options, out) => {
        const status = await queueStatus(String(options.queue));
        if (out.json) {
          out.result(status);
          return 0;
        }
        out.line(`queue ${status.queue}`);
        out.line(`workers: ${status.workers.length}${status.workers.length ? ` (${status.workers.join(', ')})` : ''}`);
        out.line(`steps: ${status.waiting} waiting, ${status.active} active, ${status.failed} failed`);
        for (const l of status.limits) {
          const per = l.windowMs === 60_000 ? 'min' : `${l.windowMs} ms`;
          const of = (limit: number | undefined) => (limit ? `/${limit}` : '');
          out.line(
            `limits of ${printable(l.model)}: ${l.inFlight}${of(l.concurrency)} in flight (peak ${l.peakInFlight}), ` +
              `${l.windowRequests}${of(l.requestsPerMinute)} requests and ${l.windowTokens}${of(l.tokensPerMinute)} ` +
              `tokens this ${per}`,
          );
        }
        for (const step of status.activeSteps)
          out.line(`  active: ${step.kind} ${printable(step.stepId)} of run ${step.runId}`);
        return 0;
      }),
    );
};
