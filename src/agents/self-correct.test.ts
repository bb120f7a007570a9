import { describe, expect, it } from 'vitest';
import { scriptedModel } from '../testing/scripted-model.js';
import {
  modelCritic,
  parseCritique,
  refinementPrompt,
  selfCorrect,
  type CheckResult,
  type Critique,
  type RoundReport,
} from './self-correct.js';

/** A critic that gives each attempt the score written in it (`v3 score=7`), and counts its calls. */
function scriptedCritic() {
  const seen: string[] = [];
  const critique = async (text: string): Promise<Critique> => {
    seen.push(text);
    const score = Number(/score=(\d+)/.exec(text)?.[1] ?? 0);
    return { score, problems: score < 10 ? [`${text} could be better`] : [], rationale: `judged ${text}` };
  };
  return { critique, seen };
}

/** An author whose attempts are the given texts, in order; records the contexts it was given. */
function scriptedAuthor(next: string[]) {
  const bases: string[] = [];
  const rankings: string[][] = [];
  let i = 0;
  const refine = async (context: { base: { candidate: string }; ranked: Array<{ candidate: string }> }) => {
    bases.push(context.base.candidate);
    rankings.push(context.ranked.map((a) => a.candidate));
    return next[i++] ?? 'out of ideas score=0';
  };
  return { refine, bases, rankings };
}

/** A verifiable check: fails for attempts containing `broken`. */
const verify = async (text: string): Promise<CheckResult[]> => [
  text.includes('broken')
    ? { name: 'py_compile', passed: false, detail: 'SyntaxError: invalid syntax (main.py, line 2)' }
    : { name: 'py_compile', passed: true },
];

