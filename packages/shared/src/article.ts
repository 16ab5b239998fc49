import { z } from 'zod'

/** Limits stated in the contract and README; enforced by the schemas below. */
export const LIMITS = {
  /** Largest webhook body accepted, in bytes (contract: 413 above it). */
  maxBodyBytes: 32 * 1024 * 1024,
  /** Most articles in one `article.batch` event. */
  maxBatchArticles: 5000,
  /** Longest `html` or `text` of one article, in characters. */
  maxContentChars: 4 * 1024 * 1024,
  maxTitleChars: 1000,
  maxUrlChars: 2048,
  maxTags: 50,
  maxTagChars: 100,
} as const

const httpUrl = z
  .string()
  .max(LIMITS.maxUrlChars)
  .refine((value) => {
    try {
      const url = new URL(value)
      return url.protocol === 'http:' || url.protocol === 'https:'
    } catch {
      return false
    }
  }, 'must be an absolute http(s) URL')

/** What a publisher may send for one article. Unknown fields are ignored. */
export const ArticleInputSchema = z
  .object({
    url: httpUrl.optional(),
    externalId: z.string().min(1).max(512).optional(),
    title: z.string().max(LIMITS.maxTitleChars).optional(),
    html: z.string().max(LIMITS.maxContentChars).optional(),
    text: z.string().max(LIMITS.maxContentChars).optional(),
    author: z.string().max(500).optional(),
    published: z.string().max(64).optional(),
    source: z.string().max(200).optional(),
    lang: z.string().max(35).optional(),
    tags: z.array(z.string().max(LIMITS.maxTagChars)).max(LIMITS.maxTags).optional(),
  })
  .refine((a) => a.html !== undefined || a.text !== undefined, {
    message: 'at least one of html or text is required',
    path: ['text'],
  })
  .refine((a) => a.url !== undefined || a.externalId !== undefined, {
    message: 'url or externalId is required to identify the article',
    path: ['url'],
  })
  .meta({ id: 'ArticleInput', description: 'One article as a publisher sends it; at least one of html / text' })

export type ArticleInput = z.infer<typeof ArticleInputSchema>

/** The normalized article, as stored in KV and returned by `GET /articles/:id`. */
export const ArticleSchema = z
  .object({
    id: z.string().meta({ description: 'Stable id: the same canonical url (or externalId) always gives the same id' }),
    url: z
      .string()
      .nullable()
      .meta({ description: 'Canonical url: lower-case host, no fragment, no tracking parameters' }),
    externalId: z.string().nullable(),
    title: z.string(),
    byline: z.string().nullable(),
    author: z.string().nullable(),
    published: z.string().nullable().meta({ description: 'ISO-8601 when known' }),
    source: z.string().nullable(),
    lang: z.string().meta({ description: 'BCP 47 language tag' }),
    tags: z.array(z.string()),
    body: z.string().meta({ description: 'Plain text, paragraphs separated by a blank line, Unicode NFC' }),
    summary: z.string(),
    wordCount: z.number().int(),
    contentHash: z.string().meta({ description: 'SHA-256 of the normalized title and body' }),
    ingestedAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Article' })

export type Article = z.infer<typeof ArticleSchema>

export const DeleteTargetSchema = z
  .union([z.object({ id: z.string().min(1).max(128) }), z.object({ url: httpUrl })])
  .meta({ id: 'DeleteTarget' })

/** The webhook envelope; `data` is checked per type by the ingest worker so each article is judged alone. */
export const WebhookEnvelopeSchema = z.object({
  type: z.enum(['article.upsert', 'article.batch', 'article.delete']),
  timestamp: z.string().optional(),
  data: z.unknown(),
})

export type ResultStatus = 'created' | 'updated' | 'unchanged' | 'deleted' | 'queued' | 'rejected'

export interface ArticleResult {
  id?: string
  url?: string
  status: ResultStatus
  error?: string
}
