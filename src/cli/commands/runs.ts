import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareOutputDir } from '../output-dir.js';
import { loadConfig } from '../../config/index.js';
import { z } from 'zod';
import { ConfigError, StoreError } from '../../errors/index.js';
import { graphSpecSchema } from '../../graph/index.js';
import { ownerState, runOwner } from '../../jobs/index.js';
import { runNetJob, type NetJob } from './net.js';
import { runDevJob, type DevJob } from './dev.js';
import { runStoryJob, type StoryJob } from './story.js';
import { SqliteRunStore, type RunRecord, type RunStore } from '../../store/index.js';
import { formatCost } from '../format.js';
import { configFlags } from '../global-options.js';
import type { Register } from '../main.js';
import type { CliContext } from '../context.js';
import { resolveStorePath } from '../store-path.js';

/** Resolves the store path from flags, environment and config. */
export function storePath(ctx: CliContext, options: Record<string, unknown>): string {
  const loaded = loadConfig({ cwd: ctx.cwd, env: ctx.env, flags: configFlags(options) });
  return resolveStorePath(ctx.cwd, loaded.config);
}

/** Opens the store if it exists; `read` opens it read-only (inspection commands write nothing). */
function openExisting(path: string, access: 'read' | 'write'): RunStore | undefined {
  return existsSync(path) ? new SqliteRunStore(path, { readOnly: access === 'read' }) : undefined;
}

function requireRun(store: RunStore | undefined, path: string, id: string): { store: RunStore; run: RunRecord } {
  const run = store?.getRun(id);
  if (!store || !run) throw new StoreError({ code: 'RUN_NOT_FOUND', path, message: `no run '${id}' in ${path} (see 'crosstalk runs list')` });
  return { store, run };
}

/** A stored run as users should see it. */
interface RunView {
  /** The record; a run marked running gets live totals from the journal, and `interrupted` if its process is gone. */
  run: RunRecord;
  /** Marked running, but the process executing it no longer exists (killed, crashed): resumable. */
  processGone: boolean;
  /** When the run was last active (now, while it runs). */
  activeUntil: number;
}

/**
 * A run marked `running` keeps its totals on the row only when a session
 * ends, and a killed process never ends its session: read what it paid from
 * the journal, and check whether its process still exists.
 */
function viewRun(store: RunStore, record: RunRecord): RunView {
  if (record.status !== 'running') return { run: record, processGone: false, activeUntil: record.finishedAt ?? record.updatedAt };
  const journal = store.callTotals(record.id);
  const processGone = ownerState(runOwner(store, record.id)) === 'gone';
  const activeUntil = processGone ? Math.max(record.updatedAt, store.lastEvent(record.id)?.at ?? 0) : Date.now();
  return { run: { ...record, status: processGone ? 'interrupted' : 'running', totals: { ...record.totals, ...journal } }, processGone, activeUntil };
}

/** The JSON form of a view: the run, flagged when its process is gone. */
function viewJson(view: RunView): unknown {
  return view.processGone ? { ...view.run, processGone: true } : view.run;
}

const goneNote = (id: string) => `its process ended without finishing the run (killed or crashed); continue it with: crosstalk runs resume ${id}`;

function duration(view: RunView): string {
  return `${((view.activeUntil - view.run.createdAt) / 1000).toFixed(1)} s`;
}

