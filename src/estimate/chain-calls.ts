import { defaultRoles, renderTemplate, systemPrompt, type Role, type RoleBook } from '../agents/index.js';
import { parseModelString, parseSimQuery } from '../model/index.js';
import { formatCodebase, parseCodebase, unfinishedParts } from '../software/codebase/index.js';
import { entryFile, supportedLanguages, type ChainLanguage } from '../software/chain.js';
import type { ResolvedPhase } from '../software/phases.js';
import { prompts } from '../software/prompts.js';
import { simReplyText, type AssumedReplyTokens } from './reply-sizes.js';
import { isSimModel, promptChars } from './tally.js';

/** One planned call: its model, sizes in characters, and how often it happens (expected) or may happen (bound). */
export interface PlannedCall {
  model: string;
  inputChars: number;
  outputChars: number;
  expected: number;
  bound: number;
}

/**
 * Chance that the next reply of a role-play ends the discussion, given how
 * many replies its speaker already gave. It follows the simulated model: a
 * reply carries the termination marker 65% of the time, always from the
 * speaker's third reply on, never before `minTurns`. Real models are assumed
 * to behave alike for the expected figure; the bound covers any model.
 */
export function concludeChance(ownReplies: number, minTurns = 1): number {
  if (ownReplies + 1 < minTurns) return 0;
  return ownReplies >= 2 ? 1 : 0.65;
}

/** Reply sizes (characters) of the chain's calls. */
export interface ChainReplySizes {
  dialogue: number;
  code: number;
  /** The codebase as `formatCodebase` renders it into later prompts. */
  codebase: number;
  /** True when the code has no unimplemented parts (code completion then makes no call). */
  complete: boolean;
  review: number;
  revise: number;
  dependencyFile: number;
  manual: number;
}

/** What the chain calls need to know about the run. */
export interface ChainCallContext {
  task: string;
  roles: RoleBook;
  /** Model string per role. */
  modelFor: (role: string) => string;
  temperature?: number;
  personaNote?: string;
  seed: number;
  tokens: AssumedReplyTokens;
  /** A sandbox runs the program (the testing phase takes place). */
  runsPrograms: boolean;
}

/** What a chain carries from one phase (or segment) to the next. */
export interface ChainCallState {
  language: ChainLanguage | undefined;
  modality: string;
  /** Characters of the codebase as rendered into prompts (0 before coding). */
  codebaseChars: number;
  /** Characters of shared ideas inserted into the coding prompt (0 when none). */
  ideasChars: number;
}

const askSystem = (role: Role, note?: string) => `You are the ${role.title}. ${role.persona}${note ? ` ${note}` : ''}`;

/** The simulated model's `minTurns` from a `sim?minTurns=3` model string (1 when absent). */
export function simMinTurns(model: string): number {
  if (!isSimModel(model)) return 1;
  const spec = parseModelString(model);
  return spec.provider === 'sim' ? parseSimQuery(spec.query).minTurns : 1;
}

/**
 * Reply sizes of the chain's calls. For the simulated model they are
 * measured by running the real prompts through its pure reply function
 * (one pass: demand analysis, coding, review, revision, dependency file,
 * manual); for real models they come from the assumed token counts.
 */
export function chainReplySizes(ctx: ChainCallContext, language: ChainLanguage, model: string): ChainReplySizes {
  const t = ctx.tokens;
  if (!isSimModel(model)) {
    return {
      dialogue: 4 * t.dialogue,
      code: 4 * t.code,
      codebase: 4 * t.code,
      complete: true,
      review: 4 * t.critique,
      revise: 4 * t.code,
      dependencyFile: 400,
      manual: 4 * t.text,
    };
  }
  const role = (name: string) => ctx.roles[name] ?? defaultRoles[name]!;
  const note = ctx.personaNote;
  const temperature = ctx.temperature ?? 0.7;
  const reply = (system: string, user: string, k = 0) => simReplyText(system, user, ctx.seed + k, temperature);
  const average = (system: string, user: string) =>
    [0, 1, 2, 3].reduce((a, k) => a + reply(system, user, k).length, 0) / 4;
  const modality = 'Command-line application';
  const vars = (codebase: string) => ({ task: ctx.task, language, modality, codebase });
  const entry = entryFile(language);
  const coding = renderTemplate(prompts.coding, {
    ...vars(''),
    entry,
    fence: language === 'JavaScript' ? 'javascript' : 'python',
    ideas: '',
  });
  const code = reply(askSystem(role('programmer'), note), coding);
  const files = parseCodebase(code).files;
  const codebase = formatCodebase(files);
  const review = average(askSystem(role('reviewer'), note), renderTemplate(prompts.reviewComment, vars(codebase)));
  const revise = reply(
    askSystem(role('programmer'), note),
    renderTemplate(prompts.reviewModify, { ...vars(codebase), comments: 'x'.repeat(Math.round(review)) }),
  );
  const dependencyFile = language === 'JavaScript' ? 'package.json' : 'requirements.txt';
  const env = reply(
    askSystem(role('programmer'), note),
    renderTemplate(prompts.environmentDoc, { ...vars(codebase), dependencyFile }),
  );
  const manual = reply(
    askSystem(role('cpo'), note),
    renderTemplate(prompts.manual, { ...vars(codebase), runCommand: `python3 ${entry}` }),
  );
  const opening = renderTemplate(prompts.demandAnalysis, { task: ctx.task });
  const dialogue = average(systemPrompt(role('cpo'), note), opening);
  return {
    dialogue,
    code: code.length,
    codebase: codebase.length,
    complete: unfinishedParts(files).length === 0,
    review,
    revise: revise.length,
    dependencyFile: env.length,
    manual: manual.length,
  };
}

