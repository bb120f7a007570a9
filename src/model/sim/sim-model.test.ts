import { APICallError } from '@ai-sdk/provider';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../errors/index.js';
import { parseSimQuery } from './sim-options.js';
import { SimulatedModel } from './sim-model.js';
import { simulateReply } from './sim-reply.js';

const user = (text: string) => ({ role: 'user' as const, content: [{ type: 'text' as const, text }] });

async function text(model: SimulatedModel, prompt: string, extra: { temperature?: number } = {}) {
  const result = await model.doGenerate({ prompt: [user(prompt)], ...extra });
  const part = result.content[0];
  return part?.type === 'text' ? part.text : '';
}

describe('simulateReply', () => {
  it('is deterministic for the same seed, messages and temperature', () => {
    const input = { messages: [{ role: 'user' as const, content: 'Task: a todo app. Describe a plan.' }], seed: 3 };
    expect(simulateReply(input)).toBe(simulateReply(input));
    expect(simulateReply({ ...input, temperature: 0.2 })).not.toBe(simulateReply({ ...input, temperature: 0.9 }));
  });

  it('answers a JSON request with an object of the example shape', () => {
    const reply = simulateReply({
      seed: 1,
      messages: [
        {
          role: 'user',
          content: 'Score this.\n```json\n{"score": 0.5, "problems": ["text"], "verdict": "pass|fail"}\n```',
        },
      ],
    });
    const body = /```json\n([\s\S]*?)```/.exec(reply)?.[1] ?? reply;
    const parsed = JSON.parse(body) as { score: number; problems: string[]; verdict: string };
    expect(parsed.score).toBeGreaterThanOrEqual(0);
    expect(parsed.score).toBeLessThanOrEqual(1);
    expect(Array.isArray(parsed.problems)).toBe(true);
    expect(['pass', 'fail']).toContain(parsed.verdict);
  });

  it('answers lettered options with one of the letters', () => {
    const reply = simulateReply({
      seed: 5,
      messages: [{ role: 'user', content: 'Question: 2+2?\nA. 3\nB. 4\nC. 5\nGive your answer.' }],
    });
    expect(reply).toMatch(/The answer is \([ABC]\)\./);
  });

  it('writes a runnable-looking Python program when asked for files in code blocks', () => {
    const reply = simulateReply({
      seed: 0,
      messages: [
        {
          role: 'user',
          content:
            'Task: a command-line todo app\nProgramming language: Python\nWrite every file as its name on a line, then a fenced code block.',
        },
      ],
    });
    expect(reply).toMatch(/^main\.py\n```python\n/m);
    expect(reply).toContain('def main(argv)');
    expect(reply).not.toMatch(/\bTODO\b|^\s+pass$/m);
  });

  it('revises a codebase found in the prompt instead of starting over', () => {
    const prompt =
      'Fix the code. Write every file as its name on a line, then a fenced code block.\n\nmain.py\n```python\nprint("hi")\n```';
    const reply = simulateReply({ seed: 0, messages: [{ role: 'user', content: prompt }] });
    expect(reply).toContain('# revision 1\nprint("hi")');
  });

  it('fills a placeholder marker from the listed options, preferring one the task names', () => {
    const prompt = 'Task: a snake game in JavaScript\nChoose one of: Python, JavaScript. End with "<INFO> <language>".';
    const replies = [0, 1, 2, 3, 4, 5].map((seed) =>
      simulateReply({
        seed,
        messages: [
          { role: 'user', content: prompt },
          { role: 'assistant', content: 'x' },
          { role: 'user', content: prompt },
          { role: 'assistant', content: 'y' },
          { role: 'user', content: prompt },
        ],
      }),
    );
    for (const r of replies) expect(r).toContain('<INFO> JavaScript');
  });
});

describe('SimulatedModel', () => {
  it('reports token usage from the prompt and reply sizes', async () => {
    const model = new SimulatedModel();
    const result = await model.doGenerate({ prompt: [user('Task: write a haiku about rivers.')] });
    expect(result.usage.inputTokens.total).toBeGreaterThan(0);
    expect(result.usage.outputTokens.total).toBeGreaterThan(0);
  });

  it('injects 429s with Retry-After, and a retried call can succeed', async () => {
    const model = new SimulatedModel({ fail429: 0.5, seed: 9, retryAfterMs: 7 });
    let failures = 0;
    let successes = 0;
    for (let i = 0; i < 40; i++) {
      try {
        await text(model, `prompt ${i % 4}`);
        successes++;
      } catch (error) {
        expect(APICallError.isInstance(error)).toBe(true);
        expect((error as APICallError).statusCode).toBe(429);
        expect((error as APICallError).responseHeaders?.['retry-after-ms']).toBe('7');
        failures++;
      }
    }
    expect(failures).toBeGreaterThan(5);
    expect(successes).toBeGreaterThan(5);
  });

  it('hangs on a simulated timeout until the caller aborts', async () => {
    const model = new SimulatedModel({ timeout: 1 });
    const controller = new AbortController();
    const pending = model.doGenerate({ prompt: [user('hello')], abortSignal: controller.signal });
    let settled = false;
    void pending.then(
      () => (settled = true),
      () => (settled = true),
    );
    await new Promise((r) => setTimeout(r, 50));
    expect(settled).toBe(false); // still hanging: no answer, no error of its own
    controller.abort(new Error('caller gave up'));
    await expect(pending).rejects.toThrow('caller gave up');
  });

  it('applies latency', async () => {
    const model = new SimulatedModel({ latency: { kind: 'fixed', ms: 30 } });
    const started = Date.now();
    await text(model, 'hello');
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
  });

  it('streams the same text it generates', async () => {
    const a = new SimulatedModel({ seed: 2 });
    const b = new SimulatedModel({ seed: 2 });
    const generated = await text(a, 'Task: a poem. Write about 100 words.');
    const { stream } = await b.doStream({ prompt: [user('Task: a poem. Write about 100 words.')] });
    let streamed = '';
    for await (const part of stream as unknown as AsyncIterable<{ type: string; delta?: string }>)
      if (part.type === 'text-delta') streamed += part.delta;
    expect(streamed).toBe(generated);
  });
});

describe('parseSimQuery', () => {
  it('parses latency, jitter and fault rates', () => {
    const o = parseSimQuery('latency=50ms&jitter=0.2&fail429=0.1&seed=4');
    expect(o.latency).toEqual({ kind: 'uniform', minMs: 40, maxMs: 60 });
    expect(o.fail429).toBe(0.1);
    expect(o.seed).toBe(4);
    expect(parseSimQuery('latency=20-80ms').latency).toEqual({ kind: 'uniform', minMs: 20, maxMs: 80 });
    expect(parseSimQuery('latency=1s').latency).toEqual({ kind: 'fixed', ms: 1000 });
    expect(parseSimQuery('minTurns=3').minTurns).toBe(3);
    expect(parseSimQuery('').minTurns).toBe(1);
    expect(parseSimQuery('approveAfter=2').approveAfter).toBe(2);
    expect(parseSimQuery('').approveAfter).toBe(0);
  });

  it('with approveAfter approves a network edge on exactly that review, and never without it', () => {
    const review = (earlier: number, approveAfter: number) => {
      const messages: Array<{ role: 'system' | 'user' | 'assistant'; content: string }> = [];
      for (let i = 0; i < earlier; i++)
        messages.push(
          { role: 'user', content: 'Examine it. If it needs no change at all, reply with only <INFO> Approved.' },
          { role: 'assistant', content: `Review ${i}.` },
        );
      messages.push({ role: 'user', content: 'Review it. If it needs no change, reply with only <INFO> Approved.' });
      return simulateReply({ messages, seed: 3, approveAfter });
    };
    expect(review(0, 2)).not.toContain('<INFO>');
    expect(review(1, 2)).toBe('<INFO> Approved');
    expect([0, 1, 2, 5].map((earlier) => review(earlier, 0)).join('\n')).not.toContain('<INFO>');
  });

  it('with minTurns keeps a role-play dialogue going before it concludes', () => {
    const system = 'You are the CPO. When the discussion is over, reply with a line "<INFO> Finished".';
    const turn = (assistantTurns: number, minTurns: number) => {
      const messages: Array<{ role: 'system' | 'user' | 'assistant'; content: string }> = [
        { role: 'system', content: system },
      ];
      for (let i = 0; i < assistantTurns; i++)
        messages.push(
          { role: 'user', content: `Point ${i}: what should the product be?` },
          { role: 'assistant', content: `Thoughts ${i}.` },
        );
      messages.push({ role: 'user', content: 'Task: a todo app. What should the product be?' });
      return simulateReply({ messages, seed: 3, minTurns });
    };
    // turns 1 and 2 never conclude with minTurns 3; turn 3 is free to (and by turn 3 the sim always does)
    expect(turn(0, 3)).not.toContain('<INFO>');
    expect(turn(1, 3)).not.toContain('<INFO>');
    expect(turn(2, 3)).toContain('<INFO> Finished');
  });

  it.each([
    ['latency=fast', /latency/],
    ['fail429=2', /fail429/],
    ['bogus=1', /unknown sim option 'bogus'/],
    ['seed=x', /seed/],
    ['minTurns=0', /minTurns/],
    ['approveAfter=-1', /approveAfter/],
  ])('rejects %s with a ConfigError', (query, message) => {
    expect(() => parseSimQuery(query)).toThrow(ConfigError);
    expect(() => parseSimQuery(query)).toThrow(message);
  });
});

describe('seeds', () => {
  it('a run seed given to both the model and the call changes the replies (it cancelled out before)', async () => {
    const { complete } = await import('../complete.js');
    const ask = (seed: number) =>
      complete(new SimulatedModel({ seed }), { messages: [{ role: 'user', content: 'Describe a bridge.' }], seed });
    const replies = new Set(await Promise.all([1, 2, 3, 4].map(async (s) => (await ask(s)).text)));
    expect(replies.size).toBeGreaterThan(1);
    expect((await ask(0)).text).toBe(
      (
        await complete(new SimulatedModel({ seed: 0 }), {
          messages: [{ role: 'user', content: 'Describe a bridge.' }],
          seed: 0,
        })
      ).text,
    );
  });
});
