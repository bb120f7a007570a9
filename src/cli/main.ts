import { setMaxListeners } from 'node:events';
import { Command, CommanderError } from 'commander';
import { ExitCode } from '../errors/index.js';
import { registerAsk } from './commands/ask.js';
import { registerConfig } from './commands/config.js';
import { registerRuns } from './commands/runs.js';
import { registerRunEvents } from './commands/runs-events.js';
import { registerGraph } from './commands/graph.js';
import { registerNet } from './commands/net.js';
import { registerDev } from './commands/dev.js';
import { registerStory } from './commands/story.js';
import { registerServe } from './commands/serve.js';
import { registerEval } from './commands/eval.js';
import { registerWorker } from './commands/worker.js';
import { registerQueue } from './commands/queue.js';
import type { CliContext } from './context.js';
import { addGlobalOptions } from './global-options.js';
import { printable } from './format.js';
import { createOutput, describeError } from './output.js';

/** Package version shown by `crosstalk --version`. */
export const version = '0.1.0';

/** Registers a command's action with uniform error handling: one line on stderr, the right exit code. */
export type Register = (program: Command, ctx: CliContext, run: Runner) => void;
/** Wraps an action so that errors become one-line messages and exit codes. */
export type Runner = <A extends unknown[]>(
  action: (args: A, options: Record<string, unknown>, out: ReturnType<typeof createOutput>) => Promise<number | void>,
) => (...raw: unknown[]) => Promise<void>;

/**
 * Runs the crosstalk CLI with the given arguments (without `node` and the
 * script path) and returns the exit code. Never throws.
 */
export async function runCli(argv: string[], ctx: CliContext): Promise<number> {
  let exitCode: number = ExitCode.ok;
  ctx = ctx.argv ? ctx : { ...ctx, argv };
  const program = new Command('crosstalk')
    .description('Run teams and networks of LLM agents that build software and other content together.')
    .version(version)
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => ctx.stdout.write(text),
      writeErr: (text) => ctx.stderr.write(text),
      outputError: (text, write) =>
        write(
          `crosstalk: ${text
            .replace(/^error: /, '')
            .trim()
            .replace(/\s*\n\s*/g, ' ')}\n`,
        ),
    });

  const run: Runner =
    (action) =>
    async (...raw) => {
      const command = raw[raw.length - 1] as Command;
      const options = command.optsWithGlobals() as Record<string, unknown>;
      const args = raw.slice(0, -2) as never;
      const out = createOutput(options.json === true, ctx);
      try {
        exitCode = (await action(args, options, out)) ?? ExitCode.ok;
      } catch (error) {
        const { message, code, exitCode: errorExit } = describeError(error);
        exitCode = errorExit;
        ctx.stderr.write(`crosstalk: ${printable(message)}\n`);
        if (out.json) out.result({ ok: false, error: { code, message } });
        if (code === 'INTERNAL' && ctx.env.CROSSTALK_DEBUG && error instanceof Error)
          ctx.stderr.write(`${error.stack}\n`);
      }
    };

  for (const register of [
    registerAsk,
    registerConfig,
    registerDev,
    registerStory,
    registerGraph,
    registerNet,
    registerRuns,
    registerRunEvents,
    registerServe,
    registerEval,
    registerWorker,
    registerQueue,
  ])
    register(program, ctx, run);
  const prepare = (command: Command) => {
    command.exitOverride();
    if (command.commands.length === 0) addGlobalOptions(command);
    for (const sub of command.commands) prepare(sub);
  };
  for (const command of program.commands) prepare(command);

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      if (
        error.code === 'commander.helpDisplayed' ||
        error.code === 'commander.version' ||
        error.code === 'commander.help'
      )
        return ExitCode.ok;
      return error.code === 'commander.executeSubCommandAsync' ? ExitCode.failed : ExitCode.badInput;
    }
    ctx.stderr.write(`crosstalk: ${printable(describeError(error).message)}\n`);
    return ExitCode.failed;
  }
  return exitCode;
}

/** Entry point used by `bin/crosstalk.js`: wires process streams and Ctrl-C. */
export async function main(): Promise<void> {
  const controller = new AbortController();
  // every model call in flight listens to this signal; thousands may be in flight at once
  setMaxListeners(0, controller.signal);
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    if (interrupts > 1) process.exit(ExitCode.interrupted);
    process.stderr.write(`\ncrosstalk: ${signal} received, stopping (press Ctrl-C again to quit at once)\n`);
    controller.abort();
  };
  // `crosstalk … | head` closes the pipe early: stop quietly instead of crashing on EPIPE
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const code = await runCli(process.argv.slice(2), {
    cwd: process.cwd(),
    env: process.env,
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    signal: controller.signal,
  });
  process.exitCode = controller.signal.aborted && code === ExitCode.ok ? ExitCode.interrupted : code;
}
