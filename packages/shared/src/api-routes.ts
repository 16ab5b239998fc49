import { createRoute, type RouteConfig } from '@hono/zod-openapi'
import { z } from 'zod'
import {
  AdminInboxResponseSchema,
  AdminRedriveResponseSchema,
  ArticleResultSchema,
  HealthResponseSchema,
  ProblemSchema,
  ReindexResponseSchema,
  SearchResponseSchema,
  StatsResponseSchema,
  SuggestResponseSchema,
  WebhookEventSchema,
  WebhookResponseSchema,
  WriterStatsSchema,
} from './api-schemas'
import { ArticleSchema, LIMITS } from './article'
import { ArticleIdParamsSchema, invalidParameters, SearchQuerySchema, SuggestQuerySchema } from './search-query'

/**
 * Every route of both workers, declared once with its schemas (`@hono/zod-openapi`): each worker serves a route with
 * `app.openapi(route, handler)`, which validates its parameters with these schemas and enters the route into the
 * worker's OpenAPI registry, and the search worker's /openapi.json is generated from that registry. The routes live in
 * this package because the one document describes both workers, and a worker imports no other worker's source.
 */

/**
 * Both apps' `defaultHook`: parameters a route's schema refuses get a 400 problem+json naming each one, thrown to the
 * app's error handler like every other problem (the library's default would answer zod's own error object).
 */
export function onInvalidRequest(result: { success: true } | { success: false; error: z.ZodError }): void {
  if (!result.success) throw invalidParameters(result.error.issues)
}

const json = (schema: z.ZodType, description: string) => ({
  description,
  content: { 'application/json': { schema } },
})
const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ProblemSchema } },
})
const html = (description: string) => ({ description, content: { 'text/html': { schema: z.string() } } })

const RATE_LIMITED = problem('Rate limited; see Retry-After')
const NOT_ADMIN = problem('Missing or wrong ADMIN_TOKEN')
const INGEST_SERVER = [{ url: 'http://127.0.0.1:8787', description: 'ingest worker (npm start)' }]
const ADMIN = [{ admin: [] }]

// ---- both workers ----

export const healthRoute = createRoute({
  method: 'get',
  path: '/healthz',
  tags: ['search', 'ingest'],
  summary: 'Liveness',
  responses: { 200: json(HealthResponseSchema, 'Can serve') },
})

// ---- the ingest worker ----

export const webhookRoute = createRoute({
  method: 'post',
  path: '/webhooks/articles',
  servers: INGEST_SERVER,
  tags: ['ingest'],
  summary: 'Send articles (signed per Standard Webhooks)',
  description: `Headers webhook-id, webhook-timestamp (Unix seconds, ±5 minutes) and webhook-signature (v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">; several space-separated while rotating keys). A repeated webhook-id is answered as before and does no work twice. Body at most ${LIMITS.maxBodyBytes / 1024 / 1024} MiB, at most ${LIMITS.maxBatchArticles} articles per batch.`,
  // Headers and body are documented, not validated by the route: the webhook checks the signature over the raw bytes
  // before it reads any of them (webhook.ts), and judges each article of a batch alone. A zod body declared here would
  // be parsed first; INGEST_ROUTES adds it to the document only.
  parameters: ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((name) => ({
    name,
    in: 'header' as const,
    required: true,
    schema: { type: 'string' as const },
  })),
  responses: {
    202: json(WebhookResponseSchema, 'Accepted: one result per article, in input order'),
    400: problem('Malformed JSON or bytes (invalid UTF-8, nesting too deep), or a body unlike its Content-Length'),
    401: problem(
      'Missing, malformed or refused signature, or a timestamp outside ±5 minutes (all but the last refused from the headers, before the body is read)',
    ),
    413: problem(
      `Body over ${LIMITS.maxBodyBytes / 1024 / 1024} MiB (from Content-Length before reading, or while reading)`,
    ),
    415: problem('Content-Type is not application/json'),
    422: problem('Valid JSON that breaks the schema; errors[] holds JSON pointers'),
    429: RATE_LIMITED,
    503: problem(
      'The index writer and the inbox are unavailable, or too many large deliveries at once; nothing was stored; see Retry-After',
    ),
  },
})

export const inboxRoute = createRoute({
  method: 'get',
  path: '/admin/inbox',
  servers: INGEST_SERVER,
  tags: ['ingest', 'admin'],
  summary: 'Queued deliveries waiting for the writer, and dead letters (admin)',
  security: ADMIN,
  responses: { 200: json(AdminInboxResponseSchema, 'The inbox'), 401: NOT_ADMIN },
})

