import { wrapLanguageModel } from 'ai';
import { describe, expect, it } from 'vitest';
import { complete, SimulatedModel } from '../model/index.js';
import { journalMiddleware, type JournalStats } from './journal.js';
import { SqliteRunStore } from './sqlite-store.js';

describe('journalMiddleware', () => {
  it('records calls, then answers the same requests from the store without calling the model', async () => {
    const store = new SqliteRunStore(':memory:');
    const run = store.createRun({ kind: 'net', task: 't', config: {} });
    const prompts = ['Task: a. Plan.', 'Task: b. Plan.', 'Task: a. Plan.'];

    const first = new SimulatedModel({ seed: 4 });
    const firstStats: JournalStats = { replayed: 0, recorded: 0 };
    const a = wrapLanguageModel({
      model: first,
      middleware: journalMiddleware({ store, runId: run.id, model: 'sim', stats: firstStats }),
    });
    const firstReplies = [];
    for (const p of prompts)
      firstReplies.push((await complete(a, { messages: [{ role: 'user', content: p }], agent: 'x' })).text);
    expect(first.stats.calls).toBe(3);
    expect(firstStats).toEqual({ replayed: 0, recorded: 3 });
    // the identical third request got its own journal entry
    expect(store.listCalls(run.id)).toHaveLength(3);

    const second = new SimulatedModel({ seed: 999 }); // would answer differently if it were asked
    const secondStats: JournalStats = { replayed: 0, recorded: 0 };
    const b = wrapLanguageModel({
      model: second,
      middleware: journalMiddleware({ store, runId: run.id, model: 'sim', stats: secondStats }),
    });
    const secondReplies = [];
    for (const p of prompts) secondReplies.push((await complete(b, { messages: [{ role: 'user', content: p }] })).text);
    expect(second.stats.calls).toBe(0);
    expect(secondStats).toEqual({ replayed: 3, recorded: 0 });
    expect(secondReplies).toEqual(firstReplies);

    // a fourth occurrence is new work: it goes to the model
    await complete(b, { messages: [{ role: 'user', content: 'Task: a. Plan.' }] });
    expect(second.stats.calls).toBe(1);
    store.close();
  });

  it('treats different settings as different requests', async () => {
    const store = new SqliteRunStore(':memory:');
    const run = store.createRun({ kind: 'net', task: 't', config: {} });
    const model = new SimulatedModel();
    const wrapped = wrapLanguageModel({ model, middleware: journalMiddleware({ store, runId: run.id, model: 'sim' }) });
    await complete(wrapped, { messages: [{ role: 'user', content: 'x' }], temperature: 0.1 });
    await complete(wrapped, { messages: [{ role: 'user', content: 'x' }], temperature: 0.9 });
    expect(model.stats.calls).toBe(2);
    store.close();
  });
});
