// Pure, with no imports: the web viewer puts sandbox runs and guard findings in the panel of the step they came from.

/** The fields of a stored event this reads. */
export interface ScopedEvent {
  type: string;
  seq?: number;
  step?: unknown;
  scope?: unknown;
}

/** Event types that name no step but happen inside one: they go to the step (or steps) running when they came. */
export const stepDetailTypes = ['sandbox-result', 'guard-finding'] as const;

/** The step-event types that tell which steps are running. */
export const stepStateTypes = ['step-started', 'step-finished', 'step-failed', 'step-skipped'] as const;

/**
 * The sandbox runs and guard findings of step `stepId`, in order: those whose `scope` is the step, and those that
 * came while the step was the most recently started of the steps then running (a phase's program runs inside it;
 * a node of a network runs no programs, so concurrency does not blur this in practice).
 * @param events the run's step events and detail events, in order.
 */
export function eventsOfStep<E extends ScopedEvent>(events: readonly E[], stepId: string): E[] {
  const running: string[] = [];
  const out: E[] = [];
  for (const e of events) {
    const id = (e.step as { id?: unknown } | undefined)?.id;
    if (typeof id === 'string') {
      const at = running.lastIndexOf(id);
      if (at >= 0) running.splice(at, 1);
      if (e.type === 'step-started') running.push(id);
      continue;
    }
    if (!(stepDetailTypes as readonly string[]).includes(e.type)) continue;
    // segments (cross-team decision points) hold phases: the innermost running step that is not one is the owner
    if (e.scope === stepId || running[running.length - 1] === stepId) out.push(e);
  }
  return out;
}
