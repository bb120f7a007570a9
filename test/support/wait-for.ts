/**
 * Waits until `condition` holds, checking every `everyMs`; fails with `what` after `timeoutMs`. For
 * readiness signals that have no event to await (a server's request count, a file appearing), so tests
 * wait for the state they need rather than for a guessed delay.
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  options: { timeoutMs?: number; everyMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, options.everyMs ?? 10));
  }
}
