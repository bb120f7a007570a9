import type { LanguageModelV3, LanguageModelV3CallOptions, LanguageModelV3Prompt } from '@ai-sdk/provider';
import { defaultRoles } from '../agents/index.js';
import { promptToMessages } from '../model/sim/index.js';
import type { ProgramRunner, TestOutcome } from '../software/chain.js';
import { resolvePhases } from '../software/phases.js';

export { SimulatedModel } from '../model/index.js';

/** The text of a prompt, for assertions on what a model was asked. */
export function promptToMessagesForTest(prompt: LanguageModelV3Prompt): string {
  return promptToMessages(prompt)
    .map((m) => m.content)
    .join('\n');
}

/** The options of `executeCrossTeam` most tests share: ChatDev's phases and roles, merges of two. */
export const crossTeamDefaults = { phases: resolvePhases(undefined), roles: defaultRoles, groupSize: 2 };

/** The options of `runStoryTeams` most tests share: merges of two. */
export const storyDefaults = { groupSize: 2 };

/** The agent and scope crosstalk passed with a call. */
export function callMeta(options: { providerOptions?: Record<string, unknown> }): { agent: string; scope: string } {
  const meta = (options.providerOptions?.crosstalk ?? {}) as { agent?: string; scope?: string };
  return { agent: meta.agent ?? '', scope: meta.scope ?? '' };
}

/** A model answering through `model`, with `doGenerate` in between (streaming goes straight through). */
function wrapGenerate(
  model: LanguageModelV3,
  doGenerate: (options: LanguageModelV3CallOptions) => ReturnType<LanguageModelV3['doGenerate']>,
): LanguageModelV3 {
  return {
    specificationVersion: 'v3',
    provider: model.provider,
    modelId: model.modelId,
    supportedUrls: {},
    doGenerate,
    doStream: (options) => model.doStream(options),
  };
}

/** Wraps a model to record each call's agent name and prompt text. */
export function recording(model: LanguageModelV3) {
  const calls: Array<{ agent: string; text: string }> = [];
  const wrapped = wrapGenerate(model, async (options) => {
    calls.push({ agent: callMeta(options).agent, text: promptToMessagesForTest(options.prompt) });
    return model.doGenerate(options);
  });
  return { model: wrapped, calls };
}

/** Wraps a model to log when each call starts and ends, as `start|end agent@scope`. */
export function tracing(model: LanguageModelV3, log: string[], onStart?: (agent: string, scope: string) => void) {
  return wrapGenerate(model, async (options) => {
    const { agent, scope } = callMeta(options);
    const call = `${agent}@${scope}`;
    log.push(`start ${call}`);
    onStart?.(agent, scope);
    const result = await model.doGenerate(options);
    log.push(`end ${call}`);
    return result;
  });
}

/** A program runner that always succeeds and counts its runs. */
export function countingRunner(): { run: ProgramRunner; runs: string[] } {
  const runs: string[] = [];
  const run: ProgramRunner = async (files) => {
    runs.push(Object.keys(files).sort().join(','));
    return { outcome: 'exited-ok', rule: 'exit-code', exitCode: 0, output: '', durationMs: 0 } satisfies TestOutcome;
  };
  return { run, runs };
}

/**
 * Every team's programmer writes the same program (only a comment naming the team differs), so the metrics tie
 * while the judge, which sees the comment, can still tell the proposals apart.
 */
export function sameCode(model: LanguageModelV3, calls: string[] = []): LanguageModelV3 {
  return wrapGenerate(model, async (options) => {
    const { agent, scope } = callMeta(options);
    calls.push(`${agent}@${scope}`);
    const result = await model.doGenerate(options);
    if (!agent.endsWith('/programmer')) return result;
    const team = agent.split('/')[0];
    const text = `main.py\n\`\`\`python\n# written by ${team}\nprint("todo list")\n\`\`\`\n`;
    return { ...result, content: [{ type: 'text', text }] };
  });
}

/** A model that records a fixed token cost per call for its team, as a team's usage tracker would. */
export function metered(model: LanguageModelV3, spent: Map<string, number>, team: string, tokensPerCall: number) {
  return wrapGenerate(model, async (options) => {
    const result = await model.doGenerate(options);
    spent.set(team, (spent.get(team) ?? 0) + tokensPerCall);
    return result;
  });
}
