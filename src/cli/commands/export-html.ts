import { resolve } from 'node:path';
import { writeRunHtml } from '../../serve/index.js';
import type { RunRecord, RunStore } from '../../store/index.js';
import type { CliContext } from '../context.js';
import type { Output } from '../output.js';

/** `runs export <id> --html FILE`: the run page as one self-contained HTML file. */
export function exportHtml(ctx: CliContext, out: Output, store: RunStore, record: RunRecord, target: string): void {
  const file = resolve(ctx.cwd, target);
  const written = writeRunHtml(store, record.id, file);
  out.result({ ok: true, file, ...written });
  out.line(
    `exported run ${record.id} to ${file} (${(written.bytes / 1024).toFixed(0)} KiB: ${written.calls} calls, ${written.artifacts} artifacts, ${written.events} events)`,
  );
}
