import { readRunEvents, resumeJob, type JobResult } from '../../jobs/index.js';
import { parseQueueOptions, queueTimeoutOption } from '../queue-options.js';
import { configFlags } from '../global-options.js';
import type { Register } from '../main.js';
import { printJobEnd, runWithProgress } from '../run-job.js';
import { goneNote, storePath, withRun } from './runs.js';

/** `crosstalk runs events|resume`: a run's event stream, and continuing it. */
export const registerRunEvents: Register = (program, ctx, run) => {
  const runs = program.commands.find((c) => c.name() === 'runs')!;

  runs
    .command('events')
    .description(
      "print a run's events (with --json: one JSON object per line, NDJSON); --follow keeps printing until the run ends",
    )
    .argument('<id>', 'run id')
    .option('--follow', 'keep printing new events as they happen, until the run finishes')
    .action(
      run(async ([id], options, out) =>
        withRun(ctx, options, id, 'read', async (store, record) => {
          const end = await readRunEvents(store, record.id, {
            follow: options.follow === true,
            signal: ctx.signal,
            onEvent: (event) => {
              if (out.json) ctx.stdout.write(`${JSON.stringify(event)}\n`);
              else {
                const { type, runId: _runId, at, seq, ...data } = event;
                out.line(`${new Date(at).toISOString()} #${seq} ${type} ${JSON.stringify(data)}`);
              }
            },
          });
          // a killed run never writes run-finished: following it ends instead of waiting forever
          if (end === 'process-gone')
            out.note(`crosstalk: run ${record.id} is not running any more: ${goneNote(record.id)}`);
        }),
      ),
    );

  runs
    .command('resume')
    .description('continue a run from the steps already done; recorded model calls are replayed at no cost')
    .argument('<id>', 'run id')
    .option('--queue <url>', 'continue on `crosstalk worker`s through BullMQ: redis://[user:pass@]host[:port][/db]')
    .option(...queueTimeoutOption)
    .action(
      run(async ([id], options, out) => {
        const path = storePath(ctx, options);
        const queued = parseQueueOptions(options); // a bad URL fails before any work
        // the run continues in the store it was found in, wherever the store was when the run started
        const result = await runWithProgress(ctx, out, (environment) =>
          resumeJob(environment, {
            storePath: path,
            runId: String(id),
            flagOverrides: configFlags(options),
            ...queued,
          }),
        );
        return printJobEnd(out, result, () => ({ out: resumedLines(result) }));
      }),
    );
};

/** What a resumed run says when it ends: where its results are. */
function resumedLines(result: JobResult<object>): string[] {
  const summary = result.summary as { story?: string | null; answer?: string | null; files?: string[] };
  const lines = [`${result.status}: run ${result.runId}${result.outDir ? `; output in ${result.outDir}` : ''}`];
  if (summary.files) lines.push(`  ${summary.files.length} files`);
  return lines;
}
