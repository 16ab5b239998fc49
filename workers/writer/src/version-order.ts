/**
 * Which version of an article wins: order by event, never by delivery. Every event carries its own time (the body's
 * `timestamp`, or the moment the event was first received when it has none; never the signature's timestamp, which a
 * sender's retry renews), and an upsert also says when its content was `published`.
 *
 * - Versions are ranked by `published` (the event's time standing in when absent), then by the event's time, then,
 *   on a full tie, by their record hash: two different contents sent with the same times end the same whichever
 *   arrives first.
 * - A delete removes every version whose event is at or before its own (a tie goes to the delete); a version sent
 *   after the delete brings the article back.
 *
 * The state of an article is the best version seen and the latest delete seen, so any set of events ends in the same
 * state whatever order they arrive in (version-order.test.ts).
 */

/** The rank of one version: compared field by field. */
export interface VersionKey {
  /** `published`, or the event's time when the version has none. */
  rankMs: number
  eventMs: number
  /** What identifies the content and metadata (equal hashes are the same version). */
  hash: string
}

/** What the writer keeps of an article's history to order what comes next. */
export interface VersionState {
  /** The best version seen, live or deleted; null when only deletes were seen. */
  best: VersionKey | null
  /** The event time of the latest delete seen, or null. */
  deletedAtMs: number | null
}

export const EMPTY_STATE: VersionState = { best: null, deletedAtMs: null }

export function versionKey(publishedMs: number | null, eventMs: number, hash: string): VersionKey {
  return { rankMs: publishedMs ?? eventMs, eventMs, hash }
}

/** Negative when `a` is older than `b`, 0 for the same version, positive when newer. */
export function compareVersions(a: VersionKey, b: VersionKey): number {
  if (a.rankMs !== b.rankMs) return a.rankMs < b.rankMs ? -1 : 1
  if (a.eventMs !== b.eventMs) return a.eventMs < b.eventMs ? -1 : 1
  return a.hash === b.hash ? 0 : a.hash < b.hash ? -1 : 1
}

/** True when the article exists: it has a version, and no delete at or after that version's event. */
export function isLive(state: VersionState): boolean {
  return state.best !== null && (state.deletedAtMs === null || state.deletedAtMs < state.best.eventMs)
}

/** The state after an upsert of version `key`: the newer of the two versions is kept. */
export function withUpsert(state: VersionState, key: VersionKey): VersionState {
  if (state.best !== null && compareVersions(key, state.best) <= 0) return state
  return { best: key, deletedAtMs: state.deletedAtMs }
}

/** The state after a delete sent at `eventMs`: the latest delete is kept. */
export function withDelete(state: VersionState, eventMs: number): VersionState {
  if (state.deletedAtMs !== null && state.deletedAtMs >= eventMs) return state
  return { best: state.best, deletedAtMs: eventMs }
}