describe('selfCorrect', () => {
  it('stops at the threshold with the attempt that reached it', async () => {
    const critic = scriptedCritic();
    const author = scriptedAuthor(['v2 score=6', 'v3 score=9', 'v4 score=10']);
    const rounds: RoundReport[] = [];
    const result = await selfCorrect({
      initial: 'v1 score=4',
      verify,
      critique: critic.critique,
      refine: author.refine,
      threshold: 8,
      maxRounds: 5,
      onRound: (r) => rounds.push(r),
    });
    expect(result.stoppedBy).toBe('threshold');
    expect(result.best?.candidate).toBe('v3 score=9');
    expect(rounds.map((r) => r.score)).toEqual([4, 6, 9]);
    expect(rounds.at(-1)?.stop).toEqual({ by: 'threshold', chosenRound: 3 });
    expect(rounds.slice(0, -1).every((r) => r.stop === undefined)).toBe(true);
    // earlier attempts stay in context, best first
    expect(author.rankings[1]).toEqual(['v2 score=6', 'v1 score=4']);
  });

  it('stops when a refinement does not improve, and returns the better earlier attempt', async () => {
    const author = scriptedAuthor(['v2 score=7', 'v3 score=5', 'v4 score=10']);
    const result = await selfCorrect({
      initial: 'v1 score=4',
      critique: scriptedCritic().critique,
      refine: author.refine,
      threshold: 9,
      maxRounds: 6,
    });
    expect(result.stoppedBy).toBe('no-improvement');
    expect(result.attempts).toHaveLength(3);
    expect(result.best?.candidate).toBe('v2 score=7');
  });

  it('stops at the round limit with the best attempt', async () => {
    const author = scriptedAuthor(['v2 score=5', 'v3 score=6', 'v4 score=7']);
    const result = await selfCorrect({
      initial: 'v1 score=4',
      critique: scriptedCritic().critique,
      refine: author.refine,
      threshold: 9,
      maxRounds: 3,
    });
    expect(result.stoppedBy).toBe('round-limit');
    expect(result.attempts.map((a) => a.score)).toEqual([4, 5, 6]);
    expect(result.best?.candidate).toBe('v3 score=6');
  });

  it('prefers a verifiable failure over the critic’s praise: the praised broken attempt is rejected, unasked', async () => {
    const critic = scriptedCritic();
    const author = scriptedAuthor(['v2 broken score=10', 'v3 score=6']);
    const rounds: RoundReport[] = [];
    const result = await selfCorrect({
      initial: 'v1 score=5',
      verify,
      critique: critic.critique,
      refine: author.refine,
      threshold: 8,
      maxRounds: 4,
      onRound: (r) => rounds.push(r),
    });
    // the broken attempt would have scored 10 with the critic: it was never shown to it
    expect(critic.seen).not.toContain('v2 broken score=10');
    expect(rounds[1]).toMatchObject({ score: 0, rejected: true });
    expect(rounds[1]?.problems[0]).toMatch(/^py_compile failed: SyntaxError/);
    expect(result.stoppedBy).toBe('no-improvement');
    expect(result.best?.candidate).toBe('v1 score=5');
  });

  it('never returns a rejected answer, nor refines from one when a better one exists', async () => {
    const author = scriptedAuthor(['v2 broken score=10', 'v3 broken score=10']);
    const allBroken = await selfCorrect({
      initial: 'v1 broken score=10',
      verify,
      critique: scriptedCritic().critique,
      refine: author.refine,
      maxRounds: 3,
    });
    expect(allBroken.best).toBeUndefined();
    expect(allBroken.stoppedBy).toBe('round-limit');
    expect(allBroken.attempts.every((a) => a.rejected)).toBe(true);

    const vetoed = await selfCorrect({
      initial: 'harmful',
      critique: async () => ({ score: 9, problems: ['instructions for harm'], rationale: 'unsafe', veto: true }),
      refine: async () => 'harmful again',
      maxRounds: 2,
    });
    expect(vetoed.best).toBeUndefined();

    const later = scriptedAuthor(['v2 broken score=10', 'v3 score=6']);
    await selfCorrect({
      initial: 'v1 score=5',
      verify,
      critique: scriptedCritic().critique,
      refine: later.refine,
      maxRounds: 2,
    });
    expect(later.bases).toEqual(['v1 score=5']);
  });

  it('shows the author the attempts ranked with their scores and problems', () => {
    const attempt = (round: number, candidate: string, score: number, rejected = false) => ({
      round,
      candidate,
      score,
      rejected,
      checks: rejected ? [{ name: 'tests', passed: false, detail: '2 failed' }] : [],
    });
    const base = attempt(2, 'B', 7);
    const text = refinementPrompt(
      { base, ranked: [base, attempt(1, 'A', 4), attempt(3, 'C', 0, true)], round: 4 },
      (s) => s,
      'Reply with the whole improved text.',
    );
    expect(text.indexOf('attempt 2: score 7')).toBeLessThan(text.indexOf('attempt 1: score 4'));
    expect(text).toContain('attempt 3: score 0 (rejected)');
    expect(text).toContain('problem: tests failed: 2 failed');
    expect(text).toContain('Improve attempt 2 (score 7):\nB');
  });
});

describe('modelCritic', () => {
  it('parses the self-examination of a fake model, fenced or bare, and validates it', async () => {
    const { model, calls } = scriptedModel([
      'Here you go:\n```json\n{"score": 6, "problems": ["no tests"], "rationale": "works"}\n```',
      '{"score": "not a number"}',
      'I cannot judge that.',
    ]);
    const critic = modelCritic({ model, rubric: 'Is it correct?', task: 'a todo app' });
    expect(await critic('print(1)')).toEqual({ score: 6, problems: ['no tests'], rationale: 'works' });
    // an invalid reply is asked once more, then scores 0 with the reason
    expect(await critic('print(2)')).toMatchObject({ score: 0, problems: [expect.stringMatching(/valid JSON/)] });
    expect(calls).toHaveLength(3);
    const prompt = JSON.stringify(calls[0]?.prompt);
    expect(prompt).toContain('Is it correct?');
    expect(prompt).toContain('print(1)');
  });

  it('rejects scores outside 0-10', () => {
    expect(parseCritique('{"score": 11, "problems": []}')).toBeUndefined();
    expect(parseCritique('{"score": 3}')).toEqual({ score: 3, problems: [], rationale: '' });
  });
});
