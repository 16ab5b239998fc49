import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import { type ArticleResult, articleIdFor, normalizeArticle } from '@edgewire/shared'
import { allShards, SEGMENT_IDS_PER_SHARD, shardOf } from '@edgewire/shared/shards'
import type { Delivery } from '@edgewire/shared/writer-rpc'
import { describe, expect, it } from 'vitest'
import type { IngestEnv } from '../workers/ingest/src/context'
import { applyDelivery, homeShard } from '../workers/ingest/src/shards'
import type { SearchEnv } from '../workers/search/src/context'
import { LiveIndex } from '../workers/search/src/live-index'
import { directFeed } from '../workers/search/src/writer-feed'
import { allWriters, ingestEnv, SHARDS, shardWriter, urlInShard, writerDown, writerOf, writersStats } from './faults'
import { eventually, INGEST, nextId, SEARCH, SELF, search, searchUntil, sendEvent } from './helpers'

// The index over SHARDS writers (WRITER_SHARDS): each article goes to the writer of its shard (by id), a batch is split over
// them and answered per article in its order, and search isolates follow every shard as one index.

const searchEnv = env as unknown as SearchEnv
const ADMIN = { authorization: `Bearer ${(env as unknown as { ADMIN_TOKEN: string }).ADMIN_TOKEN}` }

const resultsOf = async (res: Response) => ((await res.json()) as { results: ArticleResult[] }).results

