/**
 * Deliveries over the sharded writers (packages/shared/src/shards.ts). Each op goes to the writer of its article's
 * shard, `shardOf(id)`, so every change of one article is ordered by one writer. A delivery's answer is remembered
 * whole, in the order of the delivery, by its **home** writer: the shard of the delivery's id. The home applies its
 * own ops and stores the answer in one transaction, after the other shards have answered theirs, so a delivery the
 * home remembers is applied everywhere, and a redelivery is answered from the home alone.
 *
 * A delivery cut short (another shard answered, the home did not) is simply applied again: each shard remembers its
 * part under the delivery's id and a digest of its body (partId) and answers it as before, and the home then
 * remembers the whole. The digest makes a webhook-id reused with another body, after a first delivery was cut short,
 * another delivery at every shard; the home answers any later delivery of the id as the first it completed.
 */
import type { ArticleResult } from '@edgewire/shared'
import { shardOf, writerShards } from '@edgewire/shared/shards'
import type { Delivery, WriteOp, WriterStats } from '@edgewire/shared/writer-rpc'
import { type IngestEnv, writerStub } from './context'
import { answerOnly } from './inbox'

/** The writer that remembers a delivery's answer (its redeliveries are looked up there). */
export const homeShard = (deliveryId: string, shards: number): number => shardOf(deliveryId, shards)

/**
 * The id under which a shard other than the home remembers its part of a delivery: the `webhook-id` and a digest of
 * the delivery's body (inbox.ts shortDigest), joined by a line feed, which no header value (so no `webhook-id`) holds. Without
 * the digest, a webhook-id reused with another body after a first delivery was cut short was answered, at a shard
 * that had applied the first body's part, with that part's results: the home then remembered them as the new
 * answer (another body's ids and statuses in its places), and the new body's articles there were never applied. A
 * delivery without a body digest (a queued chunk: its staged copy never changes under its id) keeps its id.
 */
export const partId = (deliveryId: string, bodyDigest: string | undefined): string =>
  bodyDigest === undefined ? deliveryId : `${deliveryId}\n${bodyDigest}`

/** The article an op changes; null for an op answered as given (it stays with the home). */
const articleOf = (op: WriteOp): string | null =>
  op.kind === 'upsert' ? op.article.id : op.kind === 'delete' ? op.id : null

/**
 * Applies a delivery over the shards and answers one result per op, in order: the ops of other shards first (in
 * parallel, each shard its part, remembered under partId), then the home with its own ops and the others' results,
 * which it remembers under the delivery's id. `digest` is the body's (shortDigest), when the delivery has one.
 */
export async function applyDelivery(env: IngestEnv, delivery: Delivery, digest?: string): Promise<ArticleResult[]> {
  const shards = writerShards(env)
  const home = homeShard(delivery.id, shards)
  const elsewhere = new Map<number, number[]>()
  delivery.ops.forEach((op, place) => {
    const id = articleOf(op)
    const shard = id === null ? home : shardOf(id, shards)
    if (shard === home) return
    const places = elsewhere.get(shard) ?? []
    places.push(place)
    elsewhere.set(shard, places)
  })
  const ops = [...delivery.ops]
  await Promise.all(
    [...elsewhere].map(async ([shard, places]) => {
      const part = places.flatMap((place) => ops.slice(place, place + 1))
      const results = await writerStub(env, shard).apply({ ...delivery, id: partId(delivery.id, digest), ops: part })
      if (results.length !== places.length) {
        throw new Error(`shard ${shard} answered ${results.length} results for ${places.length} ops`)
      }
      places.forEach((place, i) => {
        const result = results[i]
        if (result) ops[place] = answerOnly(result)
      })
    }),
  )
  return writerStub(env, home).apply({ ...delivery, ops })
}

/** The answer remembered for a delivery seen before (by its home writer), or null. */
export function lookupDelivery(env: IngestEnv, id: string): Promise<ArticleResult[] | null> {
  return writerStub(env, homeShard(id, writerShards(env))).lookupDelivery(id)
}

/** The shards' figures as one index's: counts and sequence numbers summed, the youngest writer's age, the smallest outbox step. */
export function summedStats(shards: WriterStats[]): WriterStats {
  const total = (pick: (s: WriterStats) => number) => shards.reduce((n, s) => n + pick(s), 0)
  const readerCalls = { head: 0, changeBlock: 0, manifest: 0, segmentPart: 0, getArticle: 0 }
  for (const method of Object.keys(readerCalls) as (keyof WriterStats['readerCalls'])[]) {
    readerCalls[method] = total((s) => s.readerCalls[method])
  }
  return {
    documents: total((s) => s.documents),
    headSeq: total((s) => s.headSeq),
    kvPending: total((s) => s.kvPending),
    kvStepRows: Math.min(...shards.map((s) => s.kvStepRows)),
    manifestSeq: total((s) => s.manifestSeq),
    segments: total((s) => s.segments),
    segmentBytes: total((s) => s.segmentBytes),
    readerCalls,
    merges: {
      fromSegments: total((s) => s.merges.fromSegments),
      fromRows: total((s) => s.merges.fromRows),
    },
    upSeconds: Math.min(...shards.map((s) => s.upSeconds)),
  }
}
