import type { Output } from './output.js';

/**
 * Progress display: on a TTY one line rewritten in place (phase, turn,
 * tokens, cost); otherwise plain lines, one per event, on stderr.
 */
export class Progress {
  private readonly tty: boolean;
  private last = '';
  constructor(
    private readonly stream: NodeJS.WritableStream & { isTTY?: boolean },
    out: Output,
  ) {
    this.tty = Boolean(stream.isTTY) && !out.json;
  }

  /** A transient status (overwritten on a TTY, skipped otherwise). */
  status(text: string): void {
    if (!this.tty) return;
    const line = text.length > 118 ? `${text.slice(0, 117)}…` : text;
    this.stream.write(`\r\x1b[2K${line}`);
    this.last = line;
  }

  /** A line that stays. */
  line(text: string): void {
    if (this.tty && this.last) this.stream.write('\r\x1b[2K');
    this.last = '';
    this.stream.write(`${text}\n`);
  }

  /** Clears any transient status. */
  done(): void {
    if (this.tty && this.last) this.stream.write('\r\x1b[2K');
    this.last = '';
  }
}
