import type { Segment, StoredText } from '@edgewire/shared/search'

/**
 * Bytes of body blocks an isolate keeps (least recently used go first). A search isolate holds its segments' heads
 * and reads a body block when a hit of a page needs its url and snippet (see FORMAT_VERSION): three quarters of a Reuters
 * segment is body text, which a reader need not hold. 16 MiB holds all of Reuters' bodies (15.3 MiB), read ahead
 * beside the requests (`prefetch`), so that a small archive's searches read none; at a million articles it is 2 %
 * of them, and a page reads its hits' blocks.
 */
export const BODY_CACHE_BYTES = 16 * 1024 * 1024

/** Where a segment's body blocks are read from. */
export interface BodyBlockSource {
  /** KV as this location sees it: null where it does not show the block (yet, or any more) */
  kv(block: number): Promise<ArrayBuffer | null>
  /** the writer, through the location's cache: for a block KV does not show yet */
  writer(block: number): Promise<ArrayBuffer | null>
  /** all the blocks one after another, from KV or else the writer (one value: see `bodiesPart`) */
  all(): Promise<ArrayBuffer | null>
}

/** What a round of reading ahead left: nothing; more to read; or blocks KV did not show yet, to try again later. */
export type ReadAhead = 'done' | 'more' | 'later'

/**
 * The body blocks of an isolate's segments: where each segment's blocks are read from, the blocks read lately (up to
 * BODY_CACHE_BYTES), and the reads under way, so that searches asking for one block at once read it once.
 */
export class BodyBlocks {
  readonly #readers = new WeakMap<Segment, { uid: number; source: BodyBlockSource }>()
  #nextUid = 0
  /** by `uid/block`, least recently used first */
  readonly #blocks = new Map<string, Uint8Array>()
  #bytes = 0
  readonly #reading = new Map<string, Promise<Uint8Array | null>>()

  constructor(private readonly maxBytes = BODY_CACHE_BYTES) {}

  /** Says where a segment opened over its head reads its body blocks. */
  register(segment: Segment, source: BodyBlockSource): void {
    this.#readers.set(segment, { uid: this.#nextUid++, source })
  }

  /**
   * Reads ahead from KV, one after another, up to `maxReads` blocks of `segments` (in that order) that are not held,
   * while each fits beside what is held: searches of a small archive then read no block, and a large one's fill the
   * budget with what they ask for. A segment whose block KV does not show yet is left for a later round: reading
   * ahead never calls the writer (at `KV_PROPAGATION_MS=10000`, asking it for every new segment's blocks took the
   * steady feed's worker p99 to 62 ms, 24 reader calls a second at the writer). 'done' once nothing is left (all
   * held, or the next does not fit).
   */
  async prefetch(segments: readonly Segment[], maxReads: number): Promise<ReadAhead> {
    let reads = 0
    let later = false
    for (const segment of segments) {
      const reader = this.#readers.get(segment)
      if (!reader || segment.hasBodies) continue
      for (let block = 0; block < segment.bodyBlockCount; block++) {
        const key = blockKey(reader.uid, block)
        if (this.#blocks.has(key) || this.#reading.has(key)) continue
        if (this.#bytes + segment.bodyBlockBytes(block) > this.maxBytes) return later ? 'later' : 'done'
        if (reads === maxReads) return 'more'
        reads++
        if ((await this.#read(key, () => reader.source.kv(block))) === null) {
          later = true
          break
        }
      }
    }
    return later ? 'later' : 'done'
  }

  /** Lets go of the blocks held of a segment the index no longer names. */
  forget(segment: Segment): void {
    const reader = this.#readers.get(segment)
    if (!reader) return
    for (let block = 0; block < segment.bodyBlockCount; block++) {
      const key = blockKey(reader.uid, block)
      const held = this.#blocks.get(key)
      if (held === undefined) continue
      this.#blocks.delete(key)
      this.#bytes -= held.byteLength
    }
  }

  /** Bytes of body blocks held now. */
  get bytes(): number {
    return this.#bytes
  }

  /**
   * The url and body of `doc` in `segment`, from its block: held, being read, or read now from `from` (KV, or the
   * writer: a search asks the writer last, after KV's block and KV's article). Null when the one asked does not have
   * it (KV does not show it yet; a merge replaced the segment long ago), or the segment was never registered.
   */
  async stored(segment: Segment, doc: number, from: 'kv' | 'writer'): Promise<StoredText | null> {
    if (segment.hasBodies) return segment.stored(doc)
    const reader = this.#readers.get(segment)
    if (!reader) return null
    const block = segment.bodyBlockOf(doc)
    const key = blockKey(reader.uid, block)
    const bytes = this.#touch(key) ?? (await this.#read(key, () => reader.source[from](block)))
    return bytes === null ? null : segment.storedIn(doc, bytes)
  }

  /**
   * Loads the blocks of `segments`, each segment's all at once in one read (KV, or else the writer: one call per
   * location and segment while KV does not show it), as long as they fit the budget together; older blocks go as
   * they must, least recently used first. A swap loads its new segments' blocks before it takes them in, so that no
   * search waits on the writer for a block KV does not show yet. A segment past the budget's rest is read ahead from
   * KV later, and its hits' blocks as they are asked for.
   */
  async load(segments: readonly Segment[], alive: () => void): Promise<void> {
    let room = this.maxBytes
    for (const segment of segments) {
      const reader = this.#readers.get(segment)
      if (!reader || segment.hasBodies || segment.bodyBlockCount === 0) continue
      const bytes = segment.bodyBytes
      if (bytes > room) return
      room -= bytes
      const all = await reader.source.all()
      alive()
      if (all === null || all.byteLength !== bytes) continue
      for (let block = 0, from = 0; block < segment.bodyBlockCount; block++) {
        const to = from + segment.bodyBlockBytes(block)
        const key = blockKey(reader.uid, block)
        // Copied: a block let go must free its bytes, not keep the whole value alive.
        if (!this.#touch(key)) this.#keep(key, new Uint8Array(all.slice(from, to)))
        from = to
      }
    }
  }

  #touch(key: string): Uint8Array | undefined {
    const bytes = this.#blocks.get(key)
    if (bytes === undefined) return undefined
    this.#blocks.delete(key)
    this.#blocks.set(key, bytes)
    return bytes
  }

  #read(key: string, read: () => Promise<ArrayBuffer | null>): Promise<Uint8Array | null> {
    let reading = this.#reading.get(key)
    if (!reading) {
      reading = read()
        .then((value) => {
          if (value === null) return null
          const bytes = new Uint8Array(value)
          this.#keep(key, bytes)
          return bytes
        })
        .finally(() => this.#reading.delete(key))
      this.#reading.set(key, reading)
    }
    return reading
  }

  #keep(key: string, bytes: Uint8Array): void {
    this.#blocks.set(key, bytes)
    this.#bytes += bytes.byteLength
    // The oldest go first; the block just read stays, even alone past the budget (one long article).
    for (const [old, held] of this.#blocks) {
      if (this.#bytes <= this.maxBytes || old === key) break
      this.#blocks.delete(old)
      this.#bytes -= held.byteLength
    }
  }
}

/** A held block's key: the segment's number in this isolate, and the block's. */
function blockKey(uid: number, block: number): string {
  return `${uid}/${block}`
}
