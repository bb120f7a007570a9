import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CallRecord, RunRecord, RunStore } from '../store/index.js';

/** What {@link exportRun} wrote, relative to the directory. */
export interface ExportedRun {
  files: string[];
  artifacts: number;
  calls: number;
}

type PromptMessage = { role: string; content: string | Array<{ type: string; text?: string }> };

function messageText(message: PromptMessage): string {
  return typeof message.content === 'string' ? message.content : message.content.map((p) => p.text ?? '').join('');
}

/** Where a call came from: the scope the journal key carries (`<hash>@<scope>#<n>`), e.g. a node, a phase or a team's phase. */
export function callScope(call: CallRecord): string | undefined {
  const base = call.key.slice(0, call.key.lastIndexOf('#'));
  const at = base.indexOf('@');
  return at >= 0 ? base.slice(at + 1) : undefined;
}

/** One call as Markdown: where (node or phase), who (role, model), the prompt it was given and its reply. */
export function transcriptEntry(call: CallRecord): string {
  const request = (call.request ?? {}) as { prompt?: PromptMessage[] };
  const prompt = request.prompt ?? [];
  const system = prompt.find((m) => m.role === 'system');
  const last = [...prompt].reverse().find((m) => m.role !== 'system');
  const response = call.response as { content?: Array<{ type: string; text?: string }> };
  const reply = (response.content ?? []).map((p) => p.text ?? '').join('');
  const quote = (text: string) =>
    text
      .split('\n')
      .map((line) => `> ${line}`)
      .join('\n');
  return [
    `## ${callScope(call) ?? 'run'} · ${call.agent ?? 'agent'} (${call.model})`,
    '',
    ...(system ? ['**System**', '', quote(messageText(system)), ''] : []),
    `**Prompt**${prompt.length > 2 ? ` (last of ${prompt.length - (system ? 1 : 0)} messages)` : ''}`,
    '',
    quote(last ? messageText(last) : ''),
    '',
    '**Reply**',
    '',
    reply,
    '',
  ].join('\n');
}

/**
 * Writes a stored run as files into `dir` (which must exist and have an
 * `artifacts` folder): `run.json` (record, steps, events), `transcript.md`
 * (every model call with its node or phase, role, prompt and reply) and each
 * step's artifact.
 */
export function exportRun(store: RunStore, record: RunRecord, dir: string): ExportedRun {
  const steps = store.getSteps(record.id);
  const files: string[] = [];
  for (const step of steps) {
    if (!step.outputHash) continue;
    const content = store.getArtifact(step.outputHash);
    if (content === undefined) continue;
    const name = `${step.id.replace(/[^A-Za-z0-9._-]/g, '_')}.txt`;
    writeFileSync(join(dir, 'artifacts', name), content);
    files.push(`artifacts/${name}`);
  }
  const calls = store.listCalls(record.id);
  const transcript = [
    `# Run ${record.id} (${record.kind})`,
    '',
    `Task: ${record.task}`,
    '',
    ...calls.map(transcriptEntry),
  ];
  writeFileSync(join(dir, 'transcript.md'), transcript.join('\n'));
  writeFileSync(
    join(dir, 'run.json'),
    `${JSON.stringify({ run: record, steps, events: store.listEvents(record.id) }, null, 2)}\n`,
  );
  return { files: ['run.json', 'transcript.md', ...files], artifacts: files.length, calls: calls.length };
}
