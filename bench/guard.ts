import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { defaultRoles } from '../src/agents/index.js';
import { scanCodebase, type Finding } from '../src/guard/index.js';
import { SimulatedModel } from '../src/model/index.js';
import { executeChain } from '../src/software/chain.js';
import { resolvePhases } from '../src/software/phases.js';
import { median, printTable } from './table.js';

const things = ['todo', 'expense', 'habit', 'recipe', 'book', 'workout', 'contact', 'note', 'budget', 'flashcard'];
const forms = ['command-line tracker', 'inventory tool', 'quiz game', 'report generator', 'unit converter'];

function count(findings: Finding[], severity: Finding['severity']): number {
  return findings.filter((f) => f.severity === severity).length;
}

/**
 * Issue 17: false positives of the guard's scanner. 50 benign simulated software runs (both languages, the
 * whole chain but the sandboxed test) and the 164 HumanEval canonical solutions must give no high finding;
 * the hostile fixtures must all be flagged with their rule. Sim runs measure the system, not a real model.
 */
export async function benchGuard(): Promise<void> {
  const runs = 50;
  const findings: Finding[] = [];
  const scanMs: number[] = [];
  let files = 0;
  for (let i = 0; i < runs; i++) {
    const task = `a ${forms[i % forms.length]} for ${things[Math.floor(i / forms.length) % things.length]} entries`;
    const model = new SimulatedModel({ seed: i });
    const result = await executeChain({
      task,
      phases: resolvePhases(undefined),
      roles: defaultRoles,
      model: () => model,
      language: i % 2 === 0 ? 'Python' : 'JavaScript',
      seed: i,
    });
    const started = performance.now();
    const report = await scanCodebase(result.files);
    scanMs.push(performance.now() - started);
    files += Object.keys(result.files).length;
    findings.push(...report.findings);
  }
  const rows: Array<Array<string | number>> = [
    [
      `${runs} benign sim software runs`,
      files,
      count(findings, 'low'),
      count(findings, 'medium'),
      count(findings, 'high'),
      median(scanMs),
      count(findings, 'high') === 0 ? 'yes' : 'NO',
    ],
  ];
  const humanEval = join(process.env.CROSSTALK_SHARED ?? join(import.meta.dirname, '../../shared'), 'data/humaneval');
  const gz = join(humanEval, 'HumanEval.jsonl.gz');
  if (existsSync(gz)) {
    const solutions = Object.fromEntries(
      gunzipSync(readFileSync(gz))
        .toString()
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { task_id: string; prompt: string; canonical_solution: string })
        .map((r) => [`${r.task_id.replace('/', '-')}.py`, `${r.prompt}${r.canonical_solution}`]),
    );
    const started = performance.now();
    const report = await scanCodebase(solutions);
    const ms = performance.now() - started;
    rows.push([
      'HumanEval canonical solutions',
      Object.keys(solutions).length,
      count(report.findings, 'low'),
      count(report.findings, 'medium'),
      count(report.findings, 'high'),
      ms,
      count(report.findings, 'high') === 0 ? 'yes' : 'NO',
    ]);
  }
  const hostileRoot = join(import.meta.dirname, '../test/fixtures/hostile');
  const cases = (
    JSON.parse(readFileSync(join(hostileRoot, 'cases.json'), 'utf8')) as {
      cases: Array<{ file: string; rule: string }>;
    }
  ).cases;
  const hostile = Object.fromEntries(cases.map((c) => [c.file, readFileSync(join(hostileRoot, c.file), 'utf8')]));
  const started = performance.now();
  const report = await scanCodebase(hostile);
  const ms = performance.now() - started;
  const caught = cases.filter((c) =>
    report.findings.some((f) => f.file === c.file && f.rule === c.rule && f.severity !== 'low'),
  ).length;
  rows.push([
    `hostile fixtures (${caught}/${cases.length} flagged with their rule)`,
    cases.length,
    count(report.findings, 'low'),
    count(report.findings, 'medium'),
    count(report.findings, 'high'),
    ms,
    caught === cases.length ? 'yes' : 'NO',
  ]);
  printTable(
    'Guard scanner (target: 0 high findings on benign code; every hostile fixture flagged with its rule)',
    ['input', 'files', 'low', 'medium', 'high', 'scan ms (median per run / total)', 'target met'],
    rows,
  );
}
