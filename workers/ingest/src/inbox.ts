/**
 * The inbox: deliveries the webhook accepts without applying them itself. Each is cut into chunks, staged in KV
 * under `inbox:<delivery>:<n>` (queue messages hold at most 128 KB; one article may hold megabytes), and one
 * queue message per chunk tells the consumer (queue-consumer.ts) to apply it. A staged chunk stays in KV until
 * the writer has applied it, so an article answered `queued` survives any failure after the answer: the queue
 * retries, the dead-letter queue records what kept failing, and `POST /admin/redrive` sends what is left again.
 */
import { type ArticleInput, type ArticleResult, articleIdFor, canonicalizeUrl, ProblemError } from '@edgewire/shared'
import type { WriteOp } from '@edgewire/shared/writer-rpc'

export const INBOX_QUEUE = 'edgewire-ingest'
export const DEAD_LETTER_QUEUE = 'edgewire-ingest-dlq'
export const INBOX_PREFIX = 'inbox:'
/** Seconds a sender should wait before retrying when neither the writer nor the inbox can take a delivery. */
export const RETRY_AFTER_SECONDS = 5

/** Most articles in one chunk: what one consumer call normalizes and applies. */
export const DEFAULT_CHUNK_ARTICLES = 100
/** Most characters of content (html, text or body) in one chunk: bounds the KV value and the RPC to the writer. */
export const DEFAULT_CHUNK_CHARS = 2 * 1024 * 1024
/** Most normalization cost in one chunk (see INLINE_BUDGET): about a second of CPU, so a batch of messages fits one consumer call. */
export const DEFAULT_CHUNK_COST = 4 * 1024 * 1024
/** Characters of html cost this many times a character of plain text to normalize (a DOM, then Readability). */
export const HTML_COST = 8
/**
 * Deliveries estimated above this (characters of text, html weighted by HTML_COST) go to the queue instead of being
 * normalized inside the request: about 5 s of CPU, far inside the Workers limit and a webhook sender's timeout
 * (Standard Webhooks senders give up after about 15 s). 1,000 news stories of plain text cost about 1 Mi.
 */
export const INLINE_BUDGET = 16 * 1024 * 1024
/** Deliveries with more content characters than this go to the queue too: it bounds one RPC to the writer. */
export const INLINE_MAX_CHARS = 4 * 1024 * 1024
/**
 * Chunks of a delivery staged in KV at once. Each chunk's JSON is made just before its write and let go after it, so
 * staging holds a few chunks' JSON (and the bytes KV is sent) beside the parsed delivery: staged all at once, a
 * 32 MiB delivery's JSON and its bytes were held whole, twice the delivery again (`npm run bench:hostile`).
 */
export const STAGE_CONCURRENCY = 4

/** An item of a staged chunk: an article still to normalize, or an op ready for the writer. */
export type StagedItem = { kind: 'input'; input: ArticleInput } | Exclude<WriteOp, { kind: 'rejected' }>

/** One chunk of a delivery as staged in KV. */
export interface StagedChunk {
  v: 1
  /** the `webhook-id` */
  delivery: string
  chunk: number
  chunks: number
  eventTime: number
  /** when the webhook accepted it: the articles' `ingestedAt` */
  receivedAt: string
  items: StagedItem[]
  /** on chunk 0: the answer the sender got, which the writer remembers for replays once chunk 0 is applied */
  answer?: ArticleResult[]
}

/**
 * The bindings the inbox uses. Named here rather than taken from IngestEnv: context.ts types INGEST_QUEUE with
 * InboxMessage, and the two modules would otherwise import each other.
 */
interface InboxBindings {
  ARTICLES: KVNamespace
  INGEST_QUEUE: Queue<InboxMessage>
}

/** The queue message: which staged chunk to apply. Small, whatever the chunk holds. */
export interface InboxMessage {
  v: 1
  delivery: string
  chunk: number
  chunks: number
  key: string
}

/**
 * The writer's idempotency key of one chunk: a redelivered message or a redrive applies nothing twice. Joined by a
 * line feed, which no header value (so no `webhook-id`) can hold: a sender's own id never names another delivery's
 * chunk (with `#`, a delivery sent as `<id>#0/1` took the place of chunk 0 of `<id>`, whose articles were then never
 * applied). A chunk applied under the older key before a deploy and redelivered after it applies again: unchanged.
 */
export const chunkDeliveryId = (delivery: string, chunk: number, chunks: number) => `${delivery}\n${chunk}/${chunks}`

/** A write op that writes nothing: the writer answers a `rejected` op's result as it is, which records an answer. */
export const answerOnly = (result: ArticleResult): WriteOp => ({ kind: 'rejected', result })