describe('sharded writers', () => {
  it('sends each article of a batch to its shard, every shard gets some, and all are searchable as one index', async () => {
    const articles = Array.from({ length: 24 }, (_, i) => ({
      url: `https://shards.example/spread/${i}`,
      title: `Spread story ${i}`,
      text: `Story ${i} of a batch spread over the writers. Marker quillwort.`,
    }))
    const res = await sendEvent('article.batch', { articles })
    expect(res.status).toBe(202)
    const results = await resultsOf(res)
    expect(results.map((r) => r.status)).toEqual(articles.map(() => 'created'))
    const ids = results.map((r) => r.id ?? '')
    expect(ids).toEqual(await Promise.all(articles.map((a) => articleIdFor({ url: a.url }))))
    // These 24 ids fall in every shard (the hash is fixed, so this does not vary between runs).
    expect(new Set(ids.map((id) => shardOf(id, SHARDS)))).toEqual(new Set(allShards(SHARDS)))
    for (const id of ids) {
      // Stored by its shard's writer, and by no other.
      for (const shard of allShards(SHARDS)) {
        const stored = await shardWriter(shard).getArticle(id)
        expect(stored === null ? 'absent' : 'stored').toBe(shard === shardOf(id, SHARDS) ? 'stored' : 'absent')
      }
    }
    const found = await searchUntil({ q: 'quillwort', limit: '100' }, 24)
    expect(new Set(found.hits.map((h) => h.id))).toEqual(new Set(ids))
    // /stats counts every shard, and its version is the sum of the shards' sequence numbers.
    const stats = await eventually(
      async () => {
        const writers = await writersStats()
        const body = (await (await SELF.fetch(`${SEARCH}/stats`)).json()) as { documents: number; indexVersion: number }
        return { body, writers }
      },
      ({ body, writers }) => body.indexVersion === writers.headSeq,
    )
    expect(stats.body.indexVersion).toBe(stats.writers.headSeq)
    expect(stats.body.documents).toBe(stats.writers.documents)
  })

  it('answers a batch split over shards per article, in the order of the batch, and a replay the same', async () => {
    const urls = await Promise.all(allShards(SHARDS).map((shard) => urlInShard('order', shard)))
    const [first, second, third, fourth] = urls
    const seed = await sendEvent('article.upsert', { url: second, title: 'Order seed', text: 'The seed version.' })
    expect((await resultsOf(seed))[0]?.status).toBe('created')
    const articles = [
      { url: fourth, title: 'Order four', text: 'Fourth shard first.' },
      { url: 'not a url', text: 'Rejected in the middle.' },
      { url: second, title: 'Order seed, updated', text: 'The second version.' },
      { url: first, title: 'Order one', text: 'Shard zero.' },
      { title: 'No url and no text' },
      { url: third, title: 'Order three', text: 'Third shard.' },
    ]
    const id = nextId()
    const before = (await writersStats()).headSeq
    const res = await sendEvent('article.batch', { articles }, { id })
    expect(res.status).toBe(202)
    const results = await resultsOf(res)
    expect(results.map((r) => r.status)).toEqual(['created', 'rejected', 'updated', 'created', 'rejected', 'created'])
    expect(results[0]?.id).toBe(await articleIdFor({ url: fourth }))
    expect(results[2]?.id).toBe(await articleIdFor({ url: second }))
    expect(results[3]?.id).toBe(await articleIdFor({ url: first }))
    expect(results[5]?.id).toBe(await articleIdFor({ url: third }))
    expect(results[1]?.error).toMatch(/url/)
    // Four changes, one per shard.
    expect((await writersStats()).headSeq).toBe(before + 4)

    const replay = await sendEvent('article.batch', { articles }, { id })
    expect(replay.headers.get('webhook-replayed')).toBe('true')
    expect(await resultsOf(replay)).toEqual(results)
    expect((await writersStats()).headSeq).toBe(before + 4)
  })

  it('routes updates and deletes of an article to the writer that holds it', async () => {
    for (const shard of allShards(SHARDS)) {
      const url = await urlInShard('route', shard)
      const id = await articleIdFor({ url })
      const writer = writerOf(id)
      const created = await sendEvent('article.upsert', { url, title: `Routed ${shard}`, text: 'Marker sundew one.' })
      expect((await resultsOf(created))[0]?.status).toBe('created')
      const updated = await sendEvent('article.upsert', { url, title: `Routed ${shard} again`, text: 'Marker sundew.' })
      expect((await resultsOf(updated))[0]?.status).toBe('updated')
      expect((await writer.getArticle(id))?.title).toBe(`Routed ${shard} again`)
      const hit = await eventually(
        () => search({ q: 'sundew', limit: '50' }),
        (r) => r.hits.some((h) => h.id === id && h.title === `Routed ${shard} again`),
      )
      expect(hit.hits.filter((h) => h.id === id)).toHaveLength(1)
      const deleted = await sendEvent('article.delete', { url })
      expect((await resultsOf(deleted))[0]?.status).toBe('deleted')
      expect(await writer.getArticle(id)).toBeNull()
      const gone = await eventually(
        () => search({ q: 'sundew', limit: '50' }),
        (r) => !r.hits.some((h) => h.id === id),
      )
      expect(gone.hits.map((h) => h.id)).not.toContain(id)
    }
  })

  it('deletes through the admin route at the article’s shard', async () => {
    const url = await urlInShard('admin', SHARDS - 1)
    const created = await resultsOf(
      await sendEvent('article.upsert', { url, title: 'Admin delete', text: 'Marker bladderwort.' }),
    )
    const id = created[0]?.id ?? ''
    await searchUntil({ q: 'bladderwort' }, 1)
    const res = await SELF.fetch(`${SEARCH}/articles/${id}`, { method: 'DELETE', headers: ADMIN })
    expect(res.status).toBe(200)
    expect(await writerOf(id).getArticle(id)).toBeNull()
    expect((await searchUntil({ q: 'bladderwort' }, 0)).total).toBe(0)
  })

  it('refuses writes to a writer whose articles were placed over another shard count, and queues them until it is set back', async () => {
    const url = await urlInShard('count', 1)
    const id = await articleIdFor({ url })
    const setPlacedBy = (shards: number) =>
      runInDurableObject(writerOf(id), (_instance, state) => {
        state.storage.sql.exec("UPDATE meta SET value = ? WHERE key = 'writer_shards'", String(shards))
      })
    // As after a deploy that changed WRITER_SHARDS: this writer's articles were placed over another count.
    await setPlacedBy(SHARDS + 1)
    const delivery: Delivery = { id: nextId(), eventTime: Date.now(), ops: [] }
    const refused = await writerOf(id)
      .apply(delivery)
      .then(
        () => 'applied',
        (err: unknown) => String(err),
      )
    expect(refused).toContain(
      `WRITER_SHARDS is ${SHARDS}, but this writer's articles were placed over ${SHARDS + 1} writers`,
    )
    const sent = await sendEvent('article.upsert', { url, title: 'Placed again', text: 'Marker butterwort.' })
    expect(sent.status).toBe(202)
    expect((await resultsOf(sent))[0]?.status).toBe('queued')
    expect(await writerOf(id).getArticle(id)).toBeNull()
    // Set back: the queue applies what waited, and it is found once.
    await setPlacedBy(SHARDS)
    const found = await searchUntil({ q: 'butterwort' }, 1)
    expect(found.hits.map((h) => h.id)).toEqual([id])
  })

  it('applies a delivery cut short (its home writer down) once when it comes again: nothing lost, nothing doubled', async () => {
    const id = nextId()
    const home = homeShard(id, SHARDS)
    const urls = await Promise.all(allShards(SHARDS).map((shard) => urlInShard('cut', shard)))
    const articles = await Promise.all(
      urls.map(async (url, i) => ({
        kind: 'upsert' as const,
        article: await normalizeArticle(
          { url, title: `Cut story ${i}`, text: `A delivery cut short, story ${i}.` },
          new Date(),
        ),
      })),
    )
    const delivery: Delivery = { id, eventTime: Date.now(), ops: articles }
    // The home writer fails; the others apply their parts.
    const homeDown = { ...ingestEnv, INDEX: writerDown(home) } satisfies IngestEnv
    const before = (await writersStats()).headSeq
    await expect(applyDelivery(homeDown, delivery)).rejects.toThrow(/down \(injected\)/)
    expect((await writersStats()).headSeq).toBe(before + SHARDS - 1)
    // Sent again: the shards that applied their part answer it as before, the home applies its own and remembers all.
    const results = await applyDelivery(ingestEnv, delivery)
    expect(results.map((r) => r.status)).toEqual(articles.map(() => 'created'))
    expect(results.map((r) => r.id)).toEqual(articles.map((a) => a.article.id))
    expect((await writersStats()).headSeq).toBe(before + SHARDS)
    expect(await shardWriter(home).lookupDelivery(id)).toEqual(results)
  })

  it('gives each shard its own segments, manifest and outbox, with segment ids that never meet', async () => {
    await Promise.all(allWriters().map((w) => runDurableObjectAlarm(w)))
    const manifests = await Promise.all(allWriters().map((w) => w.manifest()))
    for (const [shard, manifest] of manifests.entries()) {
      for (const segment of manifest.segments) {
        expect(Math.floor(segment.id / SEGMENT_IDS_PER_SHARD)).toBe(shard)
      }
    }
    expect(manifests.filter((m) => m.segments.length > 0).length).toBe(SHARDS)
    const res = await SELF.fetch(`${INGEST}/admin/writer`, { headers: ADMIN })
    expect(res.status).toBe(200)
    const body = (await res.json()) as { documents: number; headSeq: number; shards: { documents: number }[] }
    expect(body.shards).toHaveLength(SHARDS)
    expect(body.documents).toBe(body.shards.reduce((n, s) => n + s.documents, 0))
  })

  it('reads every shard into one index whose version is the sum of the shards’ and never goes down', async () => {
    const live = new LiveIndex(
      searchEnv,
      allShards(SHARDS).map((shard) => directFeed(searchEnv, shard)),
      false,
      0,
    )
    const heads = await Promise.all(allWriters().map((w) => w.head()))
    await live.sync()
    expect(live.seq).toBeGreaterThanOrEqual(heads.reduce((n, h) => n + h.headSeq, 0))
    const versions = [live.seq]
    for (const shard of allShards(SHARDS)) {
      const url = await urlInShard('version', shard)
      await sendEvent('article.upsert', { url, title: `Version ${shard}`, text: 'Marker pitcherplant.' })
      await live.sync()
      versions.push(live.seq)
    }
    expect(versions).toEqual([...versions].sort((a, b) => a - b))
    expect((versions.at(-1) ?? 0) - (versions[0] ?? 0)).toBe(SHARDS)
    expect((await live.search({ q: 'pitcherplant', limit: 10, offset: 0, sort: 'relevance' })).total).toBe(SHARDS)
  })
})
