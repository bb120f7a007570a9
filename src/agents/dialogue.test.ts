import type { LanguageModelV3, LanguageModelV3CallOptions } from '@ai-sdk/provider';
import { describe, expect, it } from 'vitest';
import { SimulatedModel } from '../model/index.js';
import { runDialogue, findConclusion, type Agent } from './dialogue.js';
import { defaultRoles } from './roles.js';
import { renderTemplate } from './template.js';

/** A model that answers from a script, recording every prompt it receives. */
function scripted(replies: string[]): LanguageModelV3 & { prompts: LanguageModelV3CallOptions[] } {
  const prompts: LanguageModelV3CallOptions[] = [];
  let i = 0;
  return {
    specificationVersion: 'v3',
    provider: 'test',
    modelId: 'scripted',
    supportedUrls: {},
    prompts,
    async doGenerate(options) {
      prompts.push(options);
      const text = replies[Math.min(i++, replies.length - 1)]!;
      return {
        content: [{ type: 'text', text }],
        finishReason: { unified: 'stop', raw: 'stop' },
        usage: {
          inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
          outputTokens: { total: 1, text: 1, reasoning: 0 },
        },
        warnings: [],
      };
    },
    async doStream() {
      throw new Error('not used');
    },
  };
}

const agent = (name: keyof typeof defaultRoles, model: LanguageModelV3): Agent => ({
  name,
  role: defaultRoles[name]!,
  model,
});

describe('runDialogue', () => {
  it('stops as soon as a reply carries the termination marker', async () => {
    const model = scripted(['Let me think.', 'What language?', 'We will use Python.\n<INFO> Python']);
    const result = await runDialogue({
      instructor: agent('ceo', model),
      assistant: agent('cto', model),
      opening: 'Pick a language.',
      maxTurns: 5,
      marker: '<INFO>',
    });
    expect(result.endedBy).toBe('marker');
    expect(result.conclusion).toBe('Python');
    expect(result.assistantTurns).toBe(2);
    expect(model.prompts).toHaveLength(3);
  });

  it('stops at the turn limit when the marker never comes', async () => {
    const model = scripted(['still thinking']);
    const result = await runDialogue({
      instructor: agent('ceo', model),
      assistant: agent('cto', model),
      opening: 'Pick a language.',
      maxTurns: 3,
      marker: '<INFO>',
    });
    expect(result.endedBy).toBe('turn-limit');
    expect(result.conclusion).toBeUndefined();
    expect(result.assistantTurns).toBe(3);
    // three assistant replies and two instructor answers in between
    expect(model.prompts).toHaveLength(5);
  });

  it('asks a counselor to extract a conclusion when the dialogue ends without one', async () => {
    const model = scripted(['hmm', 'The team settled on Go.\n<INFO> Go']);
    const result = await runDialogue({
      instructor: agent('ceo', model),
      assistant: agent('cto', model),
      opening: 'Pick a language.',
      maxTurns: 1,
      marker: '<INFO>',
      reflection: { agent: agent('counselor', model), instruction: 'State the language chosen as <INFO> <language>.' },
    });
    expect(result.endedBy).toBe('reflection');
    expect(result.conclusion).toBe('Go');
    expect(result.turns.at(-1)?.speaker).toBe('reflection');
  });

  it('gives each side the other side’s messages as user turns', async () => {
    const model = scripted(['a1', 'i1', 'a2 <INFO> Finished']);
    await runDialogue({
      instructor: agent('reviewer', model),
      assistant: agent('programmer', model),
      opening: 'Open.',
      maxTurns: 4,
      marker: '<INFO>',
    });
    const third = model.prompts[2]!.prompt.filter((m) => m.role !== 'system').map((m) => m.role);
    expect(third).toEqual(['user', 'assistant', 'user']);
  });

  it('completes on the simulated model', async () => {
    const model = new SimulatedModel({ seed: 1 });
    const result = await runDialogue({
      instructor: agent('ceo', model),
      assistant: agent('cto', model),
      opening: 'Task: a todo app\nChoose one of: Python, JavaScript. Reply with "<INFO> <language>" when decided.',
      maxTurns: 4,
      marker: '<INFO>',
    });
    expect(['Python', 'JavaScript']).toContain(result.conclusion);
  });
});

describe('findConclusion and renderTemplate', () => {
  it('reads the text after the last marker', () => {
    expect(findConclusion('x\n<INFO> Finished.', '<INFO>')).toBe('Finished');
    expect(findConclusion('no marker', '<INFO>')).toBeUndefined();
  });
  it('fills placeholders and refuses missing ones', () => {
    expect(renderTemplate('Task: {{task}} in {{ language }}', { task: 'x', language: 'Python' })).toBe(
      'Task: x in Python',
    );
    expect(() => renderTemplate('{{missing}}', {})).toThrow(/missing/);
  });
});
