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
  /** bytes of its head: everything but the bodies (see splitSegment), what a reader loads */
  bytes: number
  /** how many KV values hold its head (each at most SEGMENT_PART_BYTES): parts 0 … parts − 1 */
  parts: number
  /** bytes of its bodies */
  bodyBytes: number
  /**
   * how many KV values hold its body blocks, one each: parts `parts` … `parts + bodyBlocks − 1`, read as hits need
   * them; then, when there are any, all of them in one more value (`bodiesPart`), which a swap reads at once
   */
  bodyBlocks: number
}

/** The part that holds all of a segment's body blocks in one value (see SegmentRef.bodyBlocks). */
export const bodiesPart = (ref: Pick<SegmentRef, 'parts' | 'bodyBlocks'>) => ref.parts + ref.bodyBlocks

/** How many KV values a segment is stored in: its head's parts, its body blocks, and their joined copy. */
export const segmentValues = (ref: Pick<SegmentRef, 'parts' | 'bodyBlocks'>) =>
  ref.parts + ref.bodyBlocks + (ref.bodyBlocks > 0 ? 1 : 0)

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

/**
 * Reads a segment of `bytes` bytes stored in `parts` parts, one part after another, each copied into one buffer of
 * the segment's size as it arrives: at most the segment and one part are held at once (reading them all and then
 * joining them held every part and the joined copy, twice the segment). A segment of one part is used as it is,
 * without a copy (Segment.open checks what it holds). Throws when several parts do not add up to `bytes`.
 */
export async function readParts(
  bytes: number,
  parts: number,
  read: (part: number) => Promise<Uint8Array>,
): Promise<Uint8Array> {
  if (parts === 1) return read(0)
  const out = new Uint8Array(bytes)
  let offset = 0
  for (let i = 0; i < parts; i++) {
    const part = await read(i)
    if (offset + part.length > bytes) throw new Error(`segment parts pass its ${bytes} bytes at part ${i}`)
    out.set(part, offset)
    offset += part.length
  }
  if (offset !== bytes) throw new Error(`segment parts hold ${offset} of its ${bytes} bytes`)
  return out
}

/**
 * The ceilings of every segment build (the index writer's flushes, merges and rebuilds), which bound its memory.
 *
 * Most documents a merge builds into one segment. A build holds the writer's thread in its last step (packing the
 * segment), so this bounds the longest pause a merge causes readers and webhooks; it also bounds the build's memory.
 */
export const MAX_MERGE_DOCS = 8000
/**
 * Most bytes of segment a build makes: a merge never joins segments whose bytes sum past it, and a flush takes
 * changes while their articles' JSON stays within FLUSH_MAX_CHARS. Documents alone did not bound a build: 56–64
 * articles of 4 Mi characters made 128–149 MB of segments in one flush (`npm run bench:hostile`). An 8,000-article
 * Reuters segment is about 9 MB, so news of ordinary length still merges by documents.
 */
export const MAX_BUILD_BYTES = 16 * 1024 * 1024
/**
 * Most characters of article JSON one flush takes (one article more only when it alone is larger). A segment holds
 * up to about twice its articles' text (the stored text, plus positions: 18 Mi characters of long articles made a
 * 40 MB segment), so this keeps a flush's segment near MAX_BUILD_BYTES.
 */
export const FLUSH_MAX_CHARS = MAX_BUILD_BYTES / 2

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
