/**
 * The consumer of the inbox queue (see inbox.ts): normalizes a staged chunk, applies it to the index writer under
 * the chunk's own idempotency key, then removes it from the inbox. A failure that may pass (the writer or KV down)
 * retries the message with a growing delay, and past the queue's last try the message is queued again, fresh: an
 * outage of any length ends with the chunk applied, no operator needed. Only a chunk that can never apply (its staged
 * copy is gone and was never applied) is a dead letter, recorded in KV under `dead-letter:` with the reason.
 */
import type { ArticleResult } from '@edgewire/shared'
import type { WriteOp } from '@edgewire/shared/writer-rpc'
import type { IngestEnv } from './context'
import { answerOnly, chunkDeliveryId, DEAD_LETTER_QUEUE, type InboxMessage, type StagedChunk } from './inbox'
import { normalizeOp, normalizeOptionsOf } from './normalize-op'
import { applyDelivery, lookupDelivery } from './shards'

export const DEAD_LETTER_PREFIX = 'dead-letter:'
/** Dead-letter records are kept this long (the staged chunk they point to is kept until applied). */
const DEAD_LETTER_TTL_SECONDS = 30 * 24 * 60 * 60
/** Longest delay between two tries of one message, in seconds (Queues allow up to 12 hours). */
export const MAX_RETRY_DELAY_SECONDS = 1800
/**
 * Tries the queue gives a message (max_retries in wrangler.toml: 100, the platform's maximum). With the delays below
 * they span about 45 hours; a message still failing at its last try is queued again rather than given up.
 */
export const MAX_TRIES = 100
/** Tries after which a staged chunk missing from KV (and never applied) is taken as gone, not as KV lagging. */
const MISSING_CHUNK_TRIES = 10

/** Seconds before the next try: 2, 4, 8, … up to MAX_RETRY_DELAY_SECONDS. */
export const retryDelaySeconds = (attempts: number) => Math.min(MAX_RETRY_DELAY_SECONDS, 2 ** Math.max(1, attempts))

/** A chunk that can never apply: retrying cannot help, and the dead letter says why. */
export class PermanentFailure extends Error {}

function isInboxMessage(body: unknown): body is InboxMessage {
  if (typeof body !== 'object' || body === null) return false
  const m = body as Record<string, unknown>
  return m.v === 1 && typeof m.delivery === 'string' && typeof m.key === 'string' && typeof m.chunk === 'number'
}

/** What became of one message. */
export type ChunkOutcome = 'applied' | 'already-applied' | 'not-staged'

/** Applies one staged chunk. Throws when it should be tried again. */
export async function applyChunk(env: IngestEnv, message: InboxMessage, attempts = 1): Promise<ChunkOutcome> {
  const id = chunkDeliveryId(message.delivery, message.chunk, message.chunks)
  const staged = await env.ARTICLES.get<StagedChunk>(message.key, 'json')
  if (!staged) {
    // Gone from the inbox: applied by an earlier copy of this message, or not visible yet (KV is eventually consistent).
    if (await lookupDelivery(env, id)) return 'already-applied'
    if (attempts >= MISSING_CHUNK_TRIES) {
      throw new PermanentFailure(`staged chunk ${message.key} is not in KV and was never applied`)
    }
    throw new Error(`staged chunk ${message.key} is not in KV (yet)`)
  }
  const now = new Date(staged.receivedAt)
  const ops: WriteOp[] = []
  const failed: { index: number; result: ArticleResult }[] = []
  const options = normalizeOptionsOf(env)
  for (const [index, item] of staged.items.entries()) {
    const op = item.kind === 'input' ? await normalizeOp(item.input, now, options) : item
    if (op.kind === 'rejected') failed.push({ index, result: op.result })
    ops.push(op)
  }
  // The inputs (up to 4 Mi characters each) are not needed once normalized: not held while the writers apply.
  staged.items = []
  await applyDelivery(env, { id, eventTime: staged.eventTime, ops })
  if (staged.answer) {
    // Replays of the webhook-id are answered as the sender was first answered, from the writer from now on.
    await applyDelivery(env, { id: staged.delivery, eventTime: staged.eventTime, ops: staged.answer.map(answerOnly) })
  }
  if (failed.length > 0) {
    // Accepted as `queued`, then refused by normalization: an operator must see it, the sender cannot any more.
    console.error(
      JSON.stringify({ level: 'error', msg: 'queued articles could not be normalized', delivery: id, failed }),
    )
    const reason = `${failed.length} queued article(s) could not be normalized (each result says why)`
    await env.ARTICLES.put(
      `${DEAD_LETTER_PREFIX}${message.key}`,
      JSON.stringify({ message, reason, failed, at: Date.now() }),
      {
        expirationTtl: DEAD_LETTER_TTL_SECONDS,
      },
    )
  }
  await Promise.all([
    env.ARTICLES.delete(message.key),
    failed.length === 0 ? env.ARTICLES.delete(`${DEAD_LETTER_PREFIX}${message.key}`) : null,
  ])
  return 'applied'
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
      await handleDeadLetter(env, body, message)
      continue
    }
    try {
      await applyChunk(env, body, message.attempts)
      message.ack()
    } catch (err) {
      await afterFailure(env, body, message, err)
    }
  }
}

