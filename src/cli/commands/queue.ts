import { queueStatus } from '../../queue/index.js';
import type { Register } from '../main.js';
import { printable } from '../format.js';

/** `crosstalk queue status --queue redis://…`: workers, waiting and active steps. */
export const registerQueue: Register = (program, _ctx, run) => {
  const queue = program.command('queue').description('the BullMQ queue that `net --queue` and workers share');
  queue
    .command('status')
    .description('show connected workers, waiting and active steps')
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
        for (const step of status.activeSteps)
          out.line(`  active: ${step.kind} ${printable(step.stepId)} of run ${step.runId}`);
        return 0;
      }),
    );
};
