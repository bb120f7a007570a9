import type { LanguageModelV3 } from '@ai-sdk/provider';
import { renderTemplate, runDialogue, type Agent, type RoleBook } from '../agents/index.js';
import { AbortedError, BudgetExceededError, ModelOutputError } from '../errors/index.js';
import { checkOutputSize, type OutputLimits } from '../config/index.js';
import { complete } from '../model/index.js';
import { findPlaceholders, formatCodebase, parseCodebase, unfinishedParts, type Files } from './codebase/index.js';
import type { ResolvedPhase } from './phases.js';
import { prompts } from './prompts.js';

/** Languages the chain can run in the sandbox. */
export const supportedLanguages = ['Python', 'JavaScript'] as const;
/** A language the chain supports. */
export type ChainLanguage = (typeof supportedLanguages)[number];

/** Outcome of running the program in the sandbox, as the chain records it. */
export interface TestOutcome {
  outcome: 'exited-ok' | 'exited-error' | 'timeout-running' | 'killed-limit' | 'sandbox-error' | 'not-run';
  /** Which executability rule was applied. */
  rule: string;
  exitCode: number | null;
  output: string;
  durationMs: number;
}

/** Runs a program: the chain's view of the sandbox. */
export type ProgramRunner = (
  files: Files,
  entry: string,
  language: ChainLanguage,
  signal?: AbortSignal,
) => Promise<TestOutcome>;

/** Record of one phase. */
export interface PhaseRecord {
  name: string;
  status: 'done' | 'skipped' | 'failed';
  rounds: number;
  durationMs: number;
  note?: string;
  /** Files changed by the phase. */
  changed: string[];
}

/** Options of {@link executeChain}. */
export interface ChainOptions {
  task: string;
  phases: ResolvedPhase[];
  roles: RoleBook;
  /** Model per role. */
  model: (role: string) => LanguageModelV3;
  /** Fixed language (skips the language-choice phase). */
  language?: ChainLanguage;
  /** Product form decided earlier (when continuing a chain in segments). */
  modality?: string;
  /** Prefix of agent names for accounting, e.g. `team3/`. */
  agentPrefix?: string;
  /** Starting codebase (incremental mode). */
  initial?: Files;
  /** Temperature of every agent (teams diversify this). */
  temperature?: number;
  /** Extra persona text for every agent (team diversity). */
  personaNote?: string;
  /** Shared insight from other teams, inserted into the coding prompt. */
  ideas?: string;
  /** Runs the program; absent when no sandbox is available. */
  runProgram?: ProgramRunner;
  /** Why there is no runner, recorded in the testing phase. */
  noRunnerReason?: string;
  seed?: number;
  signal?: AbortSignal;
  /** Progress callback: phase started/finished, turns. */
  onEvent?: (event: ChainEvent) => void;
  /** Attempts to get files out of the coding reply before giving up. Default 3. */
  codingAttempts?: number;
  /** Test outcome from an earlier segment (when continuing a chain). */
  test?: TestOutcome;
  /** Called after each phase with the chain's state, e.g. to persist it for resume. */
  onPhaseDone?: (state: ChainState) => void;
  /**
   * Size caps on replies' files and on the codebase put into prompts (see `OutputLimits`; the reply itself is
   * capped by the model stack). Going over stops the chain with `OUTPUT_TOO_LARGE`, before the phase is saved,
   * so a resumed run redoes that phase. Default: none.
   */
  limits?: Partial<Pick<OutputLimits, 'maxFileChars' | 'maxFiles' | 'maxPromptChars'>>;
  /**
   * Self-correction hook (issue 17 item 5), called after the coding and code-review phases: returns the
   * codebase to continue with (the best-scored version), or undefined to keep the phase's own. Default: none.
   */
  selfCorrect?: (
    hook: 'after-coding' | 'after-review',
    state: { phase: string; files: Files; language: ChainLanguage; modality: string },
  ) => Promise<Files | undefined>;
}

/** The chain's state after a phase: enough to continue from there. */
export interface ChainState {
  phase: string;
  record: PhaseRecord;
  files: Files;
  language: ChainLanguage;
  modality: string;
  test: TestOutcome;
}

