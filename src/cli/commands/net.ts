import { join } from 'node:path';
import { prepareOutputDir } from '../../common/index.js';
import { loadConfig } from '../../config/index.js';
import { ConfigError, ModelConfigError } from '../../errors/index.js';
import { runNetJob, type NetJobConfig } from '../../jobs/index.js';
import { parseModelString } from '../../model/index.js';
import { parseQueueOptions, queueTimeoutOption } from '../queue-options.js';
import { edgeRunModes, type EdgeRunMode } from '../../network/index.js';
import { slugify, timestampForName } from '../../software/slug.js';
import { configFlags } from '../global-options.js';
import { addTopologyOptions, resolveGraph } from '../graph-options.js';
import type { Register } from '../main.js';
import { nonEmptyText } from '../parse-flags.js';
import {
  parseSafetyCheck,
  parseTextSelfCorrect,
  safetyCheckOptions,
  textSelfCorrectOptions,
} from '../self-correct-options.js';
import { planOptions, planOrRun } from '../plan.js';
import { defineCommand } from '../define-command.js';
import { formatMetricsLines, printable } from '../format.js';
import { printJobEnd } from '../run-job.js';
import { runJobServed, serveOptions } from './serve.js';

const taskTypes = ['code', 'text', 'choice'] as const;

function parseNetOptions(options: Record<string, unknown>) {
  const taskType = (options.taskType ?? 'text') as NetJobConfig['taskType'];
  if (!taskTypes.includes(taskType)) {
    throw new ConfigError({
      key: '--task-type',
      message: `--task-type must be one of ${taskTypes.join(', ')} (got ${JSON.stringify(options.taskType)})`,
    });
  }
  const edgeRounds = options.edgeRounds === undefined ? 1 : Number(options.edgeRounds);
  if (!Number.isInteger(edgeRounds) || edgeRounds < 1 || edgeRounds > 3) {
    throw new ConfigError({
      key: '--edge-rounds',
      message: `--edge-rounds must be 1, 2 or 3 (got ${JSON.stringify(options.edgeRounds)})`,
    });
  }
  const groupSize = options.groupSize === undefined ? 4 : Number(options.groupSize);
  if (!Number.isInteger(groupSize) || groupSize < 2) {
    throw new ConfigError({
      key: '--group-size',
      message: `--group-size must be a whole number of at least 2 (got ${JSON.stringify(options.groupSize)})`,
    });
  }
  const edgeRuns = options.edgeRuns ?? 'request';
  if (!edgeRunModes.includes(edgeRuns as EdgeRunMode)) {
    throw new ConfigError({
      key: '--edge-runs',
      message: `--edge-runs must be one of ${edgeRunModes.join(', ')} (got ${JSON.stringify(options.edgeRuns)})`,
    });
  }
  return {
    taskType,
    edgeRounds,
    groupSize,
    ...(options.edgeRuns !== undefined ? { edgeRuns: edgeRuns as EdgeRunMode } : {}),
    ...(options.pruneInputs === true ? { pruneInputs: true } : {}),
  };
}

/** `, N failed (id: reason; …)` for the first few failed nodes, or nothing. */
function failedNodes(failed: Record<string, string>): string {
  const entries = Object.entries(failed);
  if (entries.length === 0) return '';
  const shown = entries.slice(0, 3).map(([id, reason]) => `${printable(id)}: ${reason}`);
  return `, ${entries.length} failed (${shown.join('; ')}${entries.length > 3 ? '; …' : ''})`;
}

