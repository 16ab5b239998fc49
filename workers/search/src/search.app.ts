import { rateLimit, rateLimitCharge } from '@edgewire/shared/access'
import {
  articleRoute,
  healthRoute,
  onInvalidRequest,
  openApiRoute,
  searchRoute,
  statsRoute,
  suggestRoute,
} from '@edgewire/shared/api-routes'
import type { Article } from '@edgewire/shared/article'
import { accessLog, methodNotAllowed, onNotFound, onProblem, ProblemError } from '@edgewire/shared/http'
import { articleKey } from '@edgewire/shared/lifecycle'
import { MAX_ARTICLE_ID_CHARS } from '@edgewire/shared/search-query'
import { OpenAPIHono } from '@hono/zod-openapi'
import type { Context } from 'hono'
import { cors } from 'hono/cors'
import { requestId } from 'hono/request-id'
import { admin } from './admin'
import type { SearchApp } from './context'
import { kvReader } from './distant-kv'
import { liveIndex } from './live-index'
import { openApiDocument } from './openapi'

/**
 * The search worker: answers queries from this isolate's live index, and articles from KV. Each route is served with
 * `app.openapi(route, handler)` from its declaration in @edgewire/shared/api-routes, which validates it and documents it.
 */
export const app = new OpenAPIHono<SearchApp>({ defaultHook: onInvalidRequest })

app.use(requestId())
app.use(accessLog('search'))
app.onError(onProblem)
app.notFound(onNotFound)
// Any page may read: CORS on the read routes only, GET and HEAD only, no credentials. Admin routes get none,
// so a browser never sends a cross-origin DELETE or reindex (its preflight is refused).
const readCors = cors({ origin: '*', allowMethods: ['GET', 'HEAD'], allowHeaders: ['Accept', 'Content-Type'] })
app.use('/search', readCors)
app.use('/suggest', readCors)
app.use('/articles/*', readCors)
app.use('/stats', readCors)
// One limit (one counter per address) for every limited route. Reads never wait for its verdict, and ask it on every
// READS_PER_LIMITER_CALL-th read of an address in an isolate (wrangler.toml's limit is reads a minute divided by it);
// writes and misses of /articles/:id wait, and each counts as that many reads. (Hono answers HEAD through the GET
// routes, these included.)
export const READS_PER_LIMITER_CALL = 16
const limiter = {
  binding: (c: Context<SearchApp>) => c.env.SEARCH_RATE_LIMIT,
  periodSeconds: 60,
  scope: 'search',
  mode: 'ahead',
  requestsPerCall: READS_PER_LIMITER_CALL,
} as const
app.on('GET', ['/search', '/suggest', '/articles/*', '/stats'], rateLimit<SearchApp>(limiter))
// A miss costs more than a read (a KV read that finds nothing, perhaps a wait for the index's sync), and a client
// walking random ids makes nothing but misses: each is charged as READS_PER_LIMITER_CALL reads, before its 404.
const chargeMiss = rateLimitCharge<SearchApp>(limiter)
const waitLimit = rateLimit<SearchApp>({ ...limiter, mode: 'wait' })
app.use('/admin/*', waitLimit)
app.on('DELETE', '/articles/*', waitLimit)

app.openapi(healthRoute, (c) => c.json({ ok: true }, 200))
app.openapi(openApiRoute, (c) => c.json(openApiDocument(app)))

app.openapi(searchRoute, async (c) => {
  const started = performance.now()
  const params = c.req.valid('query')
  const live = liveIndex(c.env, c.req.raw)
  await live.ready(c.executionCtx)
  const result = await live.search({
    q: params.q,
    limit: params.limit,
    offset: params.offset,
    sort: params.sort,
    ...(params.source ? { source: params.source } : {}),
    ...(params.author ? { author: params.author } : {}),
    ...(params.lang ? { lang: params.lang } : {}),
    ...(params.tag ? { tag: params.tag } : {}),
    ...(params.from !== undefined ? { from: params.from } : {}),
    ...(params.to !== undefined ? { to: params.to } : {}),
    ...(params.facets ? { facets: params.facets } : {}),
    ...(params.fuzzy !== undefined ? { fuzzy: params.fuzzy } : {}),
    ...(params.prefix !== undefined ? { prefix: params.prefix } : {}),
  })
  return c.json(
    {
      query: params.q,
      total: result.total,
      offset: params.offset,
      limit: params.limit,
      hits: result.hits,
      ...(result.facets ? { facets: result.facets } : {}),
      indexVersion: live.seq,
      tookMs: Math.round((performance.now() - started) * 100) / 100,
    },
    200,
  )
})

app.openapi(suggestRoute, async (c) => {
  const params = c.req.valid('query')
  const live = liveIndex(c.env, c.req.raw)
  await live.ready(c.executionCtx)
  return c.json({ suggestions: live.index.suggest(params.q, params.limit) }, 200)
})

app.route('/', admin)

app.openapi(articleRoute, async (c) => {
  const { id } = c.req.valid('param')
  // Longer ids were never stored, and KV refuses keys over 512 bytes: not found, without asking.
  if (id.length > MAX_ARTICLE_ID_CHARS) {
    await chargeMiss(c)
    throw new ProblemError(404, 'article-not-found', 'No article with that id.')
  }
  const json = await kvReader(c.env.ARTICLES, c.env.KV_PROPAGATION_MS).get(articleKey(id), 'text')
  if (json !== null) return c.json(JSON.parse(json) as Article, 200)
  // KV may not show an article yet (it is written just after the writer commits, and takes a while to reach every
  // location): the isolate's index knows whether it exists, and only then is the writer asked (see recentArticle).
  const article = await liveIndex(c.env, c.req.raw).recentArticle(id, c.executionCtx)
  if (article) return c.json(article, 200)
  await chargeMiss(c)
  throw new ProblemError(404, 'article-not-found', `No article with id ${id}.`)
})

app.openapi(statsRoute, async (c) => {
  const live = liveIndex(c.env, c.req.raw)
  await live.ready(c.executionCtx)
  return c.json(
    {
      documents: live.index.documentCount,
      indexVersion: live.seq,
      updatedAt: live.updatedAt,
      syncedAt: live.syncedAt ? new Date(live.syncedAt).toISOString() : null,
      snapshot: {
        version: live.manifestVersion,
        segments: live.segmentRefs.length,
        bytes: live.segmentRefs.reduce((n, s) => n + s.bytes + s.bodyBytes, 0),
        pending: live.index.pendingCount,
      },
    },
    200,
  )
})

for (const path of ['/search', '/suggest', '/stats', '/healthz']) app.all(path, () => methodNotAllowed(['GET']))
