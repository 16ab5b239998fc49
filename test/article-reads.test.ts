import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test'
import { articleKey } from '@edgewire/shared/lifecycle'
import { allShards } from '@edgewire/shared/shards'
import type { WriterStats } from '@edgewire/shared/writer-rpc'
import { describe, expect, it } from 'vitest'
import { summedStats } from '../workers/ingest/src/shards'
import { type SearchEnv, writerStub } from '../workers/search/src/context'
import { DistantKv } from '../workers/search/src/distant-kv'
import search from '../workers/search/src/index'
import { LiveIndex } from '../workers/search/src/live-index'
import { directFeed, type WriterFeed } from '../workers/search/src/writer-feed'
import { SHARDS } from './faults'
import { eventually, SEARCH, SELF, sendEvent } from './helpers'

// GET /articles/:id when KV has nothing: an id never accepted is answered 404 from what the isolate knows, without a
// call to the writer, however many such ids arrive; an article accepted a moment ago that KV does not show yet is
// still served. The writer counts the calls readers make on it (`stats().readerCalls`).

const searchEnv = env as unknown as SearchEnv
/** Each shard's writer's figures, shard 0 first (readers ask the writer of the article's shard). */
const eachWriterStats = () => Promise.all(allShards(SHARDS).map((k) => writerStub(searchEnv, k).stats()))
const articleCalls = async () => summedStats(await eachWriterStats()).readerCalls.getArticle

/** An hour from the writer: KV shows this location nothing written in the last hour. */
const FAR_MS = 3_600_000
const farEnv = { ...searchEnv, KV_PROPAGATION_MS: String(FAR_MS) } as unknown as SearchEnv

/** GET through the search worker's real entry point, as a location an hour from the writer sees KV. */
async function getFar(path: string): Promise<Response> {
  const ctx = createExecutionContext()
  const res = await search.fetch(new Request(`${SEARCH}${path}`), farEnv, ctx)
  await waitOnExecutionContext(ctx)
  return res
}

const randomId = () =>
  Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('')

async function created(url: string, title: string): Promise<string> {
  const res = await sendEvent('article.upsert', { url, title, text: `${title}. A story accepted a moment ago.` })
  const { results } = (await res.json()) as { results: { id: string; status: string }[] }
  expect(results[0]?.status).toBe('created')
  return results[0]?.id ?? ''
}

