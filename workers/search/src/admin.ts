import { adminAuth } from '@edgewire/shared/access'
import { deleteArticleRoute, reindexRoute } from '@edgewire/shared/api-routes'
import { ProblemError } from '@edgewire/shared/http'
import { MAX_ARTICLE_ID_CHARS } from '@edgewire/shared/search-query'
import { allShards, shardOf, writerShards } from '@edgewire/shared/shards'
import { OpenAPIHono } from '@hono/zod-openapi'
import { adminWriterStub, type SearchApp } from './context'

/**
 * Changes made outside the webhook, behind `Authorization: Bearer <ADMIN_TOKEN>`: deleting one article (at the
 * writer of its shard), and reindexing (every shard's writer rewrites its articles to KV and rebuilds its segments
 * from what it holds).
 */
export const admin = new OpenAPIHono<SearchApp>()

const onlyAdmins = adminAuth<SearchApp>((c) => c.env.ADMIN_TOKEN)

admin.openapi({ ...deleteArticleRoute, middleware: [onlyAdmins] }, async (c) => {
  const { id } = c.req.valid('param')
  if (id.length > MAX_ARTICLE_ID_CHARS) throw new ProblemError(404, 'article-not-found', 'No article with that id.')
  // A delivery of its own, as a webhook delete would be: the article's writer orders it with its other changes.
  const [result] = await adminWriterStub(c.env, shardOf(id, writerShards(c.env))).apply({
    id: `admin-delete:${crypto.randomUUID()}`,
    eventTime: Date.now(),
    ops: [{ kind: 'delete', id }],
  })
  if (result?.status !== 'deleted') throw new ProblemError(404, 'article-not-found', `No article with id ${id}.`)
  return c.json({ id, status: 'deleted' as const }, 200)
})

admin.openapi({ ...reindexRoute, middleware: [onlyAdmins] }, async (c) => {
  // Every shard's writer, each rebuilding its own segments; the figures are summed as the index's.
  const outcomes = await Promise.all(
    allShards(writerShards(c.env)).map((shard) => adminWriterStub(c.env, shard).reindex()),
  )
  return c.json(
    {
      documents: outcomes.reduce((n, o) => n + o.documents, 0),
      headSeq: outcomes.reduce((n, o) => n + o.headSeq, 0),
    },
    202,
  )
})