export const redriveRoute = createRoute({
  method: 'post',
  path: '/admin/redrive',
  servers: INGEST_SERVER,
  tags: ['ingest', 'admin'],
  summary: 'Send staged deliveries through the queue again (admin)',
  security: ADMIN,
  responses: { 202: json(AdminRedriveResponseSchema, 'Requeued'), 401: NOT_ADMIN },
})

export const writerStatsRoute = createRoute({
  method: 'get',
  path: '/admin/writer',
  servers: INGEST_SERVER,
  tags: ['ingest', 'admin'],
  summary: "The index writer's own figures: live articles, sequence, KV outbox, segments (admin)",
  security: ADMIN,
  responses: { 200: json(WriterStatsSchema, 'The figures'), 401: NOT_ADMIN },
})

/** The ingest worker's own routes (healthRoute besides) as the search worker's document shows them, the body included. */
export const INGEST_ROUTES: readonly RouteConfig[] = [
  {
    ...webhookRoute,
    request: { body: { required: true, content: { 'application/json': { schema: WebhookEventSchema } } } },
  },
  inboxRoute,
  redriveRoute,
  writerStatsRoute,
]

// ---- the search worker ----

export const searchRoute = createRoute({
  method: 'get',
  path: '/search',
  tags: ['search'],
  summary: 'Search articles',
  request: { query: SearchQuerySchema },
  responses: {
    200: json(SearchResponseSchema, 'Ranked hits with snippets; an empty index answers total 0'),
    400: problem('A bad parameter, named in detail and errors[]'),
    429: RATE_LIMITED,
  },
})

export const suggestRoute = createRoute({
  method: 'get',
  path: '/suggest',
  tags: ['search'],
  summary: 'Completions for search-as-you-type',
  request: { query: SuggestQuerySchema },
  responses: {
    200: json(SuggestResponseSchema, 'Suggestions, best first'),
    400: problem('A bad parameter'),
    429: RATE_LIMITED,
  },
})

export const articleRoute = createRoute({
  method: 'get',
  path: '/articles/{id}',
  tags: ['search'],
  summary: 'One normalized article',
  description:
    'Answers the articles search can find: one accepted before the request is served even before KV shows it. A 404 ' +
    'comes from the isolate itself, without asking the index writer, and counts as 16 reads of the rate limit.',
  request: { params: ArticleIdParamsSchema },
  responses: {
    200: json(ArticleSchema, 'The article'),
    404: problem('No such article'),
    429: RATE_LIMITED,
    503: problem('The index is loading, or the article is not readable here yet; see Retry-After'),
  },
})

export const deleteArticleRoute = createRoute({
  method: 'delete',
  path: '/articles/{id}',
  tags: ['search', 'admin'],
  summary: 'Delete an article (admin)',
  security: ADMIN,
  request: { params: ArticleIdParamsSchema },
  responses: { 200: json(ArticleResultSchema, 'Deleted'), 401: NOT_ADMIN, 404: problem('No such article') },
})

export const reindexRoute = createRoute({
  method: 'post',
  path: '/admin/reindex',
  tags: ['search', 'admin'],
  summary: 'Rewrite every article to KV and rebuild the index segments (admin)',
  security: ADMIN,
  responses: {
    202: json(ReindexResponseSchema, 'Started; /stats shows the new snapshot version when done'),
    401: NOT_ADMIN,
  },
})

export const statsRoute = createRoute({
  method: 'get',
  path: '/stats',
  tags: ['search'],
  summary: 'Index statistics',
  responses: { 200: json(StatsResponseSchema, 'Statistics'), 429: RATE_LIMITED },
})

export const openApiRoute = createRoute({
  method: 'get',
  path: '/openapi.json',
  tags: ['search'],
  summary: 'This document: OpenAPI 3.1, both workers',
  responses: { 200: { description: 'OpenAPI 3.1' } },
})

/**
 * The pages, served by Workers Static Assets before the worker runs (built from workers/search/page/), so documented
 * only.
 */
export const PAGE_ROUTES: readonly RouteConfig[] = [
  createRoute({
    method: 'get',
    path: '/',
    tags: ['search'],
    summary: 'The search page (a static asset, as are its script and styles under /assets/)',
    responses: { 200: html('The page') },
  }),
  createRoute({
    method: 'get',
    path: '/docs',
    tags: ['search'],
    summary: 'This document as an API reference page (a static asset, as is its script)',
    responses: { 200: html('The reference page') },
  }),
]
