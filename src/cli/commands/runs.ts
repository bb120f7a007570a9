import { existsSync } from 'node:fs';
import { loadConfig } from '../../config/index.js';
import { ConfigError, StoreError } from '../../errors/index.js';
import { evalChildRuns } from '../../eval/index.js';
import {
  exportRun,
  removeRuns,
  safetyView,
  usageBy,
  viewJson,
  viewRun,
  type RunView,
  type SafetyView,
} from '../../jobs/index.js';
import { parseAge } from '../parse-flags.js';
import { prepareOutputDir } from '../../common/index.js';
import { noStore, resolveStorePath, SqliteRunStore, type RunRecord, type RunStore } from '../../store/index.js';
import type { CliContext } from '../context.js';
import { formatCost, printable } from '../format.js';
import { describeApprovalSource } from '../render.js';
import { configFlags } from '../global-options.js';
import type { Register } from '../main.js';
import { exportHtml } from './export-html.js';

/** Resolves the store path from flags, environment and config. */
export function storePath(ctx: CliContext, options: Record<string, unknown>): string {
  const loaded = loadConfig({ cwd: ctx.cwd, env: ctx.env, flags: configFlags(options) });
  const path = resolveStorePath(ctx.cwd, loaded.config);
  if (path === noStore)
    throw new StoreError({
      code: 'STORE_NOT_FOUND',
      path,
      message: `--store none keeps no runs: there is nothing to list, show, export, remove or resume; pass the --store a run was written to`,
    });
  return path;
}

/** Opens the store if it exists; `read` opens it read-only (inspection commands write nothing). */
export function openExisting(path: string, access: 'read' | 'write'): RunStore | undefined {
  return existsSync(path) ? new SqliteRunStore(path, { readOnly: access === 'read' }) : undefined;
}

/** The store and the run, or a one-line RUN_NOT_FOUND error. */
export function requireRun(store: RunStore | undefined, path: string, id: string): { store: RunStore; run: RunRecord } {
  const run = store?.getRun(id);
  if (!store || !run) {
    store?.close();
    throw new StoreError({
      code: 'RUN_NOT_FOUND',
      path,
      message: `no run '${id}' in ${path} (see 'crosstalk runs list')`,
    });
  }
  return { store, run };
}

/** Opens the store of the command's flags and finds run `id` in it (a one-line RUN_NOT_FOUND error if absent). */
export function openRun(
  ctx: CliContext,
  options: Record<string, unknown>,
  id: unknown,
  access: 'read' | 'write',
): { path: string; store: RunStore; run: RunRecord } {
  const path = storePath(ctx, options);
  return { path, ...requireRun(openExisting(path, access), path, String(id)) };
}

/** Runs `body` with run `id` open from the command's store, and closes the store however it ends. */
export async function withRun<T>(
  ctx: CliContext,
  options: Record<string, unknown>,
  id: unknown,
  access: 'read' | 'write',
  body: (store: RunStore, run: RunRecord) => Promise<T> | T,
): Promise<T> {
  const { store, run } = openRun(ctx, options, id, access);
  try {
    return await body(store, run);
  } finally {
    store.close();
  }
}

/** Why a run marked running is reported as interrupted. */
export const goneNote = (id: string) =>
  `its process ended without finishing the run (killed or crashed); continue it with: crosstalk runs resume ${id}`;

function duration(view: RunView): string {
  return `${((view.activeUntil - view.run.createdAt) / 1000).toFixed(1)} s`;
}

