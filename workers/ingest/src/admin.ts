import { inboxRoute, redriveRoute, writerStatsRoute } from '@edgewire/shared/api-routes'
import { allShards, writerShards } from '@edgewire/shared/shards'
import { OpenAPIHono } from '@hono/zod-openapi'
import { type IngestApp, type IngestEnv, writerStub } from './context'
import { INBOX_PREFIX, type InboxMessage } from './inbox'
import { DEAD_LETTER_PREFIX } from './queue-consumer'
import { summedStats } from './shards'

/** Admin routes of the ingest worker (under /admin, behind ADMIN_TOKEN): the writer's figures, the inbox, seen and sent again. */
export const admin = new OpenAPIHono<IngestApp>()

/** Every key under a prefix, with its metadata, page by page. */
async function listAll(env: IngestEnv, prefix: string): Promise<{ name: string; metadata: unknown }[]> {
  const out: { name: string; metadata: unknown }[] = []
  let cursor: string | undefined
  for (;;) {
    const page = await env.ARTICLES.list({ prefix, ...(cursor ? { cursor } : {}) })
    for (const key of page.keys) out.push({ name: key.name, metadata: key.metadata })
    if (page.list_complete) return out
    cursor = page.cursor
  }
}

const isMessage = (m: unknown): m is InboxMessage =>
  typeof m === 'object' &&
  m !== null &&
  (m as { v?: unknown }).v === 1 &&
  typeof (m as { key?: unknown }).key === 'string'

/** `GET /admin/writer`: the index writers' figures (live articles, sequence, KV outbox, segments), summed and per shard. */
admin.openapi(writerStatsRoute, async (c) => {
  const shards = await Promise.all(allShards(writerShards(c.env)).map((shard) => writerStub(c.env, shard).stats()))
  return c.json({ ...summedStats(shards), shards }, 200)
})

/** `GET /admin/inbox`: chunks still staged (not yet applied) and dead letters recorded. */
admin.openapi(inboxRoute, async (c) => {
  const [staged, dead] = await Promise.all([listAll(c.env, INBOX_PREFIX), listAll(c.env, DEAD_LETTER_PREFIX)])
  return c.json({ staged: staged.length, deadLetters: dead.map((d) => d.name) }, 200)
})

/**
 * `POST /admin/redrive`: sends every staged chunk to the queue again, for instance after its message ended in the
 * dead-letter queue and the cause was fixed. Chunks applied in the meantime are recognized and skipped.
 */
admin.openapi(redriveRoute, async (c) => {
  const staged = (await listAll(c.env, INBOX_PREFIX)).flatMap((k) => (isMessage(k.metadata) ? [k.metadata] : []))
  for (let i = 0; i < staged.length; i += 100) {
    await c.env.INGEST_QUEUE.sendBatch(staged.slice(i, i + 100).map((body) => ({ body, contentType: 'json' as const })))
  }
  return c.json({ redriven: staged.length }, 202)
})
