/**
 * The index snapshot the writer publishes: an ordered list of immutable segments in KV plus the ids deleted since
 * they were written. A reader that loads it and then applies the changes after `seq` has the writer's state.
 */

/** One immutable segment: the live articles whose latest change has a sequence number in (seqFrom, seqTo]. */
export interface SegmentRef {
  id: number
  seqFrom: number
  seqTo: number
  docs: number
  bytes: number
  /** how many KV values hold its bytes (each at most SEGMENT_PART_BYTES) */
  parts: number
}

export interface Manifest {
  /** bumps on every flush or merge */
  version: number
  /** every change up to here is in the segments (or in `tombstones`) */
  seq: number
  /** oldest first; a later segment's copy of an id wins over an earlier one */
  segments: SegmentRef[]
  /** ids deleted after an older segment took them in */
  tombstones: string[]
  createdAt: string
}

/** KV values are limited to 25 MiB; segments are written in parts just below that (one part needs no copy on load). */
export const SEGMENT_PART_BYTES = 24 * 1024 * 1024

export const segmentPartKey = (segmentId: number, part: number) => `segment:${segmentId}:${part}`
/** Where an article lives in KV. */
export const articleKey = (id: string) => `article:${id}`

/** Cuts bytes into KV-sized parts. */
export function splitParts(bytes: Uint8Array, partBytes: number = SEGMENT_PART_BYTES): Uint8Array[] {
  const parts: Uint8Array[] = []
  for (let offset = 0; offset < bytes.length; offset += partBytes)
    parts.push(bytes.subarray(offset, offset + partBytes))
  return parts.length > 0 ? parts : [bytes]
}

/** Joins parts back into one buffer (a single part is used as it is, without copying). */
export function joinParts(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1 && parts[0]) return parts[0]
  const total = parts.reduce((n, p) => n + p.length, 0)
  const out = new Uint8Array(total)
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
}

/** How many segments of one size tier are merged into one (the tiered policy's fan-in). */
export const MERGE_FACTOR = 4
/** Segments up to this many documents form the lowest tier. */
export const TIER_BASE_DOCS = 1000

const tierOf = (docs: number) =>
  docs <= TIER_BASE_DOCS ? 0 : Math.floor(Math.log(docs / TIER_BASE_DOCS) / Math.log(MERGE_FACTOR)) + 1

/**
 * Tiered merge policy: when MERGE_FACTOR (or more) adjacent segments share a size tier (older ones of a lower tier
 * may join the run), merge that run into one; the newest such run goes first, and a smaller segment after it does
 * not hold it back. Each document is thus rewritten about log_MERGE_FACTOR(N / TIER_BASE_DOCS) times, and a reader
 * holds O(MERGE_FACTOR × tiers) segments. A run that would make a segment of more than `maxDocs` documents, or of
 * more than `maxBytes` bytes (the segments' own sizes summed: long articles make few documents but many bytes), is
 * left as it is (every build stays bounded; past that size segments accumulate instead of merging). Returns the
 * index range [from, to) of `segments` to merge, or null.
 */
export function planMerge(
  segments: readonly (Pick<SegmentRef, 'docs'> & { bytes?: number })[],
  maxDocs = Number.POSITIVE_INFINITY,
  maxBytes = Number.POSITIVE_INFINITY,
): { from: number; to: number } | null {
  for (let to = segments.length; to >= MERGE_FACTOR; to--) {
    const tier = tierOf(segments[to - 1]?.docs ?? 0)
    let from = to - 1
    let docs = segments[to - 1]?.docs ?? 0
    let bytes = segments[to - 1]?.bytes ?? 0
    while (
      from > 0 &&
      tierOf(segments[from - 1]?.docs ?? 0) <= tier &&
      docs + (segments[from - 1]?.docs ?? 0) <= maxDocs &&
      bytes + (segments[from - 1]?.bytes ?? 0) <= maxBytes
    ) {
      from--
      docs += segments[from]?.docs ?? 0
      bytes += segments[from]?.bytes ?? 0
    }
    if (to - from >= MERGE_FACTOR) return { from, to }
  }
  return null
}