/** Hex of the first 128 bits of the bytes' SHA-256: a short name for them (a webhook-id's in KV, a delivery body's). */
export async function shortDigest(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
  return Array.from(digest.subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join('')
}

// Hashed: a webhook-id may be long or hold any character; KV keys hold 512 bytes.
const deliveryKey = (delivery: string) => shortDigest(new TextEncoder().encode(delivery))

export const chunkKey = async (delivery: string, chunk: number) =>
  `${INBOX_PREFIX}${await deliveryKey(delivery)}:${chunk}`

/** Characters of content an item carries, and what normalizing it costs (nothing once it is normalized). */
export function itemSize(item: StagedItem): { chars: number; cost: number } {
  if (item.kind === 'input') {
    const html = item.input.html?.length ?? 0
    const text = item.input.text?.length ?? 0
    return { chars: html + text, cost: html * HTML_COST + text }
  }
  if (item.kind === 'upsert') return { chars: item.article.body.length + item.article.summary.length, cost: 0 }
  return { chars: 0, cost: 0 }
}

/** The estimated cost of normalizing the articles, in characters of plain text. */
export function normalizationCost(inputs: ArticleInput[]): { cost: number; chars: number } {
  let cost = 0
  let chars = 0
  for (const input of inputs) {
    const html = input.html?.length ?? 0
    const text = input.text?.length ?? 0
    cost += html * HTML_COST + text
    chars += html + text
  }
  return { cost, chars }
}

/** True when a delivery of these articles is better normalized by the queue consumer than inside the request. */
export function shouldQueue(inputs: ArticleInput[]): boolean {
  const { cost, chars } = normalizationCost(inputs)
  return cost > INLINE_BUDGET || chars > INLINE_MAX_CHARS
}

/** Cuts items into chunks within the limits of articles, characters and cost (one larger item goes alone). */
export function chunkItems(
  items: StagedItem[],
  limits = { items: DEFAULT_CHUNK_ARTICLES, chars: DEFAULT_CHUNK_CHARS, cost: DEFAULT_CHUNK_COST },
): StagedItem[][] {
  const chunks: StagedItem[][] = []
  let current: StagedItem[] = []
  let chars = 0
  let cost = 0
  for (const item of items) {
    const size = itemSize(item)
    const full = current.length >= limits.items || chars + size.chars > limits.chars || cost + size.cost > limits.cost
    if (current.length > 0 && full) {
      chunks.push(current)
      current = []
      chars = 0
      cost = 0
    }
    current.push(item)
    chars += size.chars
    cost += size.cost
  }
  if (current.length > 0) chunks.push(current)
  return chunks
}

/** The answer for an article on its way: its id and canonical url are known before it is normalized. */
export async function queuedResult(item: StagedItem): Promise<ArticleResult> {
  if (item.kind === 'input') {
    const url = item.input.url ? canonicalizeUrl(item.input.url) : undefined
    const id = await articleIdFor({ url: item.input.url ?? null, externalId: item.input.externalId ?? null })
    return { id, ...(url ? { url } : {}), status: 'queued' }
  }
  if (item.kind === 'upsert') {
    return { id: item.article.id, ...(item.article.url ? { url: item.article.url } : {}), status: 'queued' }
  }
  return { id: item.id, ...(item.url ? { url: item.url } : {}), status: 'queued' }
}

/** A staged delivery's first chunk, if it is in the inbox: a replay arriving while the writer is away is answered from it. */
export async function stagedAnswer(env: InboxBindings, delivery: string): Promise<ArticleResult[] | null> {
  const staged = await env.ARTICLES.get<StagedChunk>(await chunkKey(delivery, 0), 'json')
  return staged?.answer ?? null
}

/**
 * Stages the items in KV and sends one message per chunk. `answer` is what the sender is told; it goes with chunk 0.
 * If the inbox cannot take the delivery the sender is told to retry (503), and what was staged is removed: nothing
 * was accepted.
 */
export async function enqueueDelivery(
  env: InboxBindings,
  delivery: { id: string; eventTime: number; receivedAt: string },
  items: StagedItem[],
  answer: ArticleResult[],
): Promise<void> {
  const chunks = items.length > 0 ? chunkItems(items) : [[]]
  const keys = await Promise.all(chunks.map((_, i) => chunkKey(delivery.id, i)))
  try {
    await inLanes(chunks.length, STAGE_CONCURRENCY, (i) => {
      const staged: StagedChunk = {
        v: 1,
        delivery: delivery.id,
        chunk: i,
        chunks: chunks.length,
        eventTime: delivery.eventTime,
        receivedAt: delivery.receivedAt,
        items: chunks[i] ?? [],
        ...(i === 0 ? { answer } : {}),
      }
      const metadata: InboxMessage = {
        v: 1,
        delivery: delivery.id,
        chunk: i,
        chunks: chunks.length,
        key: keys[i] ?? '',
      }
      // The message rides along as metadata, so a redrive can list the inbox without reading what it holds.
      return env.ARTICLES.put(metadata.key, JSON.stringify(staged), { metadata })
    })
    const messages = keys.map((key, chunk) => ({
      body: { v: 1, delivery: delivery.id, chunk, chunks: chunks.length, key } satisfies InboxMessage,
      contentType: 'json' as const,
    }))
    // sendBatch takes at most 100 messages per call.
    for (let i = 0; i < messages.length; i += 100) await env.INGEST_QUEUE.sendBatch(messages.slice(i, i + 100))
  } catch (err) {
    console.error(
      JSON.stringify({ level: 'error', msg: 'inbox unavailable', delivery: delivery.id, error: String(err) }),
    )
    await Promise.allSettled(keys.map((key) => env.ARTICLES.delete(key)))
    throw new ProblemError(
      503,
      'unavailable',
      'Neither the index writer nor the inbox can take the delivery now; nothing was stored. Retry.',
      {
        headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
      },
    )
  }
}

/**
 * Runs `work` for 0 … count - 1, at most `lanes` at a time. After a failure no new work starts, the work under way
 * ends, and the first failure is thrown: nothing is left running behind the caller (who may then undo what was done).
 */
async function inLanes(count: number, lanes: number, work: (i: number) => Promise<void>): Promise<void> {
  const failures: unknown[] = []
  let next = 0
  await Promise.all(
    Array.from({ length: Math.min(lanes, count) }, async () => {
      while (failures.length === 0 && next < count) {
        const i = next++
        try {
          await work(i)
        } catch (err) {
          failures.push(err)
        }
      }
    }),
  )
  if (failures.length > 0) throw failures[0]
}
