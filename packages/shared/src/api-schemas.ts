import { z } from 'zod'

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
    indexVersion: z.number().int().meta({ description: 'Sequence number of the last change this answer includes' }),
    tookMs: z.number(),
  })
  .meta({ id: 'SearchResponse' })

export const SuggestResponseSchema = z
  .object({ suggestions: z.array(z.object({ text: z.string(), score: z.number() })) })
  .meta({ id: 'SuggestResponse' })

export const StatsResponseSchema = z
  .object({
    documents: z.number().int().meta({ description: 'What search can find now' }),
    indexVersion: z.number().int(),
    updatedAt: z.string().nullable(),
    syncedAt: z.string().nullable(),
    snapshot: z.object({
      version: z.number().int(),
      segments: z.number().int(),
      bytes: z.number().int(),
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
