import {
  type ArticleInput,
  ArticleInputSchema,
  type ArticleResult,
  articleIdFor,
  DeleteTargetSchema,
  type FieldError,
  importSecrets,
  LIMITS,
  normalizeArticle,
  ProblemError,
  verifySignature,
  WebhookEnvelopeSchema,
} from '@edgewire/shared'
import type { Context } from 'hono'
import { z } from 'zod'
import { type IngestApp, writerStub } from './context'
import type { Delivery, WriteOp } from './index-writer'
import { decodeUtf8, parseJson, readBodyLimited } from './read-body'

/** Seconds a sender should wait before retrying when the index writer is unavailable. */
const RETRY_AFTER_SECONDS = 5

const keyCache = new Map<string, Promise<CryptoKey[]>>()
/** Imported keys, kept for the isolate's life: importing on every request would cost a WebCrypto call each. */
function keysFor(secret: string): Promise<CryptoKey[]> {
  const cached = keyCache.get(secret)
  if (cached) return cached
  const keys = importSecrets(secret)
  keyCache.set(secret, keys)
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

/** `POST /webhooks/articles`: verify, parse, normalize each article, hand the delivery to the index writer. */
export async function handleWebhook(c: Context<IngestApp>): Promise<Response> {
  const contentType = c.req.header('content-type') ?? ''
  if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(contentType)) {
    throw new ProblemError(415, 'unsupported-media-type', 'Send the event as Content-Type: application/json.')
  }
  const secret = c.env.WEBHOOK_SECRET
  if (!secret) throw new Error('WEBHOOK_SECRET is not configured')
  const bytes = await readBodyLimited(c.req.raw, LIMITS.maxBodyBytes)
  const check = await verifySignature(
    await keysFor(secret),
    {
      id: c.req.header('webhook-id'),
      timestamp: c.req.header('webhook-timestamp'),
      signature: c.req.header('webhook-signature'),
    },
    bytes,
  )
  if (!check.ok) {
    throw new ProblemError(401, 'invalid-signature', `The webhook signature was refused: ${check.reason}.`)
  }

  const writer = writerStub(c.env)
  const previous = await callWriter(() => writer.lookupDelivery(check.id))
  if (previous) return c.json({ results: previous }, 202, { 'webhook-replayed': 'true' })

  const envelopeCheck = WebhookEnvelopeSchema.safeParse(parseJson(decodeUtf8(bytes)))
  if (!envelopeCheck.success) {
    throw new ProblemError(422, 'invalid-event', 'The event does not match the schema.', {
      errors: fieldErrors(envelopeCheck.error, ''),
    })
  }
  const envelope = envelopeCheck.data
  const eventTime = parseEventTime(envelope.timestamp, check.timestamp)
  const now = new Date()
  let ops: WriteOp[]
  switch (envelope.type) {
    case 'article.upsert': {
      const parsed = ArticleInputSchema.safeParse(envelope.data)
      if (!parsed.success) {
        throw new ProblemError(422, 'invalid-article', 'The article does not match the schema.', {
          errors: fieldErrors(parsed.error, '/data'),
        })
      }
      ops = [await upsertOp(parsed.data, now)]
      break
    }
    case 'article.batch': {
      const batch = BatchSchema.safeParse(envelope.data)
      if (!batch.success) {
        throw new ProblemError(
          422,
          'invalid-batch',
          `data.articles must hold 1 to ${LIMITS.maxBatchArticles} articles.`,
          {
            errors: fieldErrors(batch.error, '/data'),
          },
        )
      }
      ops = []
      for (const [index, raw] of batch.data.articles.entries()) {
        const parsed = ArticleInputSchema.safeParse(raw)
        if (parsed.success) {
          ops.push(await upsertOp(parsed.data, now))
        } else {
          const errors = fieldErrors(parsed.error, `/data/articles/${index}`)
          ops.push({
            kind: 'rejected',
            result: { status: 'rejected', error: errors.map((e) => `${e.pointer}: ${e.detail}`).join('; ') },
          })
        }
      }
      break
    }
    case 'article.delete': {
      const target = DeleteTargetSchema.safeParse(envelope.data)
      if (!target.success) {
        throw new ProblemError(422, 'invalid-delete', 'data must be { "id": string } or { "url": string }.', {
          errors: fieldErrors(target.error, '/data'),
        })
      }
      ops =
        'id' in target.data
          ? [{ kind: 'delete', id: target.data.id }]
          : [{ kind: 'delete', id: await articleIdFor({ url: target.data.url }), url: target.data.url }]
      break
    }
  }
  const delivery: Delivery = { id: check.id, eventTime, ops }
  const results = await callWriter(() => writer.apply(delivery))
  return c.json({ results }, 202)
}

async function upsertOp(input: ArticleInput, now: Date): Promise<WriteOp> {
  try {
    return { kind: 'upsert', article: await normalizeArticle(input, now) }
  } catch (err) {
    const result: ArticleResult = {
      status: 'rejected',
      error: `could not normalize the article: ${err instanceof Error ? err.message : String(err)}`,
    }
    if (input.url) result.url = input.url
    return { kind: 'rejected', result }
  }
}

/** The event's timestamp orders versions of one article; the signed header time stands in when it is absent or invalid. */
function parseEventTime(timestamp: string | undefined, signedSeconds: number): number {
  const ms = timestamp ? Date.parse(timestamp) : Number.NaN
  return Number.isFinite(ms) ? ms : signedSeconds * 1000
}

/** Calls the writer; if it cannot be reached the sender is told to retry, and nothing was accepted. */
async function callWriter<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (err) {
    console.error(JSON.stringify({ level: 'error', msg: 'index writer unavailable', error: String(err) }))
    throw new ProblemError(503, 'writer-unavailable', 'The index writer is unavailable; nothing was stored. Retry.', {
      headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
    })
  }
}
