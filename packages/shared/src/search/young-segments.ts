import type { Segment } from './segment'

/**
 * Segments at the end of an index (the newest) that its reader-side structures build apart from the older ones': the
 * segments' merged terms (segment-terms.ts) and the table of their ids (segment-ids.ts). The writer's merges replace
 * the newest, smallest segments far more often than old ones, so an index swapped in after a flush or a merge usually
 * starts with the same old segments as the index it replaces, and takes their part as it is.
 */
export const YOUNG_SEGMENTS = 16

/** Where the young segments of an index of `count` segments start: every segment before is old. */
export function youngFrom(count: number): number {
  return Math.max(0, count - YOUNG_SEGMENTS)
}

/** Whether `prefix` is the first of `segments`, the same objects. */
export function startsWith(segments: readonly Segment[], prefix: readonly Segment[]): boolean {
  return prefix.length <= segments.length && prefix.every((s, i) => segments[i] === s)
}

/**
 * Whether an index over `segments` takes as it is the old part built over `old` by the index it replaces: while those
 * are still its first segments, and at most twice YOUNG_SEGMENTS come after them (past that, the old part grows).
 */
export function keepsOld(segments: readonly Segment[], old: readonly Segment[]): boolean {
  return startsWith(segments, old) && segments.length - old.length <= 2 * YOUNG_SEGMENTS
}
