import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';
import { ConfigError } from '../errors/index.js';

/** One HumanEval problem as openai/human-eval ships it. */
export const humanEvalProblemSchema = z.object({
  task_id: z.string().min(1),
  prompt: z.string(),
  entry_point: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a Python identifier'),
  canonical_solution: z.string(),
  test: z.string(),
});
/** A HumanEval problem. */
export type HumanEvalProblem = z.infer<typeof humanEvalProblemSchema>;

/** One SRDD software requirement. */
export interface SrddTask {
  name: string;
  description: string;
  category: string;
}

/** One CommonGen-Hard concept set. */
export const conceptSetSchema = z.object({ concepts: z.array(z.string().min(1)).min(1) });

/** A multiple-choice question (MMLU style); `answer` is a letter (`B`) or a 0-based index. */
export const choiceQuestionSchema = z.object({
  question: z.string().min(1),
  choices: z.array(z.string()).min(2).max(26),
  answer: z.union([z.string().regex(/^[A-Za-z]$/), z.number().int().min(0)]),
});
/** A multiple-choice question with its answer as a capital letter. */
export interface ChoiceQuestion {
  question: string;
  choices: string[];
  answer: string;
}

/** The datasets `crosstalk eval` knows, with the file each is read from inside a data folder. */
export const datasetFiles = {
  humaneval: join('humaneval', 'HumanEval.jsonl.gz'),
  srdd: join('srdd', 'srdd.csv'),
  commongen: join('commongen-hard', 'concepts.jsonl'),
} as const;

/** A dataset name `crosstalk eval` reads from a data folder. */
export type DatasetName = keyof typeof datasetFiles;

/**
 * Where a dataset's file is: `path` when given (a file, or a data folder holding
 * the usual layout), else `CROSSTALK_DATA_DIR`. Datasets are read at run time
 * and never bundled (SRDD is CC BY-NC 4.0).
 *
 * @throws ConfigError naming the file expected when none is found.
 */
export function datasetPath(name: DatasetName, path?: string, env: NodeJS.ProcessEnv = process.env): string {
  const base = path ?? env.CROSSTALK_DATA_DIR;
  if (!base)
    throw new ConfigError({
      key: 'dataset-path',
      message: `dataset ${name}: pass --dataset-path FILE (${datasetFiles[name]}) or set CROSSTALK_DATA_DIR`,
    });
  const candidates = [base, join(base, datasetFiles[name])];
  const found = candidates.find((p) => existsSync(p) && !isDirectory(p));
  if (!found)
    throw new ConfigError({ key: 'dataset-path', message: `dataset ${name}: no file at ${candidates.join(' or ')}` });
  return found;
}

function isDirectory(path: string): boolean {
  return statSync(path).isDirectory();
}

function jsonLines<T>(text: string, file: string, schema: z.ZodType<T>): T[] {
  const rows: T[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (!line) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw new ConfigError({ key: 'dataset-path', message: `${file}:${i + 1}: not valid JSON` });
    }
    const parsed = schema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ConfigError({
        key: 'dataset-path',
        message: `${file}:${i + 1}: ${issue.path.join('.') || 'line'} ${issue.message}`,
      });
    }
    rows.push(parsed.data);
  }
  return rows;
}

/** Reads HumanEval problems from a `.jsonl` or `.jsonl.gz` file. */
export function loadHumanEval(file: string): HumanEvalProblem[] {
  const bytes = readFileSync(file);
  const text = file.endsWith('.gz') ? gunzipSync(bytes).toString('utf8') : bytes.toString('utf8');
  return jsonLines(text, file, humanEvalProblemSchema);
}

/** Reads CommonGen-Hard concept sets. */
export function loadConceptSets(file: string): string[][] {
  return jsonLines(readFileSync(file, 'utf8'), file, conceptSetSchema).map((row) => row.concepts);
}

/** Reads a multiple-choice file (`{question, choices, answer}` per line); answers become letters. */
export function loadChoiceQuestions(file: string): ChoiceQuestion[] {
  return jsonLines(readFileSync(file, 'utf8'), file, choiceQuestionSchema).map((row, i) => {
    const index = typeof row.answer === 'number' ? row.answer : row.answer.toUpperCase().charCodeAt(0) - 65;
    if (index >= row.choices.length)
      throw new ConfigError({
        key: 'dataset-path',
        message: `${file}: question ${i + 1} answers ${row.answer} but has ${row.choices.length} choices`,
      });
    return { question: row.question, choices: row.choices, answer: String.fromCharCode(65 + index) };
  });
}

/**
 * Parses CSV text (RFC 4180: quoted fields may hold commas, newlines and `""`).
 * Returns rows of fields; a trailing empty line is dropped.
 */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === '') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += ch;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** Reads SRDD (`Name,Description,Category`), optionally only some categories (case-insensitive). */
export function loadSrdd(file: string, categories?: readonly string[]): SrddTask[] {
  const [header, ...rows] = parseCsv(readFileSync(file, 'utf8'));
  const columns = (header ?? []).map((h) => h.trim().toLowerCase());
  const at = (name: string) => {
    const i = columns.indexOf(name);
    if (i < 0) throw new ConfigError({ key: 'dataset-path', message: `${file}: no '${name}' column in the header` });
    return i;
  };
  const [n, d, c] = [at('name'), at('description'), at('category')];
  const tasks = rows
    .filter((r) => r.length >= columns.length && r.some((f) => f.trim()))
    .map((r) => ({ name: r[n]!.trim(), description: r[d]!.trim(), category: r[c]!.trim() }));
  if (!categories?.length) return tasks;
  const wanted = new Set(categories.map((x) => x.toLowerCase()));
  const known = new Set(tasks.map((t) => t.category.toLowerCase()));
  const unknown = [...wanted].filter((x) => !known.has(x));
  if (unknown.length)
    throw new ConfigError({
      key: 'category',
      message: `unknown SRDD categor${unknown.length > 1 ? 'ies' : 'y'} ${unknown.join(', ')} (known: ${[
        ...new Set(tasks.map((t) => t.category)),
      ]
        .slice(0, 8)
        .join(', ')}, …)`,
    });
  return tasks.filter((t) => wanted.has(t.category.toLowerCase()));
}
