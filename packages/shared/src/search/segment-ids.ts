import type { Segment } from './segment'
import { keepsOld, youngFrom } from './young-segments'

/** Where a document sits among an index's segments. */
export interface SegmentDoc {
  seg: number
  doc: number
}

const EMPTY = -1
const FNV_OFFSET = 0x811c9dc5
const FNV_PRIME = 0x01000193
const encoder = new TextEncoder()

/**
 * Every id of an index's segments, for finding a document's copy by its id: open-addressing hash tables over the
 * ids' UTF-8 bytes as the segments store them (FNV-1a), holding document numbers counted across the segments. It
 * is built from the bytes, without a string per document: a Map of the decoded ids cost every cold load and every
 * swap a string and an object per document (tens of milliseconds at Reuters, GC included, in a CPU profile of the
 * search isolate); a table is one Int32Array. Two tables (young-segments.ts): the old segments' (taken from
 * `previous`, the table of the index this one replaces, while its old segments are still the first of `segments`)
 * and the young ones'. Built whole, the table over 1,000,000 ids took 139–180 ms in Node (125 segments of 8,000), in
 * one piece that held a search isolate's thread at every swap.
 *
 * A later segment's copy of an id wins: building it calls `superseded` with each earlier copy. A copy `isGone`
 * reports (hidden since) is not found.
 */
export class SegmentIds {
  /** the old segments' table (shared with the index this one replaced, or the next), or null when all are young */
  readonly old: IdTable | null
  readonly #young: IdTable
  #scratch = new Uint8Array(256)

  constructor(
    segments: readonly Segment[],
    superseded: (at: SegmentDoc) => void,
    private readonly isGone: (at: SegmentDoc) => boolean,
    previous?: SegmentIds,
  ) {
    const inherited = previous?.old ?? null
    const oldTo = youngFrom(segments.length)
    let old: IdTable | null = null
    if (inherited !== null && keepsOld(segments, inherited.segments)) {
      old = inherited
      // What its build found superseded among the old segments is superseded here too.
      for (const at of old.superseded()) superseded(at)
    } else if (oldTo > 0) {
      old = new IdTable(segments.slice(0, oldTo), 0, superseded, null)
    }
    this.old = old
    const young = old?.segments.length ?? 0
    this.#young = new IdTable(segments.slice(young), young, superseded, old)
  }

  /** Where the id's copy is, unless it is gone. */
  find(id: string): SegmentDoc | undefined {
    // UTF-8 takes at most three bytes per UTF-16 code unit.
    if (this.#scratch.length < id.length * 3) this.#scratch = new Uint8Array(id.length * 3)
    const { written } = encoder.encodeInto(id, this.#scratch)
    // A young copy is the later one: an old copy of the same id was superseded.
    const at = this.#young.locate(this.#scratch, 0, written) ?? this.old?.locate(this.#scratch, 0, written)
    return at === undefined || this.isGone(at) ? undefined : at
  }
}

/** One table over a run of an index's segments, the first of which is the index's segment `first`. */
class IdTable {
  /** slot → document number across this table's segments, or EMPTY */
  readonly #slots: Int32Array
  readonly #mask: number
  /** segment → its first document number; one more entry: the total */
  readonly #bases: Int32Array
  /** document numbers this table's build found superseded by a later copy within its segments */
  readonly #superseded: number[] = []

  constructor(
    readonly segments: readonly Segment[],
    private readonly first: number,
    superseded: (at: SegmentDoc) => void,
    /** the older segments' table: a copy there is superseded by one here */
    older: IdTable | null,
  ) {
    this.#bases = new Int32Array(segments.length + 1)
    segments.forEach((s, i) => {
      this.#bases[i + 1] = (this.#bases[i] ?? 0) + s.docCount
    })
    const total = this.#bases[segments.length] ?? 0
    // Half full at most, so a miss ends after a probe or two.
    let size = 16
    while (size < total * 2) size *= 2
    this.#slots = new Int32Array(size).fill(EMPTY)
    this.#mask = size - 1
    segments.forEach((s, seg) => {
      for (let doc = 0; doc < s.docCount; doc++) {
        const start = s.idOffsets[doc] ?? 0
        const end = s.idOffsets[doc + 1] ?? 0
        const earlier = older?.locate(s.idBytes, start, end)
        if (earlier !== undefined) superseded(earlier)
        this.#insert(s, seg, doc, superseded)
      }
    })
  }

  /** The copies this table's build found superseded, as index positions. */
  superseded(): SegmentDoc[] {
    return this.#superseded.map((n) => this.#locate(n))
  }

  /** Where the copy of the id whose UTF-8 bytes are `bytes[start, end)` is in these segments, gone or not. */
  locate(bytes: Uint8Array, start: number, end: number): SegmentDoc | undefined {
    for (let slot = hashBytes(bytes, start, end) & this.#mask; ; slot = (slot + 1) & this.#mask) {
      const n = this.#slots[slot] ?? EMPTY
      if (n === EMPTY) return undefined
      const at = this.#local(n)
      const seg = this.segments[at.seg]
      if (seg === undefined) return undefined
      if (sameBytes(seg.idBytes, seg.idOffsets[at.doc] ?? 0, seg.idOffsets[at.doc + 1] ?? 0, bytes, start, end)) {
        return { seg: at.seg + this.first, doc: at.doc }
      }
    }
  }

  #insert(s: Segment, seg: number, doc: number, superseded: (at: SegmentDoc) => void): void {
    const bytes = s.idBytes
    const start = s.idOffsets[doc] ?? 0
    const end = s.idOffsets[doc + 1] ?? 0
    const n = (this.#bases[seg] ?? 0) + doc
    for (let slot = hashBytes(bytes, start, end) & this.#mask; ; slot = (slot + 1) & this.#mask) {
      const held = this.#slots[slot] ?? EMPTY
      if (held === EMPTY) {
        this.#slots[slot] = n
        return
      }
      const at = this.#local(held)
      const other = this.segments[at.seg]
      if (other === undefined) continue
      const otherStart = other.idOffsets[at.doc] ?? 0
      const otherEnd = other.idOffsets[at.doc + 1] ?? 0
      if (sameBytes(other.idBytes, otherStart, otherEnd, bytes, start, end)) {
        this.#superseded.push(held)
        superseded(this.#locate(held))
        this.#slots[slot] = n
        return
      }
    }
  }

  /** The index position of one of this table's document numbers. */
  #locate(n: number): SegmentDoc {
    const at = this.#local(n)
    return { seg: at.seg + this.first, doc: at.doc }
  }

  /** The segment (of this table's) and document of a document number (segments are few: a linear walk). */
  #local(n: number): SegmentDoc {
    let seg = 0
    while (n >= (this.#bases[seg + 1] ?? 0)) seg++
    return { seg, doc: n - (this.#bases[seg] ?? 0) }
  }
}

function hashBytes(bytes: Uint8Array, start: number, end: number): number {
  let h = FNV_OFFSET
  for (let i = start; i < end; i++) h = Math.imul(h ^ (bytes[i] ?? 0), FNV_PRIME)
  return h >>> 0
}

function sameBytes(a: Uint8Array, aStart: number, aEnd: number, b: Uint8Array, bStart: number, bEnd: number): boolean {
  if (aEnd - aStart !== bEnd - bStart) return false
  for (let i = 0; i < aEnd - aStart; i++) if (a[aStart + i] !== b[bStart + i]) return false
  return true
}