/** A failed try: a dead letter when it can never apply, else another try later (a fresh message past the last). */
async function afterFailure(
  env: IngestEnv,
  body: InboxMessage,
  message: Message<unknown>,
  err: unknown,
): Promise<void> {
  if (err instanceof PermanentFailure) {
    await recordDeadLetter(env, body, message, err)
    return
  }
  console.error(
    JSON.stringify({
      level: 'warn',
      msg: 'inbox chunk not applied; will retry',
      key: body.key,
      attempts: message.attempts,
      error: String(err),
    }),
  )
  if (message.attempts < MAX_TRIES) {
    message.retry({ delaySeconds: retryDelaySeconds(message.attempts) })
    return
  }
  await queueAgain(env, body, message)
}

/**
 * Sends the chunk to the inbox queue again as a fresh message (its tries start over) and lets this one go. When not
 * even the queue takes it, this message is retried: past its last try the platform's dead-letter queue has it, and
 * that consumer queues it again.
 */
async function queueAgain(env: IngestEnv, body: InboxMessage, message: Message<unknown>): Promise<void> {
  try {
    await env.INGEST_QUEUE.send(body, { delaySeconds: MAX_RETRY_DELAY_SECONDS })
    message.ack()
  } catch {
    message.retry({ delaySeconds: MAX_RETRY_DELAY_SECONDS })
  }
}

/**
 * A message the queue gave up on (see wrangler.toml's dead_letter_queue): one more try; a chunk that can never apply
 * is recorded with the reason, any other failure goes back to the inbox queue for more tries.
 */
async function handleDeadLetter(env: IngestEnv, body: InboxMessage, message: Message<unknown>): Promise<void> {
  try {
    await applyChunk(env, body, Math.max(message.attempts, MISSING_CHUNK_TRIES))
    message.ack()
  } catch (err) {
    if (err instanceof PermanentFailure) {
      await recordDeadLetter(env, body, message, err)
      return
    }
    await queueAgain(env, body, message)
  }
}

/** Records a chunk that can never apply, with the reason, for `GET /admin/inbox`. The staged chunk (if any) stays. */
async function recordDeadLetter(
  env: IngestEnv,
  body: InboxMessage,
  message: Message<unknown>,
  err: PermanentFailure,
): Promise<void> {
  console.error(JSON.stringify({ level: 'error', msg: 'dead letter', key: body.key, reason: err.message }))
  try {
    await env.ARTICLES.put(
      `${DEAD_LETTER_PREFIX}${body.key}`,
      JSON.stringify({ message: body, reason: err.message, error: err.message, at: Date.now() }),
      { expirationTtl: DEAD_LETTER_TTL_SECONDS },
    )
    message.ack()
  } catch {
    message.retry({ delaySeconds: MAX_RETRY_DELAY_SECONDS })
  }
}
