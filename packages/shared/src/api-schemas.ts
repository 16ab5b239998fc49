import { z } from 'zod'
import { ArticleInputSchema, DeleteTargetSchema, LIMITS } from './article'

/** Response shapes of both workers, defined once: /openapi.json is generated from them and the client types too. */

export const ResultStatusSchema = z.enum(['created', 'updated', 'unchanged', 'deleted', 'queued', 'rejected'])

export const ArticleResultSchema = z
  .object({
    id: z.string().optional(),
    url: z.string().optional(),
    status: ResultStatusSchema,
    error: z.string().optional().meta({ description: 'Why the article was rejected' }),
  })
  .meta({ id: 'ArticleResult' })

export const WebhookResponseSchema = z
  .object({ results: z.array(ArticleResultSchema).meta({ description: 'One result per article, in input order' }) })
  .meta({ id: 'WebhookResponse' })

const eventTimestamp = z.string().optional().meta({ description: "ISO-8601; the event's time" })

/** The body of a webhook, as documented; the ingest worker checks it step by step (webhook.ts) after the signature. */
export const WebhookEventSchema = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('article.upsert'), timestamp: eventTimestamp, data: ArticleInputSchema }),
    z.object({
      type: z.literal('article.batch'),
      timestamp: eventTimestamp,
      data: z.object({ articles: z.array(ArticleInputSchema).min(1).max(LIMITS.maxBatchArticles) }),
    }),
    z.object({ type: z.literal('article.delete'), timestamp: eventTimestamp, data: DeleteTargetSchema }),
  ])
  .meta({ id: 'WebhookEvent' })

export const HealthResponseSchema = z.object({ ok: z.boolean() })

export const AdminInboxResponseSchema = z.object({
  staged: z.number().int().meta({ description: 'Chunks staged in KV, not yet applied' }),
  deadLetters: z
    .array(z.string())
    .meta({ description: 'Keys of chunks whose messages ended in the dead-letter queue' }),
})

export const AdminRedriveResponseSchema = z.object({ redriven: z.number().int() })

export const ReindexResponseSchema = z.object({ documents: z.number().int(), headSeq: z.number().int() })

/** One writer's figures: WriterStats of writer-rpc.ts, documented. */
const writerFigures = {
  documents: z.number().int().meta({ description: 'Live articles' }),
  headSeq: z.number().int(),
  kvPending: z.number().int().meta({ description: 'Articles not yet written to KV' }),
  kvStepRows: z.number().int().meta({
    description:
      "Rows the KV outbox writes in its next step (8 to 50): fewer while KV writes keep calls to the writer waiting (summed: the shards' smallest)",
  }),
  manifestSeq: z.number().int().meta({ description: 'Every change up to here is in a published segment' }),
  segments: z.number().int(),
  segmentBytes: z.number().int(),
  readerCalls: z
    .record(z.enum(['head', 'changeBlock', 'manifest', 'segmentPart', 'getArticle']), z.number().int())
    .meta({ description: 'Calls readers made, by method, since the writer object started' }),
  merges: z.object({ fromSegments: z.number().int(), fromRows: z.number().int() }).meta({
    description:
      'Merges since the writer object started: from the merged segments themselves, or rebuilt from the articles (a segment of another format, or one KV did not give back)',
  }),
  upSeconds: z.number().meta({ description: 'Since the writer object started' }),
}

/**
 * The index writers' figures (`GET /admin/writer` on the ingest worker): summed over the shards (sequence numbers
 * too: each shard counts its own; `upSeconds` is the youngest writer's), and each shard's own, shard 0 first.
 */
export const WriterStatsSchema = z
  .object({
    ...writerFigures,
    shards: z
      .array(z.object(writerFigures).meta({ id: 'ShardWriterStats' }))
      .meta({ description: "Each shard's writer, shard 0 ('main') first" }),
  })
  .meta({ id: 'WriterStats' })

export const SearchHitSchema = z
  .object({
    id: z.string(),
    url: z.string().nullable(),
    title: z.string(),
    source: z.string().nullable(),
    author: z.string().nullable(),
    published: z.string().nullable(),
    lang: z.string(),
    tags: z.array(z.string()),
    score: z.number(),
    snippet: z.string().meta({ description: 'HTML-escaped passage of the body with matches wrapped in <mark>' }),
  })
  .meta({ id: 'SearchHit' })

export const FacetCountSchema = z.object({ value: z.string(), count: z.number().int() })

export const SearchResponseSchema = z
  .object({
    query: z.string(),
    total: z.number().int().meta({ description: 'All matches, not just this page' }),
    offset: z.number().int(),
    limit: z.number().int(),
    hits: z.array(SearchHitSchema),
    facets: z
      .record(z.string(), z.array(FacetCountSchema))
      .optional()
      .meta({ description: 'Counts over all matches, per requested facet' }),
    indexVersion: z
      .number()
      .int()
      .meta({ description: "The shards' sequence numbers summed, over the changes this answer includes" }),
    tookMs: z.number(),
  })
  .meta({ id: 'SearchResponse' })

export const SuggestResponseSchema = z
  .object({ suggestions: z.array(z.object({ text: z.string(), score: z.number() })) })
  .meta({ id: 'SuggestResponse' })

export const StatsResponseSchema = z
  .object({
    documents: z.number().int().meta({ description: 'What search can find now, over every shard' }),
    indexVersion: z
      .number()
      .int()
      .meta({ description: "The shards' sequence numbers summed: never decreases for a reader" }),
    updatedAt: z.string().nullable(),
    syncedAt: z.string().nullable(),
    snapshot: z.object({
      version: z.number().int().meta({ description: "The shards' manifest versions summed" }),
      segments: z.number().int(),
      bytes: z
        .number()
        .int()
        .meta({ description: "The segments' bytes, their body blocks included (read as hits need them)" }),
      pending: z.number().int().meta({ description: 'Changes held in memory, not yet in a segment' }),
    }),
  })
  .meta({ id: 'StatsResponse' })

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    requestId: z.string().optional(),
    errors: z.array(z.object({ pointer: z.string(), detail: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' })

export type SearchResponse = z.infer<typeof SearchResponseSchema>
export type SuggestResponse = z.infer<typeof SuggestResponseSchema>
export type StatsResponse = z.infer<typeof StatsResponseSchema>
export type WebhookResponse = z.infer<typeof WebhookResponseSchema>
