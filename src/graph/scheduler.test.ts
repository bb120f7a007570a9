import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runSchedule, type ScheduleEvent, type ScheduleStep } from './scheduler.js';
import { generateTopology } from './topologies.js';
import type { GraphSpec } from './types.js';

function stepsOf(spec: GraphSpec): ScheduleStep[] {
  const deps = new Map<string, string[]>(spec.nodes.map((n) => [n.id, []]));
  for (const e of spec.edges) deps.get(e.to)!.push(e.from);
  return spec.nodes.map((n) => ({ id: n.id, deps: deps.get(n.id)! }));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('runSchedule', () => {
  it('never starts a step before its inputs finish and never exceeds the concurrency limit (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('random', 'tree', 'layer', 'small-world', 'scale-free', 'mesh' as const),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 10_000 }),
        async (topology, n, concurrency, seed) => {
          const spec = generateTopology(topology, { n, seed });
          const steps = stepsOf(spec);
          const finished = new Set<string>();
          let running = 0;
          let maxRunning = 0;
          const result = await runSchedule<string>({
            steps,
            concurrency,
            run: async (step, inputs) => {
              for (const d of step.deps) {
                expect(finished.has(d)).toBe(true);
                expect(inputs.get(d)).toBe(`out:${d}`);
              }
              running++;
              maxRunning = Math.max(maxRunning, running);
              await sleep((seed + step.id.length) % 3);
              running--;
              finished.add(step.id);
              return `out:${step.id}`;
            },
          });
          expect(result.status).toBe('completed');
          expect(result.outputs.size).toBe(n);
          expect(maxRunning).toBeLessThanOrEqual(concurrency);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('uses the whole concurrency allowance when work is available', async () => {
    let running = 0;
    let maxRunning = 0;
    await runSchedule({
      steps: Array.from({ length: 40 }, (_, i) => ({ id: `s${i}`, deps: [] })),
      concurrency: 6,
      run: async () => {
        maxRunning = Math.max(maxRunning, ++running);
        await sleep(2);
        running--;
      },
    });
    expect(maxRunning).toBe(6);
  });

  it('starts the step with the longest remaining path first', async () => {
    // a -> b -> c is the critical path; x and y are short; one worker at a time
    const order: string[] = [];
    await runSchedule({
      steps: [
        { id: 'x', deps: [] },
        { id: 'y', deps: [] },
        { id: 'a', deps: [] },
        { id: 'b', deps: ['a'] },
        { id: 'c', deps: ['b'] },
      ],
      concurrency: 1,
      run: async (step) => void order.push(step.id),
    });
    expect(order[0]).toBe('a');
  });

  it('with priority fifo starts ready steps in the order they became ready, not by remaining path', async () => {
    // x and y are short; a -> b -> c is the critical path; one worker at a time
    const steps: ScheduleStep[] = [
      { id: 'x', deps: [] },
      { id: 'y', deps: [] },
      { id: 'a', deps: [] },
      { id: 'b', deps: ['a'] },
      { id: 'c', deps: ['b'] },
    ];
    const orderWith = async (priority?: 'critical-path' | 'fifo') => {
      const order: string[] = [];
      await runSchedule({
        steps,
        concurrency: 1,
        ...(priority ? { priority } : {}),
        run: async (step) => void order.push(step.id),
      });
      return order;
    };
    expect(await orderWith()).toEqual(['a', 'b', 'x', 'y', 'c']);
    expect(await orderWith('critical-path')).toEqual(['a', 'b', 'x', 'y', 'c']);
    expect(await orderWith('fifo')).toEqual(['x', 'y', 'a', 'b', 'c']);
  });

  it('retries a failing step, then fails only its descendants and reports partial results', async () => {
    const events: ScheduleEvent[] = [];
    const attempts = new Map<string, number>();
    const result = await runSchedule({
      steps: [
        { id: 'a', deps: [] },
        { id: 'bad', deps: ['a'] },
        { id: 'child', deps: ['bad'] },
        { id: 'grandchild', deps: ['child'] },
        { id: 'other', deps: ['a'] },
      ],
      concurrency: 2,
      retry: { maxAttempts: 3 },
      run: async (step) => {
        attempts.set(step.id, (attempts.get(step.id) ?? 0) + 1);
        if (step.id === 'bad') throw new Error('always fails');
        return step.id;
      },
      onEvent: (e) => events.push(e),
    });
    expect(result.status).toBe('partial');
    expect(attempts.get('bad')).toBe(3);
    expect([...result.failed.keys()]).toEqual(['bad']);
    expect(result.skipped.sort()).toEqual(['child', 'grandchild']);
    expect([...result.outputs.keys()].sort()).toEqual(['a', 'other']);
    expect(events.filter((e) => e.type === 'step-failed').map((e) => (e as { willRetry: boolean }).willRetry)).toEqual([
      true,
      true,
      false,
    ]);
  });

  it("with onFailedInput 'continue' runs a step with the inputs that finished and skips one whose inputs all failed", async () => {
    const seen = new Map<string, { inputs: string[]; missing: readonly string[] }>();
    const events: ScheduleEvent[] = [];
    const result = await runSchedule({
      steps: [
        { id: 'a', deps: [] },
        { id: 'bad', deps: ['a'] },
        { id: 'good', deps: ['a'] },
        { id: 'join', deps: ['bad', 'good'] },
        { id: 'orphan', deps: ['bad'] },
        { id: 'after-orphan', deps: ['orphan', 'join'] },
      ],
      concurrency: 2,
      onFailedInput: 'continue',
      run: async (step, inputs, context) => {
        seen.set(step.id, { inputs: [...inputs.keys()], missing: context.missing });
        if (step.id === 'bad') throw new Error('always fails');
        return step.id;
      },
      onEvent: (e) => events.push(e),
    });
    expect(result.status).toBe('partial');
    expect(seen.get('join')).toEqual({ inputs: ['good'], missing: ['bad'] });
    expect(result.skipped).toEqual(['orphan']);
    expect(events.find((e) => e.type === 'step-skipped')).toMatchObject({
      id: 'orphan',
      because: 'none of its inputs finished (bad)',
    });
    // a skipped step is a missing input too, and the step after it still runs on what finished
    expect(seen.get('after-orphan')).toEqual({ inputs: ['join'], missing: ['orphan'] });
    expect([...result.outputs.keys()].sort()).toEqual(['a', 'after-orphan', 'good', 'join']);
  });

  it('stops launching when cancelled and reports the steps not started', async () => {
    const controller = new AbortController();
    let startedCount = 0;
    const result = await runSchedule({
      steps: generateTopology('chain', { n: 20 }).nodes.map((n, i) => ({ id: n.id, deps: i ? [`n${i - 1}`] : [] })),
      concurrency: 1,
      signal: controller.signal,
      run: async (_step, _inputs, ctx) => {
        startedCount++;
        if (startedCount === 3) controller.abort();
        await sleep(1);
        if (ctx.signal.aborted) throw new Error('aborted');
      },
    });
    expect(result.status).toBe('aborted');
    expect(startedCount).toBe(3);
    expect(result.notStarted.length).toBe(18);
  });

  it('stops the whole schedule on a fatal error (a spent budget) without running more steps', async () => {
    const fatal = new Error('budget');
    let ran = 0;
    const result = await runSchedule({
      steps: Array.from({ length: 10 }, (_, i) => ({ id: `s${i}`, deps: i ? [`s${i - 1}`] : [] })),
      concurrency: 1,
      isFatal: (e) => e === fatal,
      run: async (step) => {
        ran++;
        if (step.id === 's4') throw fatal;
      },
    });
    expect(result.status).toBe('stopped');
    expect(result.stopError).toBe(fatal);
    expect(ran).toBe(5);
    expect(result.outputs.size).toBe(4);
  });

  it('does not re-run steps that are already done (resume)', async () => {
    const ran: string[] = [];
    const result = await runSchedule({
      steps: [
        { id: 'a', deps: [] },
        { id: 'b', deps: ['a'] },
        { id: 'c', deps: ['b'] },
      ],
      concurrency: 2,
      done: new Map([
        ['a', 'A'],
        ['b', 'B'],
      ]),
      run: async (step, inputs) => {
        ran.push(step.id);
        return `${inputs.get('b')}C`;
      },
    });
    expect(ran).toEqual(['c']);
    expect(result.outputs.get('c')).toBe('BC');
  });

  it('runs a 10,000-step small-world graph to completion', async () => {
    const spec = generateTopology('small-world', { n: 10_000, seed: 2 });
    const result = await runSchedule({ steps: stepsOf(spec), concurrency: 64, run: async (step) => step.id });
    expect(result.status).toBe('completed');
    expect(result.outputs.size).toBe(10_000);
  });

  it('rejects unknown dependencies and cycles', async () => {
    await expect(
      runSchedule({ steps: [{ id: 'a', deps: ['ghost'] }], concurrency: 1, run: async () => 1 }),
    ).rejects.toThrow(/unknown step 'ghost'/);
    await expect(
      runSchedule({
        steps: [
          { id: 'a', deps: ['b'] },
          { id: 'b', deps: ['a'] },
        ],
        concurrency: 1,
        run: async () => 1,
      }),
    ).rejects.toThrow(/cycle/);
  });
});
