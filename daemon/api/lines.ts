/**
 * The local API's framing, for both ends: a byte stream of lines, each ended by "\n" (0x0a)
 * and at most `maxBytes` long without it. Lines that lie inside one chunk are views of it; only
 * a line split across chunks is copied.
 */

export interface SplitResult {
  /** The lines the chunk completed, in order (without their "\n"). */
  readonly lines: Buffer[];
  /**
   * True when a line (complete or still arriving) passed `maxBytes`: the caller ends the
   * connection. The splitter has then dropped what it held.
   */
  readonly tooLong: boolean;
}

export class LineSplitter {
  readonly maxBytes: number;
  #chunks: Buffer[] = [];
  #bytes = 0;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  push(chunk: Buffer): SplitResult {
    const lines: Buffer[] = [];
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(0x0a, start);
      if (nl === -1) break;
      const part = chunk.subarray(start, nl);
      start = nl + 1;
      if (this.#bytes + part.length > this.maxBytes) return this.#tooLong(lines);
      if (this.#chunks.length === 0) lines.push(part);
      else {
        this.#chunks.push(part);
        lines.push(Buffer.concat(this.#chunks, this.#bytes + part.length));
        this.reset();
      }
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      if (this.#bytes + rest.length > this.maxBytes) return this.#tooLong(lines);
      this.#chunks.push(rest);
      this.#bytes += rest.length;
    }
    return { lines, tooLong: false };
  }

  /** Forgets a partial line. */
  reset(): void {
    this.#chunks = [];
    this.#bytes = 0;
  }

  #tooLong(lines: Buffer[]): SplitResult {
    this.reset();
    return { lines, tooLong: true };
  }
}
