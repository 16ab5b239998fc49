/**
 * How the index is split over writers. Every article belongs to one writer (its shard), picked by a stable hash of
 * its id; each writer (an IndexWriter Durable Object) keeps its own articles, sequence, segments, manifest and KV
 * outbox. The ingest worker splits each delivery by shard; search isolates follow every shard's feed and search all
 * their segments as one index (see DESIGN.md, "Sharded writers").
 */

/** The most writers a deployment may name (`WRITER_SHARDS`); far above what any archive here needs. */
export const MAX_WRITER_SHARDS = 64

/**
 * Writers the index is split over: the `WRITER_SHARDS` variable, which both workers must have alike (wrangler.toml
 * sets 4 for a deployment). Fixed for a deployment: an article's shard is `shardOf(id, shards)`, so changing it
 * moves articles between writers, which nothing does yet (each writer refuses writes once it finds the count changed;
 * DESIGN.md, "Sharded writers", gives the procedure a change needs).
 *
 * Four when deployed: ingest is bounded by one writer's thread (SQLite transactions, segment builds), so four
 * writers take about four times the changes, while a search isolate follows four feeds (four heads per sync, through
 * the location's cache) and a webhook batch costs at most four writer calls plus one for its answer. One locally
 * (`npm start`, the benches): workerd runs every Durable Object of a process on one thread, so more writers only add
 * work there (README, "Shards").
 */
export function writerShards(env: { WRITER_SHARDS?: string }): number {
  const shards = Number(env.WRITER_SHARDS)
  if (!Number.isInteger(shards) || shards < 1 || shards > MAX_WRITER_SHARDS) {
    throw new TypeError(
      `WRITER_SHARDS must be a whole number from 1 to ${MAX_WRITER_SHARDS}, the same for both workers (wrangler.toml vars); got ${JSON.stringify(env.WRITER_SHARDS)}`,
    )
  }
  return shards
}

/**
 * The shard of an article id (or of a delivery id: see the ingest worker's shards.ts): FNV-1a over the id's UTF-16
 * code units, modulo `shards`. Any string works (admin deletes name arbitrary ids); the result never changes for
 * a given id and count, in Node and in workerd alike.
 */
export function shardOf(id: string, shards: number): number {
  if (shards <= 1) return 0
  let hash = 0x811c9dc5
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return (hash >>> 0) % shards
}

/**
 * The Durable Object name of a shard's writer. Shard 0 keeps the name of the single writer that came before
 * ('main'), so an index deployed with one writer keeps its articles and segments.
 */
export const writerName = (shard: number): string => (shard === 0 ? 'main' : `shard-${shard}`)

/** The shard a writer's name stands for: 0 for 'main' or a name that is none of writerName's (a test's own id). */
export function shardOfWriterName(name: string | undefined): number {
  const match = name ? /^shard-(\d+)$/.exec(name) : null
  return match ? Number(match[1]) : 0
}

/**
 * Segment ids of shard k's writer start above k × this: every shard writes its segments under KV's
 * `segment:<id>:<part>` keys, and readers hold the segments of all shards, so ids must not meet (a writer would
 * need 10^12 segments to reach the next shard's). Shard 0's ids are those the single writer had.
 */
export const SEGMENT_IDS_PER_SHARD = 1e12

/** Every shard number, 0 to shards - 1. */
export const allShards = (shards: number): number[] => Array.from({ length: shards }, (_, k) => k)