/**
 * The calls `executeChain` makes for `phases`, each with the chance that it
 * happens (expected) and whether it can happen (bound), updating `state` as
 * the chain would (language, codebase). Assumes no phase fails and the
 * program runs cleanly when tested (its fix rounds count only in the bound).
 */
export function chainCalls(
  ctx: ChainCallContext,
  phases: readonly ResolvedPhase[],
  state: ChainCallState,
): PlannedCall[] {
  const calls: PlannedCall[] = [];
  const role = (name: string) => ctx.roles[name] ?? defaultRoles[name]!;
  const note = ctx.personaNote;
  const lang = () => state.language ?? 'Python';
  const sizesCache = new Map<string, ChainReplySizes>();
  const sizes = (model: string) => {
    const key = `${model}\u0000${lang()}`;
    let s = sizesCache.get(key);
    if (!s) sizesCache.set(key, (s = chainReplySizes(ctx, lang(), model)));
    return s;
  };
  const codebase = () => state.codebaseChars;
  const templateChars = (template: string, extra: Record<string, string> = {}) =>
    renderTemplate(template, { task: ctx.task, language: lang(), modality: state.modality, codebase: '', ...extra })
      .length;

  const dialogue = (phase: ResolvedPhase, opening: string, reflectionInstruction: string) => {
    const assistant = role(phase.assistant);
    const instructor = role(phase.instructor);
    const assistantModel = ctx.modelFor(phase.assistant);
    const instructorModel = ctx.modelFor(phase.instructor);
    const assistantSystem = systemPrompt(assistant, note).length;
    const instructorSystem = systemPrompt(
      instructor,
      `${note ? `${note}\n` : ''}You are instructing the ${assistant.title}. Keep your replies short: answer questions, point out what is missing, and when the work is done, say so with "<INFO> <conclusion>".\nThe instruction you gave them:\n${opening}`,
    ).length;
    let reach = 1;
    const turns = 2 * phase.maxTurns - 1;
    const transcript: number[] = [];
    for (let j = 0; j < turns; j++) {
      const isAssistant = j % 2 === 0;
      const model = isAssistant ? assistantModel : instructorModel;
      const reply = sizes(model).dialogue;
      const history = Array<number>(j).fill(reply);
      const input = isAssistant
        ? promptChars(assistantSystem, [opening.length, ...history])
        : promptChars(instructorSystem, history);
      calls.push({ model, inputChars: input, outputChars: reply, expected: reach, bound: 1 });
      transcript.push((isAssistant ? phase.assistant : phase.instructor).length + 2 + reply);
      reach *= 1 - concludeChance(Math.floor(j / 2), simMinTurns(model));
    }
    // no conclusion after every turn: a counselor reads the transcript
    const counselorModel = ctx.modelFor('counselor');
    const conversation = transcript.reduce((a, b) => a + b, 0) + 2 * (transcript.length - 1);
    calls.push({
      model: counselorModel,
      inputChars: promptChars(systemPrompt(role('counselor')), [
        reflectionInstruction.length + '\n\nConversation:\n'.length + conversation,
      ]),
      outputChars: sizes(counselorModel).dialogue,
      expected: reach,
      bound: 1,
    });
  };

  for (const phase of phases) {
    switch (phase.name) {
      case 'demand-analysis':
        dialogue(
          phase,
          renderTemplate(prompts.demandAnalysis, { task: ctx.task }),
          'State the product form the conversation settled on. Choose one of: Command-line application, Desktop application, Web page, Library, Game. Answer as "<INFO> <product form>".',
        );
        break;
      case 'language-choice':
        if (state.language) break; // fixed: skipped
        dialogue(
          phase,
          renderTemplate(prompts.languageChoice, {
            task: ctx.task,
            modality: state.modality,
            languages: supportedLanguages.join(', '),
          }),
          `State the programming language the conversation chose. Choose one of: ${supportedLanguages.join(', ')}. Answer as "<INFO> <language>".`,
        );
        state.language = /javascript|node\b/i.test(ctx.task) ? 'JavaScript' : 'Python';
        break;
      case 'coding': {
        const model = ctx.modelFor(phase.assistant);
        const ideas = state.ideasChars > 0 ? 'Ideas shared by other teams:\n\n'.length + state.ideasChars : 0;
        const base =
          templateChars(prompts.coding, {
            entry: entryFile(lang()),
            fence: lang() === 'JavaScript' ? 'javascript' : 'python',
            ideas: '',
          }) + ideas;
        const prompt =
          base + (codebase() > 0 ? '\n\nThe existing code, to extend rather than replace:\n\n'.length + codebase() : 0);
        const system = askSystem(role(phase.assistant), note);
        calls.push({
          model,
          inputChars: promptChars(system, [prompt]),
          outputChars: sizes(model).code,
          expected: 1,
          bound: 1,
        });
        // a reply without files is asked for again (3 attempts): only the bound counts them
        for (let k = 0; k < 2; k++)
          calls.push({
            model,
            inputChars: promptChars(system, [prompt + 2 + prompts.missingCode.length]),
            outputChars: sizes(model).code,
            expected: 0,
            bound: 1,
          });
        state.codebaseChars = Math.max(codebase(), sizes(model).codebase);
        break;
      }
      case 'code-completion': {
        const model = ctx.modelFor(phase.assistant);
        const input = promptChars(askSystem(role(phase.assistant), note), [
          templateChars(prompts.completion, { file: entryFile(lang()), unfinished: '' }) + codebase() + 40,
        ]);
        for (let r = 0; r < phase.rounds; r++)
          calls.push({
            model,
            inputChars: input,
            outputChars: sizes(model).code,
            expected: sizes(model).complete ? 0 : 1,
            bound: 1,
          });
        break;
      }
      case 'code-review': {
        const reviewerModel = ctx.modelFor(phase.instructor);
        const programmerModel = ctx.modelFor(phase.assistant);
        const q = concludeChance(0, simMinTurns(reviewerModel));
        const review = sizes(reviewerModel).review;
        const commentInput = promptChars(askSystem(role(phase.instructor), note), [
          templateChars(prompts.reviewComment) + codebase(),
        ]);
        const modifyInput = promptChars(askSystem(role(phase.assistant), note), [
          templateChars(prompts.reviewModify, { comments: '' }) + Math.min(review, 4000) + codebase(),
        ]);
        let reach = 1;
        for (let r = 0; r < phase.rounds; r++) {
          calls.push({
            model: reviewerModel,
            inputChars: commentInput,
            outputChars: review,
            expected: reach,
            bound: 1,
          });
          reach *= 1 - q;
          calls.push({
            model: programmerModel,
            inputChars: modifyInput,
            outputChars: sizes(programmerModel).revise,
            expected: reach,
            bound: 1,
          });
        }
        break;
      }
      case 'testing': {
        if (!ctx.runsPrograms) break;
        // each fix round: the tester summarizes the failure, then the programmer fixes it
        const testerModel = ctx.modelFor(phase.instructor);
        const model = ctx.modelFor(phase.assistant);
        const failure = { command: 'python3 main.py', outcome: 'exited-error', report: '' };
        const summaryInput = promptChars(askSystem(role(phase.instructor), note), [
          templateChars(prompts.testSummary, failure) + 1500 + codebase(),
        ]);
        const input = promptChars(askSystem(role(phase.assistant), note), [
          templateChars(prompts.testFix, { ...failure, summary: '' }) + 1500 + sizes(testerModel).review + codebase(),
        ]);
        for (let r = 0; r < phase.rounds; r++) {
          calls.push({
            model: testerModel,
            inputChars: summaryInput,
            outputChars: sizes(testerModel).review,
            expected: 0,
            bound: 1,
          });
          calls.push({ model, inputChars: input, outputChars: sizes(model).revise, expected: 0, bound: 1 });
        }
        break;
      }
      case 'environment-doc': {
        const model = ctx.modelFor(phase.assistant);
        const input = promptChars(askSystem(role(phase.assistant), note), [
          templateChars(prompts.environmentDoc, { dependencyFile: 'requirements.txt' }) + codebase(),
        ]);
        calls.push({ model, inputChars: input, outputChars: sizes(model).dependencyFile, expected: 1, bound: 1 });
        break;
      }
      case 'manual': {
        const model = ctx.modelFor(phase.assistant);
        const input = promptChars(askSystem(role(phase.assistant), note), [
          templateChars(prompts.manual, { runCommand: 'python3 main.py' }) + codebase(),
        ]);
        calls.push({ model, inputChars: input, outputChars: sizes(model).manual, expected: 1, bound: 1 });
        break;
      }
    }
  }
  return calls;
}
