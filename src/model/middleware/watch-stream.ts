/** How a watched stream ended: read to its end, failed, or cancelled by its reader. */
export type StreamEnd = 'done' | 'error' | 'cancelled';

/** Hooks of {@link watchStream}. */
export interface StreamWatch<T> {
  /** Called for every part, before the reader sees it. */
  onPart?: (part: T) => void;
  /** Called exactly once, however the stream ends. */
  onEnd: (end: StreamEnd, error?: unknown) => void;
  /**
   * A promise that rejects to fail the stream at once (a timeout, the caller's abort), even while the source
   * is silent; the source is then cancelled.
   */
  interrupt?: Promise<never>;
}

/**
 * Passes a stream through unchanged and reports how it ended. Unlike a
 * `TransformStream`, whose `flush` runs only on a clean end, `onEnd` also runs
 * when the source errors or the reader cancels, so a middleware that holds a
 * resource for the length of a stream (a limiter slot, a budget reservation,
 * a timer) always gets it back.
 */
export function watchStream<T>(source: ReadableStream<T>, watch: StreamWatch<T>): ReadableStream<T> {
  const reader = source.getReader();
  let ended = false;
  const end = (how: StreamEnd, error?: unknown) => {
    if (ended) return;
    ended = true;
    watch.onEnd(how, error);
  };
  watch.interrupt?.catch(() => {}); // it may fire between reads; the next read reports it
  return new ReadableStream<T>(
    {
      async pull(controller) {
        try {
          const next = await (watch.interrupt ? Promise.race([reader.read(), watch.interrupt]) : reader.read());
          if (next.done) {
            end('done');
            controller.close();
            return;
          }
          watch.onPart?.(next.value);
          controller.enqueue(next.value);
        } catch (error) {
          end('error', error);
          controller.error(error);
          reader.cancel(error).catch(() => {}); // stop the source if it is still producing
        }
      },
      async cancel(reason) {
        end('cancelled', reason);
        await reader.cancel(reason);
      },
    },
    { highWaterMark: 0 }, // read from the source only when the reader asks, as pipeThrough does
  );
}
