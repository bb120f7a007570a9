import { wrapLanguageModel } from 'ai';
import { describe, expect, it } from 'vitest';
import { complete, SimulatedModel } from '../model/index.js';
import { SqliteRunStore } from '../store/index.js';
import { RunSession } from './run-session.js';

describe('RunSession', () => {
  it('keeps checkpoints as steps and resumes from the latest one it accepts', () => {
    const store = new SqliteRunStore(':memory:');
    const first = RunSession.start(store, { kind: 'cross-team', task: 't', config: {} });
    first.checkpoint(1, { teams: 3, at: 'design' }, { point: 'design' });
    first.checkpoint(2, { teams: 3, at: 'coding' }, { point: 'coding' });
    first.checkpoint(3, { teams: 2, at: 'other' }, null);
    // a damaged checkpoint is passed over, not fatal
    store.putStep(first.id, {
      id: 'checkpoint/9',
      state: 'done',
      attempts: 1,
      outputHash: store.putArtifact('{not json'),
      meta: null,
      updatedAt: 1,
    });
    first.finish('interrupted', null);
    const again = RunSession.resume(store, first.id);
    expect(again.latestCheckpoint<{ teams: number; at: string }>((c) => c.teams === 3)).toEqual({
      teams: 3,
      at: 'coding',
    });
    expect(again.latestCheckpoint<{ teams: number }>((c) => c.teams === 5)).toBeUndefined();
    store.close();
  });

  it('adds the calls of every session to the run totals, counting those of a session that died', async () => {
    const store = new SqliteRunStore(':memory:');
    const first = RunSession.start(store, { kind: 'net', task: 't', config: {} });
    const ask = async (session: RunSession, text: string) => {
      const { journal } = session.journal('sim', { input: 1, output: 1 });
      return complete(wrapLanguageModel({ model: new SimulatedModel(), middleware: journal }), {
        messages: [{ role: 'user', content: text }],
      });
    };
    await ask(first, 'one');
    await ask(first, 'two');
    // the process dies: no finish; a second session resumes and makes one new call, one replayed
    const second = RunSession.resume(store, first.id);
    await ask(second, 'one');
    await ask(second, 'three');
    const totals = second.finish('completed', null);
    expect(totals.calls).toBe(3);
    expect(totals.replayedCalls).toBe(1);
    expect(totals.inputTokens).toBe(store.callTotals(first.id).inputTokens);
    expect(totals.costUsd).toBeCloseTo(store.callTotals(first.id).costUsd!, 12);
    store.close();
  });
});
