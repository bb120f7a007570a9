/**
 * Keeps at most `maxBytes` of a stream: the head and the tail (the end of a
 * traceback matters most), with a marker saying how much was dropped between
 * them. Counts every byte seen, so a flood can be detected.
 */
export class BoundedOutput {
  readonly #head: Buffer[] = [];
  #headBytes = 0;
  #tail: Buffer = Buffer.alloc(0);
  #seen = 0;
  readonly #headLimit: number;
  readonly #tailLimit: number;

  constructor(readonly maxBytes: number) {
    // room for the marker inside the bound
    const usable = Math.max(0, maxBytes - 64);
    this.#headLimit = Math.floor(usable / 2);
    this.#tailLimit = usable - this.#headLimit;
  }

  /** Bytes seen so far, kept or not. */
  get seenBytes(): number {
    return this.#seen;
  }

  /** Whether more was seen than is kept. */
  get truncated(): boolean {
    return this.#seen > this.maxBytes;
  }

  push(chunk: Buffer): void {
    this.#seen += chunk.length;
    if (this.#headBytes < this.maxBytes) {
      const take = Math.min(chunk.length, this.maxBytes - this.#headBytes);
      this.#head.push(chunk.subarray(0, take));
      this.#headBytes += take;
      chunk = chunk.subarray(take);
    }
    if (chunk.length === 0) return;
    const joined = Buffer.concat([this.#tail, chunk]);
    this.#tail = Buffer.from(joined.subarray(Math.max(0, joined.length - this.#tailLimit)));
  }

  /** The kept text (UTF-8; a character cut at a boundary shows as U+FFFD). */
  text(): string {
    const head = Buffer.concat(this.#head);
    if (!this.truncated) return head.toString('utf8');
    // more than maxBytes was seen: everything past the head limit moved to the tail
    const kept = head.subarray(0, this.#headLimit);
    const overflow = head.subarray(this.#headLimit);
    const tail = Buffer.concat([overflow, this.#tail]);
    const tailKept = tail.subarray(Math.max(0, tail.length - this.#tailLimit));
    const dropped = this.#seen - kept.length - tailKept.length;
    return `${kept.toString('utf8')}\n… [${dropped} bytes dropped] …\n${tailKept.toString('utf8')}`;
  }
}