function truncate(text: string, width: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > width ? `${flat.slice(0, width - 1)}…` : flat;
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

const costOf = (r: RunRecord) => formatCost(r.totals.costUsd ?? undefined, r.totals.costUsd !== null);

/** The guard's findings, vetoes and approvals and the self-correction rounds of a run, for `runs show`. */
export function safetyLines(safety: SafetyView): string[] {
  const lines: string[] = [];
  const { guard, selfCorrection } = safety;
  if (guard) {
    const f = guard.findings;
    lines.push(`guard: ${f.high} high, ${f.medium} medium, ${f.low} low finding(s)`);
    for (const g of guard.list.filter((x) => x.severity !== 'low' || x.decision !== 'allow').slice(0, 20))
      lines.push(
        `  ${g.decision}${g.refused ? ' (refused)' : ''} ${g.rule} [${g.severity}] ${printable(g.file)}${g.line ? `:${g.line}` : ''} (${printable(g.scope)}): ${printable(g.snippet)}`,
      );
    for (const v of guard.vetoes) lines.push(`  veto (${v.by}) ${printable(v.scope)}: ${printable(v.reason)}`);
    for (const a of guard.approvals)
      lines.push(
        `  approval ${printable(a.scope)}: ${a.approved ? 'approved' : 'refused'} (${describeApprovalSource(a.by)}) ${a.rules.join(', ')}`,
      );
  }
  for (const r of selfCorrection ?? [])
    lines.push(
      `self-correction ${r.hook} (${printable(r.scope)}) round ${r.round}: score ${r.score}/10 (threshold ${r.threshold})${r.rejected ? ' rejected' : ''}${r.problems[0] ? ` — ${printable(r.problems[0])}` : ''}${r.stop ? `; stopped: ${r.stop.by}, ${r.stop.chosenRound === null ? 'nothing kept' : `round ${r.stop.chosenRound} kept`}` : ''}`,
    );
  return lines;
}

/** `crosstalk runs list|show|export|rm`: inspect, export and remove stored runs. */
export const registerRuns: Register = (program, ctx, run) => {
  const runs = program.command('runs').description('inspect and manage stored runs');

  runs
    .command('list')
    .description('list runs, newest first')
    .option('--limit <n>', 'at most this many runs', '50')
    .option('--all', "also the runs that answered an evaluation's tasks (hidden by default)")
    .action(
      run(async (_args, options, out) => {
        const limit = Number(options.limit);
        if (String(options.limit).trim() === '' || !Number.isInteger(limit) || limit < 1) {
          throw new ConfigError({
            key: '--limit',
            message: `--limit must be a whole number of at least 1 (got ${JSON.stringify(options.limit)})`,
          });
        }
        const path = storePath(ctx, options);
        const store = openExisting(path, 'read');
        const listed = store ? store.listRuns({ limit }) : [];
        // the runs an evaluation made, one per answered task, belong to it: shown with --all, marked with it
        const parents = store ? evalChildRuns(store, store.listRuns()) : new Map<string, string>();
        const shown = options.all === true ? listed : listed.filter((r) => !parents.has(r.id));
        const list = store ? shown.map((r) => viewRun(store, r)) : [];
        store?.close();
        const hidden = listed.length - shown.length;
        out.result({
          ok: true,
          store: path,
          runs: list.map((v) => ({
            ...(viewJson(v) as object),
            ...(parents.has(v.run.id) ? { evalRunId: parents.get(v.run.id) } : {}),
          })),
          ...(hidden ? { hiddenEvalTaskRuns: hidden } : {}),
        });
        if (list.length === 0)
          return out.line(
            `no runs in ${path}${hidden ? ` (${hidden} evaluation task runs hidden; --all shows them)` : ''}`,
          );
        const rows = [['ID', 'KIND', 'TASK', 'STATUS', 'STARTED', 'DURATION', 'CALLS', 'TOKENS', 'COST']];
        for (const view of list) {
          const r = view.run;
          rows.push([
            r.id,
            parents.has(r.id) ? `${r.kind} (eval ${parents.get(r.id)})` : r.kind,
            truncate(r.task, 40),
            view.processGone ? `${r.status}*` : r.status,
            new Date(r.createdAt).toISOString().replace('T', ' ').slice(0, 19),
            duration(view),
            `${r.totals.calls}${r.totals.replayedCalls ? ` (+${r.totals.replayedCalls} replayed)` : ''}`,
            String(r.totals.inputTokens + r.totals.outputTokens),
            costOf(r),
          ]);
        }
        out.line(table(rows));
        if (list.some((v) => v.processGone)) out.line(`* ${goneNote('<id>')}`);
        if (hidden) out.line(`${hidden} runs that answered an evaluation's tasks are hidden; --all shows them`);
      }),
    );

  runs
    .command('show')
    .description('show one run: steps, usage per agent and per model, failures')
    .argument('<id>', 'run id')
    .action(
      run(async ([id], options, out) => {
        const { view, steps, perAgent, perModel, safety } = await withRun(ctx, options, id, 'read', (store, found) => ({
          view: viewRun(store, found),
          steps: store.getSteps(found.id),
          perAgent: usageBy(store, found.id, 'agent'),
          perModel: usageBy(store, found.id, 'model'),
          safety: safetyView(store, found.id),
        }));
        const record = view.run;
        const byState: Record<string, number> = {};
        for (const s of steps) byState[s.state] = (byState[s.state] ?? 0) + 1;
        const failures = steps
          .filter((s) => s.state === 'failed')
          .map((s) => ({ id: s.id, error: (s.meta as { error?: string } | null)?.error ?? null }));
        out.result({
          ok: true,
          run: viewJson(view),
          steps: byState,
          failures,
          usage: { perAgent, perModel },
          ...safety,
        });
        out.line(`run ${record.id} (${record.kind}) — ${record.status}, ${duration(view)}`);
        if (view.processGone) out.line(goneNote(record.id));
        out.line(`task: ${record.task}`);
        out.line(
          `steps: ${
            Object.entries(byState)
              .map(([k, v]) => `${v} ${k}`)
              .join(', ') || 'none'
          }`,
        );
        const t = record.totals;
        const lost = t.lostCalls ?? 0;
        out.line(
          `calls: ${t.calls} paid, ${t.replayedCalls} replayed${lost ? `, ${lost} lost in flight by an interrupted session (paid, sent again)` : ''}; ` +
            `tokens ${t.inputTokens} in + ${t.outputTokens} out; ${costOf(record)}`,
        );
        for (const [title, groups] of [
          ['per agent', perAgent],
          ['per model', perModel],
        ] as const) {
          out.line(`usage ${title}:`);
          for (const [name, g] of Object.entries(groups))
            out.line(`  ${name}: ${g.calls} calls, ${g.inputTokens} in + ${g.outputTokens} out`);
        }
        for (const f of failures) out.line(`failed: ${f.id}${f.error ? ` — ${f.error}` : ''}`);
        for (const line of safetyLines(safety)) out.line(line);
      }),
    );

  runs
    .command('export')
    .description(
      'write a run as files: run.json, transcript.md (node or phase, role, prompt and reply of every call) and its artifacts',
    )
    .argument('<id>', 'run id')
    .option('--out <dir>', 'directory to write into')
    .option('--html <file>', 'write one self-contained HTML file of the run page instead (opens with no server)')
    .action(
      run(async ([id], options, out) =>
        withRun(ctx, options, id, 'read', (store, record) => {
          if (options.html !== undefined) return exportHtml(ctx, out, store, record, String(options.html));
          if (options.out === undefined)
            throw new ConfigError({ key: '--out', message: 'runs export needs --out <dir> or --html <file>' });
          const dir = prepareOutputDir(ctx.cwd, options.out ?? '', '', ['artifacts']);
          const exported = exportRun(store, record, dir);
          out.result({ ok: true, dir, files: exported.files });
          out.line(
            `exported run ${record.id} to ${dir} (${exported.artifacts} artifacts, ${exported.calls} calls in transcript.md)`,
          );
        }),
      ),
    );

  runs
    .command('rm')
    .description('delete runs and everything recorded for them: by id, or every run idle for longer than --older-than')
    .argument('[ids...]', 'run ids')
    .option(
      '--older-than <age>',
      'also delete every finished or stopped run last active this long ago: 30m, 12h, 7d, 2w',
    )
    .action(
      run(async ([ids], options, out) => {
        const list = (ids as string[] | undefined) ?? [];
        const olderThanMs = options.olderThan === undefined ? undefined : parseAge('--older-than', options.olderThan);
        if (list.length === 0 && olderThanMs === undefined)
          throw new ConfigError({ key: 'ids', message: 'runs rm needs run ids or --older-than <age>' });
        const path = storePath(ctx, options);
        const store = openExisting(path, 'write');
        if (!store && list.length > 0)
          throw new StoreError({
            code: 'RUN_NOT_FOUND',
            path,
            message: `no run '${list[0]}' in ${path} (there is no store yet)`,
          });
        let removed: ReturnType<typeof removeRuns> = { deleted: [], running: [] };
        try {
          if (store)
            removed = removeRuns(store, path, { ids: list, ...(olderThanMs !== undefined ? { olderThanMs } : {}) });
        } finally {
          store?.close();
        }
        out.result({ ok: true, deleted: removed.deleted, stillRunning: removed.running });
        out.line(
          removed.deleted.length
            ? `deleted ${removed.deleted.length} run(s): ${removed.deleted.join(', ')}`
            : 'no run deleted',
        );
        if (removed.running.length)
          out.line(`kept ${removed.running.length} run(s) still running: ${removed.running.join(', ')}`);
      }),
    );
};