/** Progress of a chain. */
export type ChainEvent =
  | { type: 'phase-started'; phase: string }
  | { type: 'phase-finished'; phase: string; status: PhaseRecord['status']; note?: string }
  | { type: 'round'; phase: string; round: number }
  | { type: 'turn'; phase: string; agent: string; turn: number; final: boolean };

/** Everything a chain produced. */
export interface ChainResult {
  status: 'completed' | 'failed';
  modality: string;
  language: ChainLanguage;
  files: Files;
  /** Files after each phase, for the version history. */
  history: Array<{ phase: string; files: Files }>;
  phases: PhaseRecord[];
  test: TestOutcome;
  /** Files the model named that were refused (unsafe paths), with reasons. */
  refused: Array<{ path: string; reason: string; phase: string }>;
  error?: string;
}

/** Entry file for a language. */
export function entryFile(language: ChainLanguage): string {
  return language === 'JavaScript' ? 'main.js' : 'main.py';
}

/** Maps a free-form language answer to a supported one (Python when in doubt). */
export function normalizeLanguage(answer: string | undefined): ChainLanguage {
  const a = (answer ?? '').toLowerCase();
  if (/javascript|node|typescript|\bjs\b/.test(a)) return 'JavaScript';
  return 'Python';
}

/** Tries per unimplemented file before code completion moves on (ChatDev's `max_num_implement`). */
export const completionTriesPerFile = 5;

/**
 * The next file code completion works on: the first file (in path order) that
 * still has unimplemented parts and has been tried fewer than `maxTries`
 * times, with those parts; and the files left out because their tries are spent.
 */
export function nextUnfinishedFile(
  files: Files,
  tries: ReadonlyMap<string, number>,
  maxTries: number,
): { file?: { path: string; parts: string[] }; exhausted: string[] } {
  const byFile = new Map<string, string[]>();
  for (const p of findPlaceholders(files)) {
    const part = p.kind === 'todo' ? `TODO on line ${p.line}` : `function ${p.detail}`;
    byFile.set(p.path, [...(byFile.get(p.path) ?? []), part]);
  }
  const paths = [...byFile.keys()].sort();
  const exhausted = paths.filter((path) => (tries.get(path) ?? 0) >= maxTries);
  const path = paths.find((candidate) => (tries.get(candidate) ?? 0) < maxTries);
  return { ...(path ? { file: { path, parts: byFile.get(path)! } } : {}), exhausted };
}

const notRun = (rule: string): TestOutcome => ({ outcome: 'not-run', rule, exitCode: null, output: '', durationMs: 0 });

function changedFiles(before: Files, after: Files): string[] {
  return Object.keys(after).filter((k) => before[k] !== after[k]);
}

/**
 * The ChatDev-style waterfall: demand analysis → language → coding → code
 * completion → review loop → test loop → dependency file → manual. Model
 * errors other than budget and cancellation are recorded on the phase and the
 * chain carries on with what it has; only a coding phase that yields no files
 * at all fails the chain.
 */
