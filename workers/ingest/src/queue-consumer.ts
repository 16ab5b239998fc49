/**
 * The consumer of the inbox queue (see inbox.ts): normalizes a staged chunk, applies it to the index writer under
 * the chunk's own idempotency key, then removes it from the inbox. Any failure retries the message with a growing
 * delay; after the queue's max_retries it goes to the dead-letter queue, whose consumer records it in KV under
 * `dead-letter:` for an operator (the staged chunk itself stays in the inbox for `POST /admin/redrive`).
 */
import type { ArticleResult } from '@edgewire/shared'
import type { WriteOp } from '@edgewire/shared/writer-rpc'
import type { IngestEnv } from './context'
import { writerStub } from './context'
import {
  answerOnly,
  chunkDeliveryId,
  DEAD_LETTER_QUEUE,
  type InboxMessage,
  type StagedChunk,
  type StagedItem,
} from './inbox'
import { normalizeOp } from './normalize-op'

export const DEAD_LETTER_PREFIX = 'dead-letter:'
/** Dead-letter records are kept this long (the staged chunk they point to is kept until applied). */
const DEAD_LETTER_TTL_SECONDS = 30 * 24 * 60 * 60
/** Longest delay between two tries of one message, in seconds. */
const MAX_RETRY_DELAY_SECONDS = 300

/** Seconds before the next try: 2, 4, 8, … up to MAX_RETRY_DELAY_SECONDS. */
export const retryDelaySeconds = (attempts: number) => Math.min(MAX_RETRY_DELAY_SECONDS, 2 ** Math.max(1, attempts))

function isInboxMessage(body: unknown): body is InboxMessage {
  if (typeof body !== 'object' || body === null) return false
  const m = body as Record<string, unknown>
  return m.v === 1 && typeof m.delivery === 'string' && typeof m.key === 'string' && typeof m.chunk === 'number'
}

/** What became of one message. */
export type ChunkOutcome = 'applied' | 'already-applied' | 'not-staged'

/** Applies one staged chunk. Throws when it should be tried again. */
export async function applyChunk(env: IngestEnv, message: InboxMessage): Promise<ChunkOutcome> {
  const writer = writerStub(env)
  const id = chunkDeliveryId(message.delivery, message.chunk, message.chunks)
  const staged = await env.ARTICLES.get<StagedChunk>(message.key, 'json')
  if (!staged) {
    // Gone from the inbox: applied by an earlier copy of this message, or not visible yet (KV is eventually consistent).
    if (await writer.lookupDelivery(id)) return 'already-applied'
    throw new Error(`staged chunk ${message.key} is not in KV (yet)`)
  }
  const now = new Date(staged.receivedAt)
  const ops: WriteOp[] = []
  const failed: { index: number; result: ArticleResult }[] = []
  for (const [index, item] of staged.items.entries()) {
    const op = await toOp(item, now)
    if (op.kind === 'rejected') failed.push({ index, result: op.result })
    ops.push(op)
  }
  await writer.apply({ id, eventTime: staged.eventTime, ops })
  if (staged.answer) {
    // Replays of the webhook-id are answered as the sender was first answered, from the writer from now on.
    await writer.apply({ id: staged.delivery, eventTime: staged.eventTime, ops: staged.answer.map(answerOnly) })
  }
  if (failed.length > 0) {
    // Accepted as `queued`, then refused by normalization: an operator must see it, the sender cannot any more.
    console.error(
      JSON.stringify({ level: 'error', msg: 'queued articles could not be normalized', delivery: id, failed }),
    )
    await env.ARTICLES.put(`${DEAD_LETTER_PREFIX}${message.key}`, JSON.stringify({ message, failed, at: Date.now() }), {
      expirationTtl: DEAD_LETTER_TTL_SECONDS,
    })
  }
  await Promise.all([
    env.ARTICLES.delete(message.key),
    failed.length === 0 ? env.ARTICLES.delete(`${DEAD_LETTER_PREFIX}${message.key}`) : null,
  ])
  return 'applied'
}

async function toOp(item: StagedItem, now: Date): Promise<WriteOp> {
  return item.kind === 'input' ? normalizeOp(item.input, now) : item
}

/** The `queue` handler of the ingest worker: the inbox queue and its dead-letter queue. */
export async function handleQueue(batch: MessageBatch<unknown>, env: IngestEnv): Promise<void> {
  const deadLetters = batch.queue === DEAD_LETTER_QUEUE
  for (const message of batch.messages) {
    const body = message.body
    if (!isInboxMessage(body)) {
      console.error(JSON.stringify({ level: 'error', msg: 'malformed inbox message dropped', id: message.id }))
      message.ack()
      continue
    }
    if (deadLetters) {
      await recordDeadLetter(env, body, message)
      continue
    }
    try {
      await applyChunk(env, body)
      message.ack()
    } catch (err) {
      console.error(
        JSON.stringify({
          level: 'warn',
          msg: 'inbox chunk not applied; will retry',
          key: body.key,
          attempts: message.attempts,
          error: String(err),
        }),
      )
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts) })
    }
  }
}

/** A message that failed every try: one last try, then a record for an operator. The staged chunk stays. */
async function recordDeadLetter(env: IngestEnv, body: InboxMessage, message: Message<unknown>): Promise<void> {
  try {
    await applyChunk(env, body)
    message.ack()
    return
  } catch (err) {
    console.error(JSON.stringify({ level: 'error', msg: 'dead letter', key: body.key, error: String(err) }))
    try {
      await env.ARTICLES.put(
        `${DEAD_LETTER_PREFIX}${body.key}`,
        JSON.stringify({ message: body, error: String(err), at: Date.now() }),
        { expirationTtl: DEAD_LETTER_TTL_SECONDS },
      )
      message.ack()
    } catch {
      message.retry({ delaySeconds: MAX_RETRY_DELAY_SECONDS })
    }
  }
}
