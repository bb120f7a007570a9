import type { LanguageModelV3, LanguageModelV3CallOptions } from '@ai-sdk/provider';
import { describe, expect, it } from 'vitest';
import { defaultRoles, type Agent } from '../agents/index.js';
import { promptToMessages, SimulatedModel, type SimOptions } from '../model/sim/index.js';
import { scriptedModel } from '../testing/scripted-model.js';
import { runNodeWork, type NodeAgents } from './node-work.js';
import type { ArtifactRunner } from './edge-dialogue.js';

/** A model that answers through another and records each call's messages (role and text). */
function recording(inner: LanguageModelV3) {
  const calls: Array<{ agent: string; messages: Array<{ role: string; content: string }> }> = [];
  const model: LanguageModelV3 = {
    ...inner,
    specificationVersion: 'v3',
    provider: inner.provider,
    modelId: inner.modelId,
    supportedUrls: {},
    async doGenerate(params: LanguageModelV3CallOptions) {
      const agent = (params.providerOptions?.crosstalk as { agent?: string } | undefined)?.agent ?? '';
      calls.push({ agent, messages: promptToMessages(params.prompt).filter((m) => m.role !== 'system') });
      return inner.doGenerate(params);
    },
    doStream: (params) => inner.doStream(params),
  };
  return { model, calls };
}

function agents(model: LanguageModelV3): NodeAgents {
  const make = (name: string): Agent => ({ name, role: defaultRoles[name]!, model });
  return { actor: make('actor'), critics: new Map(), defaultCritic: make('critic'), aggregator: make('aggregator') };
}

const program = 'main.py\n```python\nprint("hello")\n```';

async function edgeOf(sim: Partial<SimOptions>, extra: Partial<Parameters<typeof runNodeWork>[0]> = {}) {
  const { model, calls } = recording(new SimulatedModel(sim));
  const result = await runNodeWork({
    nodeId: 'n1',
    task: 'a greeting program',
    taskType: 'code',
    agents: agents(model),
    inputs: [{ nodeId: 'n0', text: program }],
    edgeRounds: 3,
    ...extra,
  });
  return { result, calls };
}

describe('an edge as a dialogue', () => {
  it('keeps the exchange across 3 rounds: each prompt holds the rounds before it, the latest version in full', async () => {
    const { result, calls } = await edgeOf({ seed: 1 });
    expect(calls.map((c) => c.agent)).toEqual(['critic', 'actor', 'critic', 'actor', 'critic', 'actor']);
    expect(result.edges).toEqual([{ from: 'n0', rounds: 3, endedBy: 'round-limit', runs: 0 }]);
    const critic = calls.filter((c) => c.agent === 'critic');
    const actor = calls.filter((c) => c.agent === 'actor');
    // the conversation grows by one exchange a round: 1, 3, 5 messages for each side
    expect(critic.map((c) => c.messages.length)).toEqual([1, 3, 5]);
    expect(actor.map((c) => c.messages.length)).toEqual([1, 3, 5]);
    // the critic's third prompt carries its own first two reviews as its turns, the ones the actor was given
    const [, first, , second] = critic[2]!.messages;
    expect([first!.role, second!.role]).toEqual(['assistant', 'assistant']);
    expect(first!.content).toMatch(/\S/);
    expect(actor[0]!.messages[0]!.content).toContain(`instructs:\n<<<\n${first!.content}\n>>>`);
    expect(actor[1]!.messages.at(-1)!.content).toContain(`instructs:\n<<<\n${second!.content}\n>>>`);
    expect(actor[2]!.messages[2]!.content).toContain(second!.content);
    // only the latest version appears in full; earlier ones are one-line notes
    expect(critic[2]!.messages[0]!.content).toContain('[the solution as it arrived along the edge, superseded');
    expect(critic[2]!.messages[2]!.content).toContain('[revision 1, superseded');
    expect(critic[2]!.messages[4]!.content).toContain('# revision 2');
    expect(actor[2]!.messages[1]!.content).toMatch(/^\[revision 1, superseded/);
    expect(result.text).toContain('# revision 3');
  });

  it('ends when the critic approves: the approved version moves on, no further calls', async () => {
    const { result, calls } = await edgeOf({ seed: 1, approveAfter: 2 });
    expect(calls.map((c) => c.agent)).toEqual(['critic', 'actor', 'critic']);
    expect(result.edges).toEqual([{ from: 'n0', rounds: 2, endedBy: 'approved', runs: 0 }]);
    expect(result.calls).toBe(3);
    expect(result.text).toContain('# revision 1');
    // approval on the first look passes the predecessor's artifact on unchanged
    const first = await edgeOf({ seed: 1, approveAfter: 1 });
    expect(first.calls.map((c) => c.agent)).toEqual(['critic']);
    expect(first.result.text).toBe(program);
  });

  it('runs the artifact every round when asked, and shows the critic the report', async () => {
    const runs: string[] = [];
    const run: ArtifactRunner = async (artifact) => {
      runs.push(artifact);
      return { ok: false, report: `exited-error, exit code 1\nTraceback: run ${runs.length}` };
    };
    const { result, calls } = await edgeOf({ seed: 1 }, { edgeRuns: 'every-round', runArtifact: run, edgeRounds: 2 });
    expect(runs).toHaveLength(2);
    expect(result.edges[0]).toMatchObject({ rounds: 2, runs: 2 });
    const critic = calls.filter((c) => c.agent === 'critic');
    expect(critic[0]!.messages[0]!.content).toContain(
      'A sandbox run of it:\n<<<\nexited-error, exit code 1\nTraceback: run 1',
    );
    expect(critic[1]!.messages.at(-1)!.content).toContain('Traceback: run 2');
  });

  it('runs the artifact when the critic asks with <RUN>, then asks it again with the report (request mode)', async () => {
    const scripted = scriptedModel([
      '<RUN>',
      'The program crashes on start; import sys before using it.',
      'main.py\n```python\nimport sys\nprint("hello", file=sys.stderr)\n```',
      '<INFO> Approved',
    ]);
    const run: ArtifactRunner = async () => ({ ok: false, report: 'exited-error, exit code 1' });
    const result = await runNodeWork({
      nodeId: 'n1',
      task: 'a greeting program',
      taskType: 'code',
      agents: agents(scripted.model),
      inputs: [{ nodeId: 'n0', text: program }],
      edgeRounds: 3,
      runArtifact: run,
    });
    expect(result.edges).toEqual([{ from: 'n0', rounds: 2, endedBy: 'approved', runs: 1 }]);
    expect(result.text).toContain('import sys');
    const second = promptToMessages(scripted.calls[1]!.prompt).filter((m) => m.role !== 'system');
    expect(second.map((m) => m.role)).toEqual(['user', 'assistant', 'user']);
    expect(second[0]!.content).toContain('reply with only <RUN>');
    expect(second[2]!.content).toMatch(/^Sandbox run of the solution:\nexited-error, exit code 1/);
    // a text network offers no runs
    const text = scriptedModel(['Fine as it is. <INFO> Approved']);
    await runNodeWork({
      nodeId: 'n1',
      task: 'a haiku',
      taskType: 'text',
      agents: agents(text.model),
      inputs: [{ nodeId: 'n0', text: 'an old pond' }],
      runArtifact: run,
    });
    expect(JSON.stringify(text.calls[0]!.prompt)).not.toContain('<RUN>');
  });
});
