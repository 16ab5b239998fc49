import {
  type ArticleInput,
  ArticleInputSchema,
  type ArticleResult,
  articleIdFor,
  checkSignatureHeaders,
  DeleteTargetSchema,
  type FieldError,
  type HeaderCheck,
  importSecrets,
  LIMITS,
  ProblemError,
  verifySignedContent,
  WebhookEnvelopeSchema,
} from '@edgewire/shared'
import type { Delivery, WriteOp } from '@edgewire/shared/writer-rpc'
import type { Context } from 'hono'
import { z } from 'zod'
import type { IngestApp, IngestEnv } from './context'
import {
  answerOnly,
  enqueueDelivery,
  queuedResult,
  RETRY_AFTER_SECONDS,
  type StagedItem,
  shortDigest,
  shouldQueue,
  stagedAnswer,
} from './inbox'
import { normalizeOp, normalizeOptionsOf } from './normalize-op'
import { declaredLength, decodeUtf8, type HeldBody, parseJson, readBodyLimited, withBodyBudget } from './read-body'
import { applyDelivery, lookupDelivery } from './shards'

/** Longest `webhook-id` taken: ids are opaque, but they are stored and remembered for days. */
export const MAX_WEBHOOK_ID_CHARS = 256

const keyCache = new Map<string, Promise<CryptoKey[]>>()
/** Imported keys, kept for the isolate's life: importing on every request would cost a WebCrypto call each. */
function keysFor(secret: string): Promise<CryptoKey[]> {
  const cached = keyCache.get(secret)
  if (cached) return cached
  const keys = importSecrets(secret)
  keyCache.set(secret, keys)
  // A failed import is not remembered, so a corrected secret is picked up without a restart.
  keys.catch(() => keyCache.delete(secret))
  return keys
}

