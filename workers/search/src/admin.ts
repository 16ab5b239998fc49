import { adminAuth } from '@edgewire/shared/access'
import { ProblemError } from '@edgewire/shared/http'
import { MAX_ARTICLE_ID_CHARS } from '@edgewire/shared/search-query'
import { Hono } from 'hono'
import { adminWriterStub, type SearchApp } from './context'

/**
 * Changes made outside the webhook, behind `Authorization: Bearer <ADMIN_TOKEN>`: deleting one article, and
 * reindexing (the writer rewrites every article to KV and rebuilds the segments from what it holds).
 */
export const admin = new Hono<SearchApp>()

const onlyAdmins = adminAuth<SearchApp>((c) => c.env.ADMIN_TOKEN)

admin.delete('/articles/:id', onlyAdmins, async (c) => {
  const id = c.req.param('id')
  if (id.length > MAX_ARTICLE_ID_CHARS) throw new ProblemError(404, 'article-not-found', 'No article with that id.')
  // A delivery of its own, as a webhook delete would be: the writer orders it with every other change.
  const [result] = await adminWriterStub(c.env).apply({
    id: `admin-delete:${crypto.randomUUID()}`,
    eventTime: Date.now(),
    ops: [{ kind: 'delete', id }],
  })
  if (result?.status !== 'deleted') throw new ProblemError(404, 'article-not-found', `No article with id ${id}.`)
  return c.json({ id, status: 'deleted' })
})

admin.post('/admin/reindex', onlyAdmins, async (c) => {
  const outcome = await adminWriterStub(c.env).reindex()
  return c.json(outcome, 202)
})