function truncate(text: string, width: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

/** Sums model calls of a run by a key (agent or model). */
function usageBy(store: RunStore, runId: string, key: 'agent' | 'model') {
  const groups = new Map<string, { calls: number; inputTokens: number; outputTokens: number }>();
  for (const call of store.listCalls(runId)) {
    const name = (key === 'agent' ? call.agent : call.model) ?? '(none)';
    const g = groups.get(name) ?? { calls: 0, inputTokens: 0, outputTokens: 0 };
    g.calls++;
    g.inputTokens += call.inputTokens;
    g.outputTokens += call.outputTokens;
    groups.set(name, g);
  }
  return Object.fromEntries(groups);
}

/** `crosstalk runs …`: list, show, events, export and remove stored runs. */
export const registerRuns: Register = (program, ctx, run) => {
  const runs = program.command('runs').description('inspect and manage stored runs');

  runs
    .command('list')
    .description('list runs, newest first')
    .option('--limit <n>', 'at most this many runs', '50')
    .action(
      run(async (_args, options, out) => {
        const limit = Number(options.limit);
        if (String(options.limit).trim() === '' || !Number.isInteger(limit) || limit < 1) {
          throw new ConfigError({ key: '--limit', message: `--limit must be a whole number of at least 1 (got ${JSON.stringify(options.limit)})` });
        }
        const path = storePath(ctx, options);
        const store = openExisting(path, 'read');
        const list = store ? store.listRuns({ limit }).map((r) => viewRun(store, r)) : [];
        store?.close();
        out.result({ ok: true, store: path, runs: list.map(viewJson) });
        if (list.length === 0) return out.line(`no runs in ${path}`);
        const rows = [['ID', 'KIND', 'TASK', 'STATUS', 'STARTED', 'DURATION', 'CALLS', 'TOKENS', 'COST']];
        for (const view of list) {
          const r = view.run;
          rows.push([
            r.id,
            r.kind,
            truncate(r.task, 40),
            view.processGone ? `${r.status}*` : r.status,
            new Date(r.createdAt).toISOString().replace('T', ' ').slice(0, 19),
            duration(view),
            `${r.totals.calls}${r.totals.replayedCalls ? ` (+${r.totals.replayedCalls} replayed)` : ''}`,
            String(r.totals.inputTokens + r.totals.outputTokens),
            formatCost(r.totals.costUsd ?? undefined, r.totals.costUsd !== null),
          ]);
        }
        out.line(table(rows));
        if (list.some((v) => v.processGone)) out.line(`* ${goneNote('<id>')}`);
      }),
    );

  runs
    .command('show')
    .description('show one run: steps, usage per agent and per model, failures')
    .argument('<id>', 'run id')
    .action(
      run(async ([id], options, out) => {
        const path = storePath(ctx, options);
        const found = requireRun(openExisting(path, 'read'), path, String(id));
        const store = found.store;
        const view = viewRun(store, found.run);
        const record = view.run;
        const steps = store.getSteps(record.id);
        const byState: Record<string, number> = {};
        for (const s of steps) byState[s.state] = (byState[s.state] ?? 0) + 1;
        const failures = steps.filter((s) => s.state === 'failed').map((s) => ({ id: s.id, error: (s.meta as { error?: string } | null)?.error ?? null }));
        const perAgent = usageBy(store, record.id, 'agent');
        const perModel = usageBy(store, record.id, 'model');
        store.close();
        out.result({ ok: true, run: viewJson(view), steps: byState, failures, usage: { perAgent, perModel } });
        out.line(`run ${record.id} (${record.kind}) — ${record.status}, ${duration(view)}`);
        if (view.processGone) out.line(goneNote(record.id));
        out.line(`task: ${record.task}`);
        out.line(`steps: ${Object.entries(byState).map(([k, v]) => `${v} ${k}`).join(', ') || 'none'}`);
        const lost = record.totals.lostCalls ?? 0;
        out.line(`calls: ${record.totals.calls} paid, ${record.totals.replayedCalls} replayed${lost ? `, ${lost} lost in flight by an interrupted session (paid, sent again)` : ''}; tokens ${record.totals.inputTokens} in + ${record.totals.outputTokens} out; ${formatCost(record.totals.costUsd ?? undefined, record.totals.costUsd !== null)}`);
        for (const [title, groups] of [['per agent', perAgent], ['per model', perModel]] as const) {
          out.line(`usage ${title}:`);
          for (const [name, g] of Object.entries(groups)) out.line(`  ${name}: ${g.calls} calls, ${g.inputTokens} in + ${g.outputTokens} out`);
        }
        for (const f of failures) out.line(`failed: ${f.id}${f.error ? ` — ${f.error}` : ''}`);
      }),
    );

  runs
    .command('events')
    .description("print a run's events; --follow keeps printing until the run ends")
    .argument('<id>', 'run id')
    .option('--follow', 'keep printing new events until the run finishes')
    .action(
      run(async ([id], options, out) => {
        const path = storePath(ctx, options);
        const { store, run: record } = requireRun(openExisting(path, 'read'), path, String(id));
        let after = 0;
        const collected: unknown[] = [];
        for (;;) {
          const events = store.listEvents(record.id, { afterSeq: after });
          for (const e of events) {
            after = e.seq;
            if (out.json) collected.push(e);
            else out.line(`${new Date(e.at).toISOString()} #${e.seq} ${e.type} ${JSON.stringify(e.data)}`);
          }
          const status = store.getRun(record.id)?.status;
          if (!options.follow || status !== 'running' || ctx.signal.aborted) break;
          if (ownerState(runOwner(store, record.id)) === 'gone') {
            // a killed run never writes run-finished: stop following instead of waiting forever
            if (store.listEvents(record.id, { afterSeq: after }).length > 0) continue;
            out.note(`crosstalk: run ${record.id} is not running any more: ${goneNote(record.id)}`);
            break;
          }
          await new Promise((r) => setTimeout(r, 250));
        }
        store.close();
        out.result({ ok: true, events: collected });
      }),
    );

  runs
    .command('export')
    .description('write a run as files: run.json, transcript.md and its artifacts')
    .argument('<id>', 'run id')
    .requiredOption('--out <dir>', 'directory to write into')
    .action(
      run(async ([id], options, out) => {
        const path = storePath(ctx, options);
        const { store, run: record } = requireRun(openExisting(path, 'read'), path, String(id));
        let dir: string;
        try {
          dir = prepareOutputDir(ctx.cwd, options.out ?? '', '', ['artifacts']);
        } catch (error) {
          store.close();
          throw error;
        }
        const steps = store.getSteps(record.id);
        const written: string[] = [];
        for (const step of steps) {
          if (!step.outputHash) continue;
          const content = store.getArtifact(step.outputHash);
          if (content === undefined) continue;
          const name = `${step.id.replace(/[^A-Za-z0-9._-]/g, '_')}.txt`;
          writeFileSync(join(dir, 'artifacts', name), content);
          written.push(`artifacts/${name}`);
        }
        const calls = store.listCalls(record.id);
        const transcript = [`# Run ${record.id}`, '', `Task: ${record.task}`, ''];
        for (const call of calls) {
          const response = call.response as { content?: Array<{ type: string; text?: string }> };
          const text = (response.content ?? []).map((p) => p.text ?? '').join('');
          transcript.push(`## ${call.agent ?? 'agent'} (${call.model})`, '', text, '');
        }
        writeFileSync(join(dir, 'transcript.md'), transcript.join('\n'));
        writeFileSync(join(dir, 'run.json'), `${JSON.stringify({ run: record, steps, events: store.listEvents(record.id) }, null, 2)}\n`);
        store.close();
        out.result({ ok: true, dir, files: ['run.json', 'transcript.md', ...written] });
        out.line(`exported run ${record.id} to ${dir} (${written.length} artifacts, ${calls.length} calls in transcript.md)`);
      }),
    );

  runs
    .command('rm')
    .description('delete a run and everything recorded for it')
    .argument('<id>', 'run id')
    .action(
      run(async ([id], options, out) => {
        const path = storePath(ctx, options);
        const { store, run: record } = requireRun(openExisting(path, 'write'), path, String(id));
        store.deleteRun(record.id);
        store.close();
        out.result({ ok: true, deleted: record.id });
        out.line(`deleted run ${record.id}`);
      }),
    );
};

const netJobSchema = z
  .object({
    kind: z.literal('net'),
    task: z.string(),
    taskType: z.enum(['code', 'text', 'choice']),
    topology: z.string(),
    graph: graphSpecSchema,
    edgeRounds: z.number().int(),
    groupSize: z.number().int(),
    outDir: z.string(),
    flags: z.record(z.string(), z.string()),
    cache: z.boolean().optional(),
    unsafeNoSandbox: z.boolean().optional(),
  })
  .passthrough();

const devJobSchema = z
  .object({
    kind: z.enum(['dev', 'cross-team']),
    task: z.string(),
    name: z.string(),
    outDir: z.string(),
    phases: z.array(z.object({ name: z.string(), instructor: z.string(), assistant: z.string(), maxTurns: z.number(), rounds: z.number() })),
    roles: z.record(z.string(), z.object({ title: z.string(), persona: z.string(), duties: z.array(z.string()) }).passthrough()),
    teamOptions: z.object({ teams: z.number().int() }).passthrough(),
    flags: z.record(z.string(), z.string()),
  })
  .passthrough();

const storyJobSchema = z.object({
  kind: z.literal('story'),
  premise: z.string(),
  teams: z.number().int().positive(),
  keep: z.union([z.object({ ratio: z.number() }), z.object({ count: z.number() })]),
  groupSize: z.number().int(),
  words: z.number().int(),
  outDir: z.string(),
  flags: z.record(z.string(), z.string()),
});

/** `crosstalk runs resume <id>`: continue an interrupted, failed or budget-stopped run. */
export const registerResume: Register = (program, ctx, run) => {
  const runs = program.commands.find((c) => c.name() === 'runs')!;
  runs
    .command('resume')
    .description('continue a run from the steps already done; recorded model calls are replayed at no cost')
    .argument('<id>', 'run id')
    .action(
      run(async ([id], options, out) => {
        const path = storePath(ctx, options);
        const { store, run: record } = requireRun(openExisting(path, 'write'), path, String(id));
        store.close();
        if (record.status === 'completed') throw new StoreError({ code: 'RUN_COMPLETED', path, message: `run ${record.id} is already completed; nothing to resume` });
        // the run continues in the store it was found in, wherever the store was when the run started
        const overrides = { ...Object.fromEntries(Object.entries(configFlags(options)).filter(([key]) => ['budgetUsd', 'maxTokens', 'concurrency', 'timeoutMs'].includes(key))), store: path };
        const unreadable = () => new StoreError({ code: 'STORE_CORRUPT', path, message: `run ${record.id} (${record.kind}) cannot be resumed by this version: its stored configuration is not readable` });
        if (record.kind === 'net') {
          const parsed = netJobSchema.safeParse(record.config);
          if (!parsed.success) throw unreadable();
          return runNetJob(ctx, out, parsed.data as unknown as NetJob, { resumeId: record.id, flagOverrides: overrides });
        }
        if (record.kind === 'dev' || record.kind === 'cross-team') {
          const parsed = devJobSchema.safeParse(record.config);
          if (!parsed.success) throw unreadable();
          return runDevJob(ctx, out, parsed.data as unknown as DevJob, { resumeId: record.id, flagOverrides: overrides });
        }
        if (record.kind === 'story') {
          const parsed = storyJobSchema.safeParse(record.config);
          if (!parsed.success) throw unreadable();
          return runStoryJob(ctx, out, parsed.data as StoryJob, { resumeId: record.id, flagOverrides: overrides });
        }
        throw new StoreError({ code: 'STORE_CORRUPT', path, message: `run ${record.id} is a '${record.kind}' run, which cannot be resumed yet` });
      }),
    );
};