export async function executeChain(options: ChainOptions): Promise<ChainResult> {
  const agent = (roleName: string): Agent => {
    const role = options.roles[roleName];
    if (!role) throw new ModelOutputError({ message: `phase uses unknown role '${roleName}'` });
    return {
      name: `${options.agentPrefix ?? ''}${roleName}`,
      role,
      model: options.model(roleName),
      ...(options.temperature !== undefined
        ? { temperature: options.temperature }
        : role.temperature !== undefined
          ? { temperature: role.temperature }
          : {}),
      ...(options.personaNote ? { personaNote: options.personaNote } : {}),
    };
  };
  const ask = async (who: Agent, prompt: string, scope: string): Promise<string> =>
    (
      await complete(who.model, {
        system: `You are the ${who.role.title}. ${who.role.persona}${who.personaNote ? ` ${who.personaNote}` : ''}`,
        messages: [{ role: 'user', content: prompt }],
        ...(who.temperature !== undefined ? { temperature: who.temperature } : {}),
        ...(options.seed !== undefined ? { seed: options.seed } : {}),
        agent: who.name,
        scope,
        ...(options.signal ? { signal: options.signal } : {}),
      })
    ).text;

  let files: Files = { ...(options.initial ?? {}) };
  let modality = options.modality ?? 'Command-line application';
  let language: ChainLanguage = options.language ?? 'Python';
  let test: TestOutcome = options.test ?? notRun('the testing phase did not run');
  const records: PhaseRecord[] = [];
  const history: ChainResult['history'] = [];
  const refused: ChainResult['refused'] = [];
  const emit = (e: ChainEvent) => options.onEvent?.(e);

  const limits = options.limits ?? {};
  const parseLimits = {
    ...(limits.maxFileChars !== undefined ? { maxFileChars: limits.maxFileChars } : {}),
    ...(limits.maxFiles !== undefined ? { maxFiles: limits.maxFiles } : {}),
  };
  const formatLimits = limits.maxPromptChars !== undefined ? { maxChars: limits.maxPromptChars } : {};
  const applyReply = (reply: string, phase: string): string[] => {
    const parsed = parseCodebase(reply, parseLimits);
    for (const r of parsed.refused) refused.push({ ...r, phase });
    const before = files;
    const merged = { ...files, ...parsed.files };
    if (limits.maxFiles !== undefined)
      checkOutputSize('the codebase', Object.keys(merged).length, 'maxFiles', limits.maxFiles, 'files');
    files = merged;
    return changedFiles(before, files);
  };
  const vars = () => ({ task: options.task, language, modality, codebase: formatCodebase(files, formatLimits) });

  for (const phase of options.phases) {
    if (options.signal?.aborted) throw new AbortedError();
    const started = performance.now();
    emit({ type: 'phase-started', phase: phase.name });
    const record: PhaseRecord = { name: phase.name, status: 'done', rounds: 0, durationMs: 0, changed: [] };
    try {
      switch (phase.name) {
        case 'demand-analysis': {
          const result = await runDialogue({
            instructor: agent(phase.instructor),
            assistant: agent(phase.assistant),
            opening: renderTemplate(prompts.demandAnalysis, { task: options.task }),
            maxTurns: phase.maxTurns,
            marker: '<INFO>',
            reflection: {
              agent: agent('counselor'),
              instruction:
                'State the product form the conversation settled on. Choose one of: Command-line application, Desktop application, Web page, Library, Game. Answer as "<INFO> <product form>".',
            },
            scope: phase.name,
            onTurn: (t) => emit({ type: 'turn', phase: phase.name, ...t }),
            ...(options.seed !== undefined ? { seed: options.seed } : {}),
            ...(options.signal ? { signal: options.signal } : {}),
          });
          record.rounds = result.assistantTurns;
          if (result.conclusion) modality = result.conclusion;
          else record.note = 'no decision reached; assuming a command-line application';
          break;
        }
        case 'language-choice': {
          if (options.language) {
            record.status = 'skipped';
            record.note = `language fixed to ${options.language}`;
            break;
          }
          const result = await runDialogue({
            instructor: agent(phase.instructor),
            assistant: agent(phase.assistant),
            opening: renderTemplate(prompts.languageChoice, {
              task: options.task,
              modality,
              languages: supportedLanguages.join(', '),
            }),
            maxTurns: phase.maxTurns,
            marker: '<INFO>',
            reflection: {
              agent: agent('counselor'),
              instruction: `State the programming language the conversation chose. Choose one of: ${supportedLanguages.join(', ')}. Answer as "<INFO> <language>".`,
            },
            scope: phase.name,
            onTurn: (t) => emit({ type: 'turn', phase: phase.name, ...t }),
            ...(options.seed !== undefined ? { seed: options.seed } : {}),
            ...(options.signal ? { signal: options.signal } : {}),
          });
          record.rounds = result.assistantTurns;
          language = normalizeLanguage(result.conclusion);
          if (
            result.conclusion &&
            normalizeLanguage(result.conclusion).toLowerCase() !== result.conclusion.toLowerCase()
          ) {
            record.note = `'${result.conclusion}' is not supported by the sandbox; using ${language}`;
          }
          break;
        }
        case 'coding': {
          const entry = entryFile(language);
          const base = renderTemplate(prompts.coding, {
            ...vars(),
            entry,
            fence: language === 'JavaScript' ? 'javascript' : 'python',
            ideas: options.ideas ? `Ideas shared by other teams:\n${options.ideas}\n` : '',
          });
          const existing = Object.keys(files).length > 0 ? formatCodebase(files, formatLimits) : '';
          const prompt = existing
            ? `${base}\n\nThe existing code, to extend rather than replace:\n\n${existing}`
            : base;
          const attempts = options.codingAttempts ?? 3;
          let reply = '';
          for (let attempt = 1; attempt <= attempts; attempt++) {
            record.rounds = attempt;
            reply = await ask(
              agent(phase.assistant),
              attempt === 1 ? prompt : `${prompt}\n\n${prompts.missingCode}`,
              phase.name,
            );
            const changed = applyReply(reply, phase.name);
            if (changed.length > 0 || Object.keys(parseCodebase(reply, parseLimits).files).length > 0) {
              record.changed = changed;
              break;
            }
          }
          if (Object.keys(files).length === 0) {
            throw new ModelOutputError({
              message: `coding: the model's reply contained no files after ${attempts} attempts`,
              reply,
            });
          }
          if (record.rounds > 1) record.note = `needed ${record.rounds} attempts to get files`;
          break;
        }
        case 'code-completion': {
          // ChatDev's code completion: one unimplemented file per cycle, each file tried a limited number of times
          const tries = new Map<string, number>();
          const givenUp: string[] = [];
          for (let round = 1; round <= phase.rounds; round++) {
            const next = nextUnfinishedFile(files, tries, completionTriesPerFile);
            for (const path of next.exhausted) if (!givenUp.includes(path)) givenUp.push(path);
            if (!next.file) break;
            tries.set(next.file.path, (tries.get(next.file.path) ?? 0) + 1);
            emit({ type: 'round', phase: phase.name, round });
            record.rounds = round;
            const reply = await ask(
              agent(phase.assistant),
              renderTemplate(prompts.completion, {
                ...vars(),
                file: next.file.path,
                unfinished: next.file.parts.join(', '),
              }),
              phase.name,
            );
            record.changed.push(...applyReply(reply, phase.name));
          }
          const left = unfinishedParts(files).length;
          if (record.rounds === 0 && left === 0) record.note = 'nothing left unimplemented';
          else if (left > 0)
            record.note = `${left} unimplemented part${left > 1 ? 's' : ''} left${givenUp.length ? ` (gave up on ${givenUp.join(', ')} after ${completionTriesPerFile} tries)` : ''}`;
          break;
        }
        case 'code-review': {
          let unchanged = 0;
          for (let round = 1; round <= phase.rounds; round++) {
            emit({ type: 'round', phase: phase.name, round });
            record.rounds = round;
            const comments = await ask(
              agent(phase.instructor),
              renderTemplate(prompts.reviewComment, vars()),
              phase.name,
            );
            if (/<INFO>\s*Finished/i.test(comments)) {
              record.note = `reviewer satisfied after ${round} round${round > 1 ? 's' : ''}`;
              break;
            }
            const reply = await ask(
              agent(phase.assistant),
              renderTemplate(prompts.reviewModify, { ...vars(), comments: comments.trim().slice(0, 4000) }),
              phase.name,
            );
            const changed = applyReply(reply, phase.name);
            record.changed.push(...changed);
            // ChatDev stops a review loop after two modifications that change nothing.
            unchanged = changed.length === 0 ? unchanged + 1 : 0;
            if (unchanged >= 2) {
              record.note = 'stopped: two revisions in a row changed nothing';
              break;
            }
          }
          break;
        }
        case 'testing': {
          if (!options.runProgram) {
            record.status = 'skipped';
            record.note = options.noRunnerReason ?? 'no sandbox available: the program was not run';
            test = notRun(record.note);
            break;
          }
          const entry = entryFile(language);
          for (let round = 0; round <= phase.rounds; round++) {
            try {
              test = await options.runProgram(files, entry, language, options.signal);
            } catch (error) {
              // a runner that fails is a sandbox error of this phase, never a silent "not run"
              if (AbortedError.isInstance(error) || options.signal?.aborted) throw error;
              const message = (error as Error).message.split('\n')[0] ?? 'the program runner failed';
              test = { outcome: 'sandbox-error', rule: message, exitCode: null, output: '', durationMs: 0 };
              throw error;
            }
            if (test.outcome !== 'exited-error' || round === phase.rounds) break;
            emit({ type: 'round', phase: phase.name, round: round + 1 });
            record.rounds = round + 1;
            const failure = {
              ...vars(),
              command: `${language === 'JavaScript' ? 'node' : 'python3'} ${entry}`,
              outcome: test.outcome,
              report: test.output.slice(-3000),
            };
            // ChatDev's bug summary: the tester reads the report and explains the failure before the programmer fixes
            const summary = await ask(
              agent(phase.instructor),
              renderTemplate(prompts.testSummary, failure),
              phase.name,
            );
            const reply = await ask(
              agent(phase.assistant),
              renderTemplate(prompts.testFix, { ...failure, summary: summary.trim().slice(0, 4000) }),
              phase.name,
            );
            record.changed.push(...applyReply(reply, phase.name));
          }
          record.note = `${test.outcome} (${test.rule})`;
          break;
        }
        case 'environment-doc': {
          const dependencyFile = language === 'JavaScript' ? 'package.json' : 'requirements.txt';
          const reply = await ask(
            agent(phase.assistant),
            renderTemplate(prompts.environmentDoc, { ...vars(), dependencyFile }),
            phase.name,
          );
          record.changed = applyReply(reply, phase.name);
          if (!files[dependencyFile]) record.note = `the reply did not contain ${dependencyFile}`;
          break;
        }
        case 'manual': {
          const runCommand = `${language === 'JavaScript' ? 'node' : 'python3'} ${entryFile(language)}`;
          const reply = await ask(
            agent(phase.assistant),
            renderTemplate(prompts.manual, { ...vars(), runCommand }),
            phase.name,
          );
          record.changed = applyReply(reply, phase.name);
          if (!files['README.md']) record.note = 'the reply did not contain README.md';
          break;
        }
      }
      const hook = phase.name === 'coding' ? 'after-coding' : phase.name === 'code-review' ? 'after-review' : undefined;
      if (hook && options.selfCorrect && record.status === 'done') {
        const improved = await options.selfCorrect(hook, { phase: phase.name, files, language, modality });
        if (improved) {
          record.changed.push(...changedFiles(files, improved));
          files = improved;
        }
      }
    } catch (error) {
      if (AbortedError.isInstance(error) || BudgetExceededError.isInstance(error) || options.signal?.aborted)
        throw error;
      if (ModelOutputError.isTooLarge(error)) {
        // a size cap stops the chain: the phase is not saved, so a resumed run (with a larger cap) redoes it
        emit({ type: 'phase-finished', phase: phase.name, status: 'failed', note: error.message });
        throw new ModelOutputError({
          code: 'OUTPUT_TOO_LARGE',
          ...(error.limit ? { limit: error.limit } : {}),
          message: `${phase.name}: ${error.message}`,
          cause: error,
        });
      }
      record.status = 'failed';
      record.note = (error as Error).message.split('\n')[0];
      if (phase.name === 'coding' && Object.keys(files).length === 0) {
        record.durationMs = Math.round(performance.now() - started);
        records.push(record);
        emit({
          type: 'phase-finished',
          phase: phase.name,
          status: record.status,
          ...(record.note ? { note: record.note } : {}),
        });
        return {
          status: 'failed',
          modality,
          language,
          files,
          history,
          phases: records,
          test,
          refused,
          error: record.note,
        };
      }
    }
    record.changed = [...new Set(record.changed)];
    record.durationMs = Math.round(performance.now() - started);
    records.push(record);
    history.push({ phase: phase.name, files: { ...files } });
    options.onPhaseDone?.({ phase: phase.name, record, files, language, modality, test });
    emit({
      type: 'phase-finished',
      phase: phase.name,
      status: record.status,
      ...(record.note ? { note: record.note } : {}),
    });
  }
  return { status: 'completed', modality, language, files, history, phases: records, test, refused };
}
