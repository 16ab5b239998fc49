/**
 * Every KV value the writer puts carries the time it was written, so that a reader can tell how long ago that was
 * (the search worker's `KV_PROPAGATION_MS` view of KV uses it; see workers/search/src/distant-kv.ts).
 */
export interface WrittenAt {
  writtenAt: number
}

/** The metadata a KV put carries: when it was written. */
export const writtenNow = (): { metadata: WrittenAt } => ({ metadata: { writtenAt: Date.now() } })
