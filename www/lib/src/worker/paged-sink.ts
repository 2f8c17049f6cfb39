// Where `interpolateVideo` writes its file when the caller gives no output stream: a sink for
// mediabunny's StreamTarget that keeps the file as fixed-size pages and hands every page the
// muxer has moved past to Blob storage, instead of one ArrayBuffer that grows by doubling.
//
// Why: a BufferTarget needs the whole file, twice over while it grows, in one contiguous
// ArrayBuffer of the worker's heap, and fails near the engine's ArrayBuffer limit (an hour of
// 1080p60 is several GB), only at the end. Blob parts live in the browser's blob store, which
// spills to disk, so here the heap holds a few pages at a time however long the video is.
//
// The muxers write almost strictly in order; the few writes that go back patch headers near the
// start (the MP4 `mdat` size, WebM's segment size and cues). So page 0 always stays in memory, as
// do the page being written and the one before it; older pages are frozen into Blobs, and a late
// write into a frozen page reads it back first (rare, and correct either way).

/**
 * One write of the muxer's output: `data` goes at byte `position` of the file (mediabunny's
 * StreamTarget chunk, spelled out here so no shipped declaration refers to the vendored module).
 */
export interface FileChunk {
  type: 'write';
  data: Uint8Array<ArrayBuffer>;
  position: number;
}

/** Page size: large enough that a long file is a few thousand Blob parts, small enough that the
 * pages kept in memory (page 0 and the last two) stay at 12 MiB. */
export const PAGE_BYTES = 4 << 20;

export class PagedSink {
  /** Bytes held in memory by the live pages of every sink (the memory test hook reads it). */
  static #held = 0;
  static get heldBytes(): number {
    return PagedSink.#held;
  }

  /** Page i covers bytes [i·PAGE_BYTES, (i+1)·PAGE_BYTES): in memory, or frozen. */
  readonly #pages: (Uint8Array<ArrayBuffer> | Blob)[] = [];
  /** File length so far: one past the last byte written. */
  #size = 0;
  /** Pages [1, #frozenTo) have been frozen (or were read back and sit in #thawed). */
  #frozenTo = 1;
  /** Frozen pages read back for a late write, to freeze again. */
  readonly #thawed = new Set<number>();
  /** Bytes this sink holds in memory (its live pages). */
  #live = 0;
  get liveBytes(): number {
    return this.#live;
  }

  #hold(bytes: number): void {
    this.#live += bytes;
    PagedSink.#held += bytes;
  }

  get size(): number {
    return this.#size;
  }

  /** The stream to give to `new StreamTarget(...)`. */
  writable(): WritableStream<FileChunk> {
    return new WritableStream<FileChunk>({ write: (chunk) => this.write(chunk.data, chunk.position) });
  }

  async write(data: Uint8Array, position: number): Promise<void> {
    let offset = 0;
    while (offset < data.byteLength) {
      const at = position + offset;
      const index = Math.floor(at / PAGE_BYTES);
      const within = at - index * PAGE_BYTES;
      const n = Math.min(data.byteLength - offset, PAGE_BYTES - within);
      const page = await this.#page(index);
      page.set(data.subarray(offset, offset + n), within);
      offset += n;
    }
    this.#size = Math.max(this.#size, position + data.byteLength);
    this.#freezeBefore(Math.floor(this.#size / PAGE_BYTES) - 1);
  }

  /** The finished file. The sink is empty afterwards. */
  toBlob(type: string): Blob {
    const parts: (Uint8Array<ArrayBuffer> | Blob)[] = [];
    const last = Math.ceil(this.#size / PAGE_BYTES);
    for (let i = 0; i < last; i++) {
      const page = this.#pages[i] ?? new Uint8Array(PAGE_BYTES); // a gap never written: zeros
      const end = Math.min(PAGE_BYTES, this.#size - i * PAGE_BYTES);
      parts.push(end === PAGE_BYTES ? page : page.slice(0, end));
    }
    const blob = new Blob(parts, { type });
    this.discard();
    return blob;
  }

  /** Drops everything written (a failed or cancelled job). */
  discard(): void {
    this.#pages.length = 0;
    this.#hold(-this.#live);
    this.#size = 0;
    this.#frozenTo = 1;
    this.#thawed.clear();
  }

  async #page(index: number): Promise<Uint8Array<ArrayBuffer>> {
    while (this.#pages.length <= index) {
      this.#pages.push(new Uint8Array(PAGE_BYTES));
      this.#hold(PAGE_BYTES);
    }
    const page = this.#pages[index] as Uint8Array<ArrayBuffer> | Blob;
    if (page instanceof Uint8Array) return page;
    const back = new Uint8Array(await page.arrayBuffer());
    this.#pages[index] = back;
    this.#hold(PAGE_BYTES);
    this.#thawed.add(index);
    return back;
  }

  /** Freezes every page in [1, end) that is still in memory (amortised O(1) per write). */
  #freezeBefore(end: number): void {
    const stop = Math.min(end, this.#pages.length);
    const freeze = (i: number) => {
      const page = this.#pages[i];
      if (page instanceof Uint8Array) {
        this.#pages[i] = new Blob([page]);
        this.#hold(-PAGE_BYTES);
      }
    };
    for (; this.#frozenTo < stop; this.#frozenTo++) freeze(this.#frozenTo);
    for (const i of this.#thawed) {
      if (i < stop) {
        freeze(i);
        this.#thawed.delete(i);
      }
    }
  }
}
