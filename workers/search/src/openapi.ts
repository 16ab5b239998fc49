import {
  ProblemSchema,
  SearchResponseSchema,
  StatsResponseSchema,
  SuggestResponseSchema,
  WebhookResponseSchema,
} from '@edgewire/shared/api-schemas'
import { ArticleInputSchema, ArticleSchema, DeleteTargetSchema, LIMITS } from '@edgewire/shared/article'
import { QUERY_BOUNDS, SearchQuerySchema, SuggestQuerySchema } from '@edgewire/shared/search-query'
import { z } from 'zod'

/**
 * The OpenAPI 3.1 description of both workers, generated from the zod schemas that validate requests and shape
 * responses (OpenAPI 3.1 schemas are JSON Schema 2020-12, which zod emits), so the document cannot drift from the code.
 */

type JsonSchema = Record<string, unknown>

const PARAM_DOCS: Record<string, string> = {
  q: `The query (at most ${QUERY_BOUNDS.maxQueryChars} characters). Plain words match any of them, ranked, with typos and the last word completed; "a phrase" must appear with its words in that order, adjacent (stop words keep their place; exact: no typos or completion inside quotes); -word and -"a phrase" exclude. An unclosed quote is ignored; only exclusions, or empty, lists by filters, newest first.`,
  limit: `Hits per page, 1 to ${QUERY_BOUNDS.maxLimit}`,
  offset: `Hits to skip, up to ${QUERY_BOUNDS.maxOffset}`,
  sort: 'relevance (default), newest or oldest',
  source: 'Only these sources (repeatable, or comma-separated)',
  author: 'Only these authors (repeatable)',
  lang: 'Only these languages, BCP 47 (repeatable)',
  tag: 'Only articles with one of these tags (repeatable)',
  from: 'Published on or after this ISO-8601 date',
  to: 'Published on or before this ISO-8601 date',
  facets: 'Comma list of source, author, lang, tags: counts over all matches',
  fuzzy: 'Typo tolerance on or off (the server sets how far it goes)',
  prefix: 'Prefix matching of the last word on or off (the server caps expansions)',
}

const REPEATABLE = new Set(['source', 'author', 'lang', 'tag'])

function queryParameters(schema: z.ZodObject): JsonSchema[] {
  const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as {
    properties?: Record<string, JsonSchema>
    required?: string[]
  }
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: json.required?.includes(name) && !('default' in property),
    description: PARAM_DOCS[name],
    schema: REPEATABLE.has(name) ? { type: 'array', items: { type: 'string' } } : property,
    ...(REPEATABLE.has(name) ? { style: 'form', explode: true } : {}),
  }))
}

const ref = (id: string) => ({ $ref: `#/components/schemas/${id}` })
const json = (schema: JsonSchema, description: string) => ({
  description,
  content: { 'application/json': { schema } },
})
const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ref('Problem') } },
})

/** Every schema registered with an `id` (via `.meta({ id })`) becomes a component, referenced by $ref. */
function components(): Record<string, JsonSchema> {
  const { schemas } = z.toJSONSchema(z.globalRegistry, {
    io: 'output',
    unrepresentable: 'any',
    uri: (id) => `#/components/schemas/${id}`,
  })
  const out: Record<string, JsonSchema> = {}
  for (const [id, schema] of Object.entries(schemas)) {
    const { $schema: _schema, $id: _id, ...rest } = schema as JsonSchema
    out[id] = rest
  }
  return out
}

let cached: JsonSchema | null = null