describe('GET /articles/:id when KV has nothing', () => {
  it('answers ids never accepted 404 problem+json without a writer call, however many arrive at once', async () => {
    // Something to hold, so the index is loaded and the misses are misses of a real index.
    await created('https://reads.example/held', 'A held story')
    expect((await SELF.fetch(`${SEARCH}/stats`)).status).toBe(200)
    const before = await eachWriterStats()
    const ids = Array.from({ length: 100 }, randomId)
    const answers = await Promise.all(
      ids.map(async (id, i) => {
        // Half as this location sees KV, half as a location where KV shows nothing recent at all.
        const res = i % 2 ? await SELF.fetch(`${SEARCH}/articles/${id}`) : await getFar(`/articles/${id}`)
        return { status: res.status, type: res.headers.get('content-type'), body: await res.text() }
      }),
    )
    for (const a of answers) {
      expect(a.status).toBe(404)
      expect(a.type).toMatch(/^application\/problem\+json/)
      expect(JSON.parse(a.body)).toMatchObject({ status: 404, type: expect.stringContaining('article-not-found') })
    }
    const after = await eachWriterStats()
    // The index's own syncs go on beside them (one head per location per HEAD_TICK_MS and writer), never one per miss.
    const calls = (s: WriterStats) => Object.values(s.readerCalls).reduce((n, c) => n + c, 0)
    for (const [shard, was] of before.entries()) {
      const now = after[shard]
      expect(now?.readerCalls.getArticle).toBe(was.readerCalls.getArticle)
      expect((now ? calls(now) : 0) - calls(was)).toBeLessThan(ids.length / 4)
    }
  })

  it('answers GET /stats from the isolate’s index, never with a writer call each, however many arrive at once', async () => {
    await created('https://reads.example/counted', 'A counted story')
    expect((await SELF.fetch(`${SEARCH}/stats`)).status).toBe(200)
    const before = await eachWriterStats()
    const answers = await Promise.all(
      Array.from({ length: 100 }, async () => {
        const res = await SELF.fetch(`${SEARCH}/stats`)
        return { status: res.status, body: (await res.json()) as { documents: number } }
      }),
    )
    for (const a of answers) {
      expect(a.status).toBe(200)
      expect(a.body.documents).toBeGreaterThan(0)
    }
    const after = await eachWriterStats()
    // Only the index's own syncs reach the writer (one head per location per HEAD_TICK_MS and writer).
    const calls = (s: WriterStats) => Object.values(s.readerCalls).reduce((n, c) => n + c, 0)
    for (const [shard, was] of before.entries()) {
      const now = after[shard]
      expect((now ? calls(now) : 0) - calls(was)).toBeLessThan(answers.length / 4)
    }
  })

  it('serves an article accepted a moment ago while KV does not show it, asking the writer once per index version at most', async () => {
    const id = await created('https://reads.example/fresh', 'A fresh story')
    const before = await articleCalls()
    const res = await eventually(
      () => getFar(`/articles/${id}`),
      (r) => r.status === 200,
    )
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ id, title: 'A fresh story', url: 'https://reads.example/fresh' })
    // This location's KV did not show it: the copy came from the writer, through the location's cache.
    expect(await new DistantKv(searchEnv.ARTICLES, FAR_MS).get(articleKey(id), 'text')).toBeNull()
    expect(await articleCalls()).toBeGreaterThan(before)

    // Many reads of it: the writer is asked once per index version they saw, not once per read.
    const version = async () =>
      ((await (await SELF.fetch(`${SEARCH}/stats`)).json()) as { indexVersion: number }).indexVersion
    const start = await articleCalls()
    const firstVersion = await version()
    for (let i = 0; i < 50; i++) expect((await getFar(`/articles/${id}`)).status).toBe(200)
    const versions = (await version()) - firstVersion + 1
    expect((await articleCalls()) - start).toBeLessThanOrEqual(versions)
  })

  it('answers 404 once an article is deleted, though KV at that location never showed it', async () => {
    const id = await created('https://reads.example/gone', 'A story soon gone')
    expect(
      (
        await eventually(
          () => getFar(`/articles/${id}`),
          (r) => r.status === 200,
        )
      ).status,
    ).toBe(200)
    const res = await sendEvent('article.delete', { id })
    expect(((await res.json()) as { results: { status: string }[] }).results[0]?.status).toBe('deleted')
    const gone = await eventually(
      () => getFar(`/articles/${id}`),
      (r) => r.status === 404,
    )
    expect(gone.status).toBe(404)
    expect(gone.headers.get('content-type')).toMatch(/^application\/problem\+json/)
  })

  it('answers 503 with Retry-After, not 404, for an article it holds while the writer cannot say', async () => {
    const id = await created('https://reads.example/unreachable', 'A story the writer cannot serve now')
    // Every shard's writer, read directly, none of which can serve an article.
    const down = allShards(SHARDS).map(
      (shard): WriterFeed => ({
        ...directFeed(searchEnv, shard),
        article: () => Promise.reject(new Error('index writer is down (injected)')),
      }),
    )
    const live = new LiveIndex(farEnv, down, false, 0)
    await live.sync()
    const ctx = { waitUntil: () => undefined }
    await expect(live.recentArticle(id, ctx)).rejects.toMatchObject({ status: 503, headers: { 'retry-after': '1' } })
    // An id it does not hold is still a plain miss: the writer is not needed to say so.
    expect(await live.recentArticle(randomId(), ctx)).toBeNull()
  })
})
