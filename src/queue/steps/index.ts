import { nodeStepKind } from './node-step.js';
import type { StepKind } from './step-kind.js';

export type { StepContext, StepKind } from './step-kind.js';

// biome-ignore lint/suspicious/noExplicitAny: the registry holds kinds of every step type
type AnyStepKind = StepKind<any>;

/**
 * The step kinds a worker runs, by `kind`. Kinds whose code sits on top of the job layer (evaluation tasks,
 * team segments) are loaded on first use, so importing the queue never pulls the whole harness in.
 */
const kinds: Record<string, () => Promise<AnyStepKind>> = {
  node: async () => nodeStepKind,
  'eval-task': async () => (await import('./eval-step.js')).evalTaskStepKind,
  'team-segment': async () => (await import('./team-step.js')).teamSegmentStepKind,
  'story-stage': async () => (await import('./story-step.js')).storyStageStepKind,
};

/** The kinds a worker knows, for messages. */
export const stepKindNames = (): string[] => Object.keys(kinds);

/** The step kind named `kind`, or undefined when this worker does not know it. */
export async function stepKindOf(kind: unknown): Promise<AnyStepKind | undefined> {
  return typeof kind === 'string' && Object.hasOwn(kinds, kind) ? kinds[kind]!() : undefined;
}
