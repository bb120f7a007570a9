import type { CrosstalkEvent } from './events.js';

/**
 * A run's events as an async iterable. Events are buffered from the start,
 * so a consumer that begins iterating after the run began still sees every
 * event, in order; iteration ends when the run ends. Several consumers may
 * iterate; each sees every event.
 */
export class EventStream implements AsyncIterable<CrosstalkEvent> {
  private readonly buffer: CrosstalkEvent[] = [];
  private closed = false;
  private readonly waiters = new Set<() => void>();
  private readonly listeners = new Set<(event: CrosstalkEvent) => void>();

  /** Appends an event and wakes the consumers. Ignored once closed. */
  push(event: CrosstalkEvent): void {
    if (this.closed) return;
    this.buffer.push(event);
    for (const listener of this.listeners) listener(event);
    this.wake();
  }

  /** Ends the stream: consumers finish after the events already pushed. */
  close(): void {
    this.closed = true;
    this.wake();
  }

  /** Calls `listener` for each event from now on; returns a function that stops it. */
  subscribe(listener: (event: CrosstalkEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private wake(): void {
    const waiting = [...this.waiters];
    this.waiters.clear();
    for (const w of waiting) w();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<CrosstalkEvent> {
    let next = 0;
    for (;;) {
      while (next < this.buffer.length) yield this.buffer[next++]!;
      if (this.closed) return;
      await new Promise<void>((resolve) => this.waiters.add(resolve));
    }
  }
}
