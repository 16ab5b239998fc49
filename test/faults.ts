// Fault injection for the delivery tests: the ingest worker called through its real entry point, with a binding
// swapped for one that fails. Nothing here exists in the workers themselves.
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test'
import { articleIdFor } from '@edgewire/shared'
import { allShards, shardOf, writerName, writerShards } from '@edgewire/shared/shards'
import type { IndexWriterRpc, WriterStats } from '@edgewire/shared/writer-rpc'
import type { IngestEnv } from '../workers/ingest/src/context'
import { chunkKey, type InboxMessage, type StagedChunk } from '../workers/ingest/src/inbox'
import ingest from '../workers/ingest/src/index'
import { summedStats } from '../workers/ingest/src/shards'
import { nextId } from './helpers'

export { signedRequest } from './helpers'

export const ingestEnv = env as unknown as IngestEnv
/** The writers the suite's index is split over (test/wrangler.toml's WRITER_SHARDS, as deployed). */
export const SHARDS = writerShards(ingestEnv)
/** The writer of shard 0, 'main'. */
export const writer = () => shardWriter(0)
/** The writer of one shard (see packages/shared/src/shards.ts). */
export const shardWriter = (shard: number) => ingestEnv.INDEX.get(ingestEnv.INDEX.idFromName(writerName(shard)))
/** The writer an article's changes go to: its shard's. */
export const writerOf = (articleId: string) => shardWriter(shardOf(articleId, SHARDS))
/** Every shard's writer. */
export const allWriters = () => allShards(SHARDS).map(shardWriter)
/** The writers' figures summed, as GET /admin/writer gives them (headSeq: the index's sequence over all shards). */
export const writersStats = async (): Promise<WriterStats> =>
  summedStats(await Promise.all(allWriters().map((w) => w.stats())))

const down = (what: string) => () => Promise.reject(new Error(`${what} is down (injected)`))

/** A Durable Object namespace whose every call fails, as when the index writer cannot be reached. */
export function brokenWriter(): DurableObjectNamespace<IndexWriterRpc> {
  const stub = new Proxy({}, { get: () => down('index writer') })
  const namespace = { idFromName: () => ({}), get: () => stub }
  return namespace as unknown as DurableObjectNamespace<IndexWriterRpc>
}

/** The writers' namespace with one shard's writer failing every call, the others as they are. */
export function writerDown(shard: number): DurableObjectNamespace<IndexWriterRpc> {
  const real = ingestEnv.INDEX
  const failing = real.idFromName(writerName(shard))
  const stub = new Proxy({}, { get: () => down(`the writer of shard ${shard}`) })
  const namespace = {
    idFromName: (name: string) => real.idFromName(name),
    get: (id: DurableObjectId) => (id.equals(failing) ? stub : real.get(id)),
  }
  return namespace as unknown as DurableObjectNamespace<IndexWriterRpc>
}

/** A queue whose every send fails. */
export function brokenQueue(): IngestEnv['INGEST_QUEUE'] {
  return new Proxy({}, { get: () => down('the queue') }) as unknown as IngestEnv['INGEST_QUEUE']
}

/** A KV namespace whose every call fails. */
export function brokenKv(): KVNamespace {
  return new Proxy({}, { get: () => down('KV') }) as unknown as KVNamespace
}

/** A KV namespace that fails `put` until `heal()` is called, and passes everything else to `real`. */
export function flakyKv(real: KVNamespace): { kv: KVNamespace; heal(): void; failedPuts(): number } {
  let broken = true
  let failed = 0
  const kv = new Proxy(real, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver)
      if (prop === 'put' && broken) {
        return () => {
          failed++
          return Promise.reject(new Error('KV put failed (injected)'))
        }
      }
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
  return {
    kv,
    heal: () => {
      broken = false
    },
    failedPuts: () => failed,
  }
}

/** A url whose article falls in `shard`, found by trying names in order (deterministic). */
export async function urlInShard(prefix: string, shard: number): Promise<string> {
  for (let i = 0; ; i++) {
    const url = `https://shards.example/${prefix}/${i}`
    if (shardOf(await articleIdFor({ url }), SHARDS) === shard) return url
  }
}

export const eventBody = (type: string, data: unknown, timestamp = new Date().toISOString()) =>
  JSON.stringify({ type, timestamp, data })

/** Calls the ingest worker's fetch with some bindings replaced, and waits for what it left running. */
export async function ingestWith(overrides: Partial<IngestEnv>, request: Request): Promise<Response> {
  const ctx = createExecutionContext()
  const response = await ingest.fetch(request, { ...ingestEnv, ...overrides }, ctx)
  await waitOnExecutionContext(ctx)
  return response
}

/**
 * Stages one chunk of a new delivery in the inbox as the webhook leaves it for the consumer (its articles answered
 * `queued`), without sending its message: a test consumes it as it chooses.
 */
export async function stageChunk(items: StagedChunk['items']): Promise<{ message: InboxMessage; key: string }> {
  const delivery = nextId()
  const key = await chunkKey(delivery, 0)
  const message: InboxMessage = { v: 1, delivery, chunk: 0, chunks: 1, key }
  const staged: StagedChunk = {
    v: 1,
    delivery,
    chunk: 0,
    chunks: 1,
    eventTime: Date.now(),
    receivedAt: new Date().toISOString(),
    items,
    answer: [],
  }
  await ingestEnv.ARTICLES.put(key, JSON.stringify(staged), { metadata: message })
  return { message, key }
}
