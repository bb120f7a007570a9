// Pure, with no imports: the web viewer puts a step's checks (sandbox runs, guard, self-correction) in its panel.

/** The fields of a stored event this reads. */
export interface ScopedEvent {
  type: string;
  seq?: number;
  step?: unknown;
  scope?: unknown;
}

/**
 * Event types that name no step but happen inside one (a step's checks): they go to the step named by their `scope`
 * when it is running, else to the step running when they came.
 */
export const stepDetailTypes = ['sandbox-result', 'guard-finding', 'guard-approval', 'self-correction'] as const;

/** The step-event types that tell which steps are running. */
export const stepStateTypes = ['step-started', 'step-finished', 'step-failed', 'step-skipped'] as const;

/**
 * The checks of each step (sandbox runs, guard findings and approvals, self-correction rounds), in order: those whose
 * `scope` names a running step, else those that came while the step was the most recently started of the steps then
 * running (a phase's program runs inside it; a node of a network runs no programs, so concurrency does not blur this
 * in practice). One pass.
 * @param events the run's events, in order (others are ignored).
 */
export function checksByStep<E extends ScopedEvent>(events: Iterable<E>): Map<string, E[]> {
  return stepChecks(events).byStep;
}

/**
 * {@link checksByStep}, and the checks that came while no step ran (a run's final output, its inputs) apart.
 * One pass.
 */
export function stepChecks<E extends ScopedEvent>(events: Iterable<E>): { byStep: Map<string, E[]>; run: E[] } {
  const running: string[] = [];
  const out = new Map<string, E[]>();
  const run: E[] = [];
  for (const e of events) {
    const id = (e.step as { id?: unknown } | undefined)?.id;
    if (typeof id === 'string' && (stepStateTypes as readonly string[]).includes(e.type)) {
      const at = running.lastIndexOf(id);
      if (at >= 0) running.splice(at, 1);
      if (e.type === 'step-started') running.push(id);
      continue;
    }
    if (!(stepDetailTypes as readonly string[]).includes(e.type)) continue;
    const owner = typeof e.scope === 'string' && running.includes(e.scope) ? e.scope : running[running.length - 1];
    if (owner === undefined) {
      run.push(e);
      continue;
    }
    const list = out.get(owner) ?? [];
    list.push(e);
    out.set(owner, list);
  }
  return { byStep: out, run };
}