/** `crosstalk net "<task>" --topology T --agents N`: run a MacNet collaboration network. */
export const registerNet: Register = (program, ctx, run) => {
  const command = defineCommand(program, {
    name: 'net',
    description: 'run a collaboration network (MacNet): agents on a DAG, in topological order, concurrently',
    argument: ['<task>', 'the task every node works on'],
    required: [
      [
        '--topology <name|file>',
        'chain, star, tree, mesh, layer, random, small-world, scale-free, or a .json/.yaml/.dot graph',
      ],
    ],
    options: [
      ['--task-type <type>', `what the network produces: ${taskTypes.join(', ')} (default text)`],
      ['--edge-rounds <n>', 'critic ↔ actor rounds per edge, 1 to 3; the critic can approve sooner (default 1)'],
      ['--edge-runs <mode>', 'code: sandbox runs in an edge: off, request (the critic asks; default), every-round'],
      [
        '--prune-inputs',
        "prune a node's candidates before merging: above 4, keep the better half (MacNet's reference)",
      ],
      ['--group-size <g>', 'candidates merged per aggregation call (default 4)'],
      ['--out <dir>', 'output directory (default ./crosstalk-out/<name>-<timestamp>)'],
      ['--cache', "answer model calls from earlier runs' identical requests in the store (repeated experiments)"],
      ['--unsafe-no-sandbox', 'code networks: run the result on the host when no sandbox is available (dangerous)'],
      ['--queue <url>', 'send nodes to `crosstalk worker`s through BullMQ: redis://[user:pass@]host[:port][/db]'],
      queueTimeoutOption,
      ['--strict', 'a failed node skips every node after it (default: a node runs with the inputs that finished)'],
      ...textSelfCorrectOptions("every node's artifact (code: syntax and sandbox checks first)"),
      // --critic-model is in both lists
      ...safetyCheckOptions.filter(([flag]) => !flag.startsWith('--critic-model')),
      ...planOptions,
      ...serveOptions,
    ],
  });
  addTopologyOptions(command, '--agents').action(
    run(async ([task], options, out) => {
      const text = nonEmptyText(task, 'task', 'net');
      // the queue URL may hold a password: it is never stored with the run
      const { queue: _queue, queueTimeout: _timeout, ...flags } = configFlags(options);
      const loaded = loadConfig({ cwd: ctx.cwd, env: ctx.env, flags });
      const graph = resolveGraph(String(options.topology), options, ctx.cwd, 'agents', loaded.config.seed ?? 0);
      for (const node of graph.spec.nodes) {
        if (!node.model) continue;
        try {
          parseModelString(node.model);
        } catch (error) {
          if (ModelConfigError.isInstance(error))
            throw new ModelConfigError({ code: 'MODEL_UNKNOWN', message: `node '${node.id}': ${error.message}` });
          throw error;
        }
      }
      const queued = parseQueueOptions(options); // a bad URL fails before any work
      const config: NetJobConfig = {
        kind: 'net',
        task: text,
        ...parseNetOptions(options),
        topology: String(options.topology),
        graph: graph.spec,
        flags,
        cache: options.cache === true,
        unsafeNoSandbox: options.unsafeNoSandbox === true,
        ...(options.strict === true ? { strict: true } : {}),
      };
      const safetyCheck = parseSafetyCheck(options);
      if (safetyCheck) config.safetyCheck = safetyCheck;
      const selfCorrect = parseTextSelfCorrect(options);
      if (selfCorrect) config.selfCorrect = selfCorrect;
      return planOrRun(ctx, out, options, config, async () => {
        config.outDir = prepareOutputDir(
          ctx.cwd,
          options.out,
          join('crosstalk-out', `${slugify(text)}-${timestampForName()}`),
        );
        const { result, keepOpen } = await runJobServed(ctx, out, options, (environment) =>
          runNetJob(environment, config, {}, queued),
        );
        const s = result.summary;
        const code = printJobEnd(out, result, () => ({
          out: s.code
            ? [
                `${s.code.files.length} files in ${join(config.outDir!, 'project')}; test ${s.code.test.outcome} (${s.code.test.rule})${s.code.refused.length ? `; refused ${s.code.refused.map((r) => printable(r.path)).join(', ')}` : ''}`,
                ...formatMetricsLines(s.code.metrics),
              ]
            : s.answer !== null
              ? [config.taskType === 'choice' ? `answer: ${s.choice ?? '(no letter found)'}` : s.answer]
              : [],
          notes: [
            `${result.status}: ${s.nodes.done}/${s.graph.nodes} nodes${failedNodes(s.nodes.failed)}${s.nodes.skipped.length ? `, ${s.nodes.skipped.length} skipped` : ''}${Object.keys(s.nodes.partial).length ? `, ${Object.keys(s.nodes.partial).length} ran without some inputs` : ''}; run ${result.runId}; output in ${result.outDir}`,
          ],
        }));
        await keepOpen();
        return code;
      });
    }),
  );
};
