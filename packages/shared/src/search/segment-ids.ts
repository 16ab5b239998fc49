import type { Segment } from './segment'

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
 * Every id of an index's segments, for finding a document's copy by its id: an open-addressing hash table over the
 * ids' UTF-8 bytes as the segments store them (FNV-1a), holding document numbers counted across the segments. It
 * is built from the bytes, without a string per document: a Map of the decoded ids cost every cold load and every
 * swap a string and an object per document (tens of milliseconds at Reuters, GC included, in a CPU profile of the
 * search isolate); the table is one Int32Array.
 *
 * A later segment's copy of an id wins: building it calls `superseded` with each earlier copy. A copy `isGone`
 * reports (hidden since) is not found.
 */
export class SegmentIds {
  /** slot → document number across segments, or EMPTY */
  readonly #slots: Int32Array
  readonly #mask: number
  /** segment → its first document number; one more entry: the total */
  readonly #bases: Int32Array
  #scratch = new Uint8Array(256)

  constructor(
    private readonly segments: readonly Segment[],
    superseded: (at: SegmentDoc) => void,
    private readonly isGone: (at: SegmentDoc) => boolean,
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
      for (let doc = 0; doc < s.docCount; doc++) this.#insert(s, seg, doc, superseded)
    })
  }

  /** Where the id's copy is, unless it is gone. */
  find(id: string): SegmentDoc | undefined {
    const { bytes, length } = this.#utf8(id)
    for (let slot = hashBytes(bytes, 0, length) & this.#mask; ; slot = (slot + 1) & this.#mask) {
      const n = this.#slots[slot] ?? EMPTY
      if (n === EMPTY) return undefined
      const at = this.#locate(n)
      const seg = this.segments[at.seg]
      if (seg === undefined) return undefined
      const start = seg.idOffsets[at.doc] ?? 0
      const end = seg.idOffsets[at.doc + 1] ?? 0
      if (sameBytes(seg.idBytes, start, end, bytes, 0, length)) return this.isGone(at) ? undefined : at
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
      const at = this.#locate(held)
      const other = this.segments[at.seg]
      if (other === undefined) continue
      const otherStart = other.idOffsets[at.doc] ?? 0
      const otherEnd = other.idOffsets[at.doc + 1] ?? 0
      if (sameBytes(other.idBytes, otherStart, otherEnd, bytes, start, end)) {
        superseded(at)
        this.#slots[slot] = n
        return
      }
    }
  }

  /** The segment and document of a document number (segments are few: a linear walk). */
  #locate(n: number): SegmentDoc {
    let seg = 0
    while (n >= (this.#bases[seg + 1] ?? 0)) seg++
    return { seg, doc: n - (this.#bases[seg] ?? 0) }
  }

  /** The id's UTF-8 bytes, in a buffer reused from call to call. */
  #utf8(id: string): { bytes: Uint8Array; length: number } {
    // UTF-8 takes at most three bytes per UTF-16 code unit.
    if (this.#scratch.length < id.length * 3) this.#scratch = new Uint8Array(id.length * 3)
    const { written } = encoder.encodeInto(id, this.#scratch)
    return { bytes: this.#scratch, length: written }
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