/** Turns zod issues into RFC 6901 pointers under `base`. */
export function fieldErrors(error: z.ZodError, base: string): FieldError[] {
  return error.issues.map((issue) => ({
    pointer: `${base}${issue.path.map((p) => `/${String(p).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('')}`,
    detail: issue.message,
  }))
}

const BatchSchema = z.object({ articles: z.array(z.unknown()).min(1).max(LIMITS.maxBatchArticles) })

/** One entry of the delivery after validation, in input order. */
type Entry = { kind: 'input'; input: ArticleInput } | Exclude<WriteOp, { kind: 'upsert' }>

/**
 * `POST /webhooks/articles`: verify, validate, then either normalize and apply inside the request, or (a large
 * delivery, or the index writer unreachable) stage it in the inbox and answer `queued` (see inbox.ts).
 */
export async function handleWebhook(c: Context<IngestApp>) {
  const contentType = c.req.header('content-type') ?? ''
  if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(contentType)) {
    throw new ProblemError(415, 'unsupported-media-type', 'Send the event as Content-Type: application/json.')
  }
  const secret = c.env.WEBHOOK_SECRET
  if (!secret) throw new Error('WEBHOOK_SECRET is not configured')
  // Bounded cost before trust: everything the headers can refuse is refused before a byte of the body is read.
  const declared = declaredLength(c.req.raw, LIMITS.maxBodyBytes)
  const headers = checkSignatureHeaders({
    id: c.req.header('webhook-id'),
    timestamp: c.req.header('webhook-timestamp'),
    signature: c.req.header('webhook-signature'),
  })
  if (!headers.ok) {
    throw new ProblemError(401, 'invalid-signature', `The webhook signature was refused: ${headers.reason}.`)
  }
  if (headers.macs.length === 0) {
    throw new ProblemError(401, 'invalid-signature', 'The webhook signature was refused: malformed-signature.')
  }
  if (headers.id.length > MAX_WEBHOOK_ID_CHARS) {
    throw new ProblemError(400, 'invalid-webhook-id', `webhook-id must be at most ${MAX_WEBHOOK_ID_CHARS} characters.`)
  }
  return withBodyBudget(declared ?? LIMITS.maxBodyBytes, async () => {
    const { event, digest } = await readSignedEvent(c.req.raw, secret, headers, declared)
    return handleEvent(c, headers.id, event, digest)
  })
}

/**
 * Reads the body once, into a buffer that starts with room for the signed prefix (`{id}.{timestamp}.`), verifies the
 * signature over that buffer without copying it, takes the body's digest (the shards' parts are remembered by it:
 * shards.ts partId), and parses it. The bytes are let go once decoded, before the parse: bytes, text and parsed value
 * of a 32 MiB body together would be about 100 MB of the isolate's 128.
 */
async function readSignedEvent(
  request: Request,
  secret: string,
  headers: Extract<HeaderCheck, { ok: true }>,
  declared: number | null,
): Promise<{ event: unknown; digest: string }> {
  let held: HeldBody | null = await readBodyLimited(request, LIMITS.maxBodyBytes, declared, headers.prefix.length)
  held.signed.set(headers.prefix, 0)
  if (!(await verifySignedContent(await keysFor(secret), headers.macs, held.signed))) {
    throw new ProblemError(401, 'invalid-signature', 'The webhook signature was refused: no-matching-signature.')
  }
  const digest = await shortDigest(held.body)
  const text = decodeUtf8(held.body)
  held = null
  return { event: parseJson(text), digest }
}

/**
 * A verified event: answered from memory when seen before, else validated, normalized and applied (or queued).
 * `digest` is its body's: a webhook-id seen before but never answered (cut short) with another body is applied anew.
 */
async function handleEvent(c: Context<IngestApp>, webhookId: string, event: unknown, digest: string) {
  const previous = await previousAnswer(c.env, webhookId)
  if (previous) return c.json({ results: previous }, 202, { 'webhook-replayed': 'true' })

  const envelopeCheck = WebhookEnvelopeSchema.safeParse(event)
  if (!envelopeCheck.success) {
    throw new ProblemError(422, 'invalid-event', 'The event does not match the schema.', {
      errors: fieldErrors(envelopeCheck.error, ''),
    })
  }
  const envelope = envelopeCheck.data
  const now = new Date()
  const eventTime = eventTimeOf(envelope.timestamp, now)
  const entries = await validate(envelope.type, envelope.data)
  const delivery = { id: webhookId, eventTime, receivedAt: now.toISOString() }

  const inputs = entries.flatMap((e) => (e.kind === 'input' ? [e.input] : []))
  if (shouldQueue(inputs)) {
    // Too much to normalize within one request: the queue consumer does it in chunks.
    const items: StagedItem[] = entries.flatMap((e) => (e.kind === 'rejected' ? [] : [e]))
    const answer = await Promise.all(entries.map((e) => (e.kind === 'rejected' ? e.result : queuedResult(e))))
    await enqueueDelivery(c.env, delivery, items, answer)
    // Remembered now, so a replay is answered as before while the consumer works (best effort: chunk 0 also does it).
    await tryWriter(() => applyDelivery(c.env, { id: webhookId, eventTime, ops: answer.map(answerOnly) }))
    return c.json({ results: answer }, 202)
  }

  const ops: WriteOp[] = []
  const options = normalizeOptionsOf(c.env)
  for (const entry of entries) ops.push(entry.kind === 'input' ? await normalizeOp(entry.input, now, options) : entry)
  const applied = await tryWriter(() =>
    applyDelivery(c.env, { id: webhookId, eventTime, ops } satisfies Delivery, digest),
  )
  if (applied.ok) return c.json({ results: applied.value }, 202)

  // The writer is unreachable: the normalized delivery waits in the inbox and the consumer applies it with retries.
  const items: StagedItem[] = ops.flatMap((op) => (op.kind === 'rejected' ? [] : [op]))
  const answer = await Promise.all(ops.map((op) => (op.kind === 'rejected' ? op.result : queuedResult(op))))
  await enqueueDelivery(c.env, delivery, items, answer)
  return c.json({ results: answer }, 202)
}

/** Validates the event's data: a schema error of the whole event is a 422, a bad article in a batch is rejected alone. */
async function validate(type: z.infer<typeof WebhookEnvelopeSchema>['type'], data: unknown): Promise<Entry[]> {
  switch (type) {
    case 'article.upsert': {
      const parsed = ArticleInputSchema.safeParse(data)
      if (!parsed.success) {
        throw new ProblemError(422, 'invalid-article', 'The article does not match the schema.', {
          errors: fieldErrors(parsed.error, '/data'),
        })
      }
      return [{ kind: 'input', input: parsed.data }]
    }
    case 'article.batch': {
      const batch = BatchSchema.safeParse(data)
      if (!batch.success) {
        throw new ProblemError(
          422,
          'invalid-batch',
          `data.articles must hold 1 to ${LIMITS.maxBatchArticles} articles.`,
          { errors: fieldErrors(batch.error, '/data') },
        )
      }
      return batch.data.articles.map((raw, index): Entry => {
        const parsed = ArticleInputSchema.safeParse(raw)
        if (parsed.success) return { kind: 'input', input: parsed.data }
        const errors = fieldErrors(parsed.error, `/data/articles/${index}`)
        const result: ArticleResult = {
          status: 'rejected',
          error: errors.map((e) => `${e.pointer}: ${e.detail}`).join('; '),
        }
        const url = typeof raw === 'object' && raw !== null ? (raw as { url?: unknown }).url : undefined
        if (typeof url === 'string' && url.length <= LIMITS.maxUrlChars) result.url = url
        return { kind: 'rejected', result }
      })
    }
    case 'article.delete': {
      const target = DeleteTargetSchema.safeParse(data)
      if (!target.success) {
        throw new ProblemError(422, 'invalid-delete', 'data must be { "id": string } or { "url": string }.', {
          errors: fieldErrors(target.error, '/data'),
        })
      }
      return 'id' in target.data
        ? [{ kind: 'delete', id: target.data.id }]
        : [{ kind: 'delete', id: await articleIdFor({ url: target.data.url }), url: target.data.url }]
    }
  }
}

/**
 * The event's own time orders versions of one article (version-order.ts). Without a readable `timestamp`, the moment
 * it was first received stands in (a redelivery of the same webhook-id is answered from memory, never re-timed).
 * Never the signature's timestamp: a sender's retry signs again, later, and must not become newer for it.
 */
function eventTimeOf(timestamp: string | undefined, receivedAt: Date): number {
  const ms = timestamp ? Date.parse(timestamp) : Number.NaN
  return Number.isFinite(ms) ? ms : receivedAt.getTime()
}

type Attempt<T> = { ok: true; value: T } | { ok: false }

/** Tries the writer twice (a Durable Object may be restarting); a failure is logged and reported, never thrown. */
async function tryWriter<T>(call: () => Promise<T>): Promise<Attempt<T>> {
  for (let attempt = 0; ; attempt++) {
    try {
      return { ok: true, value: await call() }
    } catch (err) {
      console.error(JSON.stringify({ level: 'warn', msg: 'index writer call failed', attempt, error: String(err) }))
      if (attempt >= 1) return { ok: false }
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
}

/**
 * The answer given to this webhook-id before, if any: from the writer, else from the inbox, which holds the answer
 * of a delivery staged while the writer was away until the queue has applied its first chunk (the writer may be back
 * before the queue is). Both are asked at once, so a new delivery waits for the slower of the two, not their sum.
 * When neither can tell, the delivery is treated as new; applying it again is harmless (same content is `unchanged`,
 * older content never wins), only not free.
 */
async function previousAnswer(env: IngestEnv, id: string): Promise<ArticleResult[] | null> {
  const inbox = stagedAnswer(env, id).then(
    (answer) => ({ ok: true as const, answer }),
    (error: unknown) => ({ ok: false as const, error }),
  )
  const fromWriter = await tryWriter(() => lookupDelivery(env, id))
  if (fromWriter.ok && fromWriter.value) return fromWriter.value
  const staged = await inbox
  if (staged.ok) return staged.answer
  // The writer has never seen it and the inbox cannot say: as before the inbox was asked, a new delivery.
  if (fromWriter.ok) return null
  console.error(
    JSON.stringify({ level: 'error', msg: 'writer and inbox both unavailable', error: String(staged.error) }),
  )
  throw new ProblemError(503, 'unavailable', 'The index writer is unavailable; nothing was stored. Retry.', {
    headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
  })
}
