import { runDurableObjectAlarm } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { allWriters, ingestEnv, writersStats } from './faults'
import { eventually, SEARCH, SELF, search, sendEvent } from './helpers'

// Many senders at once: the writer takes deliveries one at a time, so concurrent webhooks cannot lose each other's
// articles or updates, and what search counts equals what KV holds once the outbox is flushed.

interface Result {
  id: string
  status: string
}

async function kvArticleCount(): Promise<number> {
  let count = 0
  let cursor: string | undefined
  for (;;) {
    const page = await ingestEnv.ARTICLES.list({ prefix: 'article:', ...(cursor ? { cursor } : {}) })
    count += page.keys.length
    if (page.list_complete) return count
    cursor = page.cursor
  }
}

/** Runs every writer's maintenance until their KV outboxes are empty. */
async function flushed(): Promise<void> {
  const pending = await eventually(
    async () => {
      await Promise.all(allWriters().map((w) => runDurableObjectAlarm(w)))
      return (await writersStats()).kvPending
    },
    (n) => n === 0,
    60_000,
  )
  expect(pending).toBe(0)
}

describe('concurrent deliveries', () => {
  it('loses none of 1,000 signed upserts sent at once: index count equals KV count', async () => {
    const before = { writer: (await writersStats()).documents, kv: await kvArticleCount() }
    const started = Date.now()
    const responses = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        sendEvent('article.upsert', {
          url: `https://concurrency.example/story/${i}`,
          title: `Concurrent story ${i}`,
          text: `Story number ${i} arrived with 999 others at the same moment. Marker lychee${i % 10} stampede.`,
        }),
      ),
    )
    const statuses = responses.map((r) => r.status)
    const results = (await Promise.all(responses.map((r) => r.json() as Promise<{ results: Result[] }>))).flatMap(
      (b) => b.results,
    )
    const elapsed = Date.now() - started

    expect(statuses.filter((s) => s !== 202)).toEqual([])
    expect(results.filter((r) => r.status !== 'created')).toEqual([])
    expect(new Set(results.map((r) => r.id)).size).toBe(1000)

    await flushed()
    const writerCount = (await writersStats()).documents - before.writer
    const kvCount = (await kvArticleCount()) - before.kv
    const found = await eventually(
      () => search({ q: 'stampede', limit: '1' }),
      (r) => r.total === 1000,
    )
    const stats = (await (await SELF.fetch(`${SEARCH}/stats`)).json()) as { documents: number }
    console.log(
      JSON.stringify({
        upserts: 1000,
        lost: 1000 - found.total,
        writerCount,
        kvCount,
        searchable: found.total,
        elapsed,
      }),
    )
    expect(writerCount).toBe(1000)
    expect(kvCount).toBe(1000)
    expect(found.total).toBe(1000)
    expect(stats.documents).toBe(before.writer + 1000)
    for (const r of results.slice(0, 20)) {
      expect(await ingestEnv.ARTICLES.get(`article:${r.id}`)).not.toBeNull()
    }
  }, 120_000)

  it('keeps the newest of 200 versions of one article sent at once, whatever order they arrive in', async () => {
    const url = 'https://concurrency.example/contested'
    const order = Array.from({ length: 200 }, (_, i) => i).sort(() => Math.random() - 0.5)
    const responses = await Promise.all(
      order.map((v) =>
        sendEvent('article.upsert', {
          url,
          text: `Version ${v} of the contested story.`,
          published: new Date(Date.UTC(2024, 0, 1, 0, 0, v)).toISOString(),
        }),
      ),
    )
    expect(responses.every((r) => r.status === 202)).toBe(true)
    const results = (await Promise.all(responses.map((r) => r.json() as Promise<{ results: Result[] }>))).flatMap(
      (b) => b.results,
    )
    expect(new Set(results.map((r) => r.id)).size).toBe(1)
    const id = results[0]?.id ?? ''
    const article = (await (await SELF.fetch(`${SEARCH}/articles/${id}`)).json()) as { body: string }
    expect(article.body).toBe('Version 199 of the contested story.')
    await flushed()
    expect(JSON.parse((await ingestEnv.ARTICLES.get(`article:${id}`)) ?? '{}').body).toBe(
      'Version 199 of the contested story.',
    )
  })
})