/** The document served at /openapi.json (built once per isolate). */
export function openApiDocument(): JsonSchema {
  if (cached) return cached
  // Touch the schemas so their modules (and .meta ids) are registered before the registry is read.
  void [
    ArticleInputSchema,
    ArticleSchema,
    DeleteTargetSchema,
    ProblemSchema,
    SearchResponseSchema,
    StatsResponseSchema,
    SuggestResponseSchema,
    WebhookResponseSchema,
  ]
  cached = {
    openapi: '3.1.0',
    info: {
      title: 'Edgewire',
      version: '0.1.0',
      description:
        'Serverless news pipeline with search at the edge. The ingest worker takes signed webhooks (Standard Webhooks); the search worker answers queries. Every error is application/problem+json (RFC 9457).',
    },
    servers: [
      { url: 'http://127.0.0.1:8787', description: 'ingest worker (npm start)' },
      { url: 'http://127.0.0.1:8788', description: 'search worker (npm start)' },
    ],
    tags: [
      { name: 'ingest', description: 'The ingest worker' },
      { name: 'search', description: 'The search worker' },
    ],
    paths: {
      '/webhooks/articles': {
        servers: [{ url: 'http://127.0.0.1:8787' }],
        post: {
          tags: ['ingest'],
          summary: 'Send articles (signed per Standard Webhooks)',
          description: `Headers webhook-id, webhook-timestamp (Unix seconds, ±5 minutes) and webhook-signature (v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">; several space-separated while rotating keys). A repeated webhook-id is answered as before and does no work twice. Body at most ${LIMITS.maxBodyBytes / 1024 / 1024} MiB, at most ${LIMITS.maxBatchArticles} articles per batch.`,
          parameters: ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((name) => ({
            name,
            in: 'header',
            required: true,
            schema: { type: 'string' },
          })),
          requestBody: {
            required: true,
            content: {
              'application/json': {
                schema: {
                  oneOf: [
                    {
                      type: 'object',
                      required: ['type', 'data'],
                      properties: {
                        type: { const: 'article.upsert' },
                        timestamp: { type: 'string' },
                        data: ref('ArticleInput'),
                      },
                    },
                    {
                      type: 'object',
                      required: ['type', 'data'],
                      properties: {
                        type: { const: 'article.batch' },
                        timestamp: { type: 'string' },
                        data: {
                          type: 'object',
                          required: ['articles'],
                          properties: {
                            articles: {
                              type: 'array',
                              items: ref('ArticleInput'),
                              minItems: 1,
                              maxItems: LIMITS.maxBatchArticles,
                            },
                          },
                        },
                      },
                    },
                    {
                      type: 'object',
                      required: ['type', 'data'],
                      properties: {
                        type: { const: 'article.delete' },
                        timestamp: { type: 'string' },
                        data: ref('DeleteTarget'),
                      },
                    },
                  ],
                },
              },
            },
          },
          responses: {
            '202': json(ref('WebhookResponse'), 'Accepted: one result per article, in input order'),
            '400': problem('Malformed JSON or bytes (invalid UTF-8, nesting too deep)'),
            '401': problem('Missing or refused signature, or a timestamp outside ±5 minutes'),
            '413': problem('Body over 32 MiB'),
            '415': problem('Content-Type is not application/json'),
            '422': problem('Valid JSON that breaks the schema; errors[] holds JSON pointers'),
            '429': problem('Rate limited; see Retry-After'),
            '503': problem('The index writer is unavailable; nothing was stored; see Retry-After'),
          },
        },
      },
      '/search': {
        get: {
          tags: ['search'],
          summary: 'Search articles',
          parameters: queryParameters(SearchQuerySchema),
          responses: {
            '200': json(ref('SearchResponse'), 'Ranked hits with snippets; an empty index answers total 0'),
            '400': problem('A bad parameter, named in detail and errors[]'),
            '429': problem('Rate limited; see Retry-After'),
          },
        },
      },
      '/suggest': {
        get: {
          tags: ['search'],
          summary: 'Completions for search-as-you-type',
          parameters: queryParameters(SuggestQuerySchema),
          responses: {
            '200': json(ref('SuggestResponse'), 'Suggestions, best first'),
            '400': problem('A bad parameter'),
            '429': problem('Rate limited; see Retry-After'),
          },
        },
      },
      '/articles/{id}': {
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
        get: {
          tags: ['search'],
          summary: 'One normalized article',
          responses: {
            '200': json(ref('Article'), 'The article'),
            '404': problem('No such article'),
            '429': problem('Rate limited; see Retry-After'),
          },
        },
        delete: {
          tags: ['search', 'admin'],
          summary: 'Delete an article (admin)',
          security: [{ admin: [] }],
          responses: {
            '200': json(ref('ArticleResult'), 'Deleted'),
            '401': problem('Missing or wrong ADMIN_TOKEN'),
            '404': problem('No such article'),
          },
        },
      },
      '/admin/reindex': {
        post: {
          tags: ['search', 'admin'],
          summary: 'Rewrite every article to KV and rebuild the index segments (admin)',
          security: [{ admin: [] }],
          responses: {
            '202': { description: 'Started; /stats shows the new snapshot version when done' },
            '401': problem('Missing or wrong ADMIN_TOKEN'),
          },
        },
      },
      '/admin/inbox': {
        servers: [{ url: 'http://127.0.0.1:8787' }],
        get: {
          tags: ['ingest', 'admin'],
          summary: 'Queued deliveries waiting for the writer, and dead letters (admin)',
          security: [{ admin: [] }],
          responses: { '200': { description: 'The inbox' }, '401': problem('Missing or wrong ADMIN_TOKEN') },
        },
      },
      '/admin/redrive': {
        servers: [{ url: 'http://127.0.0.1:8787' }],
        post: {
          tags: ['ingest', 'admin'],
          summary: 'Send dead-lettered deliveries through the queue again (admin)',
          security: [{ admin: [] }],
          responses: { '202': { description: 'Requeued' }, '401': problem('Missing or wrong ADMIN_TOKEN') },
        },
      },
      '/stats': {
        get: {
          tags: ['search'],
          summary: 'Index statistics',
          responses: { '200': json(ref('StatsResponse'), 'Statistics') },
        },
      },
      '/healthz': {
        get: {
          tags: ['search', 'ingest'],
          summary: 'Liveness',
          responses: { '200': json({ type: 'object', properties: { ok: { type: 'boolean' } } }, 'Can serve') },
        },
      },
      '/openapi.json': {
        get: { tags: ['search'], summary: 'This document', responses: { '200': { description: 'OpenAPI 3.1' } } },
      },
    },
    components: {
      schemas: components(),
      securitySchemes: { admin: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN, for admin routes' } },
    },
  }
  return cached
}
