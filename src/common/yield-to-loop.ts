/** How long promise-only work may run before it lets the event loop turn, in ms. */
const sliceMs = 25;

let lastTurn = performance.now();

/**
 * Lets the event loop turn (timers, I/O, signal handlers such as SIGTERM) when
 * more than a few milliseconds passed since it last did. Work made only of
 * promises that settle at once — a simulated model, replayed calls — would
 * otherwise run as one unbroken chain of microtasks, and Ctrl-C or SIGTERM
 * would wait for the whole run. Cheap when called often: one clock read.
 * The timestamp is process-wide on purpose: the event loop is.
 */
export async function yieldToLoop(): Promise<void> {
  const now = performance.now();
  if (now - lastTurn < sliceMs) return;
  await new Promise<void>((resolve) => setImmediate(resolve));
  lastTurn = performance.now();
}
