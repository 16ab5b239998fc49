import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import { type Article, normalizeArticle } from '@edgewire/shared'
import {
  articleKey,
  bodiesPart,
  readParts,
  segmentPartKey,
  splitParts,
  toIndexDoc,
  writtenNow,
} from '@edgewire/shared/lifecycle'
import { Analyzer, SegmentBuilder } from '@edgewire/shared/search'
import { writerName } from '@edgewire/shared/shards'
import {
  CHANGE_BLOCK_MAX_CHARS,
  CHANGE_BLOCK_SEQS,
  HEAD_TICK_MS,
  headTick,
  type WriteOp,
  type WriterHead,
} from '@edgewire/shared/writer-rpc'
import { describe, expect, it } from 'vitest'
import type { SearchEnv } from '../workers/search/src/context'
import { DistantKv } from '../workers/search/src/distant-kv'
import {
  BLOCKS_AHEAD,
  LiveIndex,
  READ_AHEAD_BLOCKS,
  SWAP_OPEN_BYTES,
  SYNC_LOST_MS,
} from '../workers/search/src/live-index'
import { directFeed, sharedFeed, type WriterFeed } from '../workers/search/src/writer-feed'
import { eventually } from './eventually'

// How a search isolate follows the writer under the edge's real rules: KV that shows a key late, a shared head older
// than the reader, a writer that is down, a segment this code cannot read. The real Durable Object, SQLite, KV and
// Cache API inside workerd; each LiveIndex stands for one search isolate.
const searchEnv = env as unknown as SearchEnv
const writer = () => searchEnv.INDEX.get(searchEnv.INDEX.idFromName('main'))
let deliveries = 0
let keys = 0

async function story(text: string): Promise<Article> {
  return normalizeArticle({ url: `https://live.example/${keys++}`, title: `Story ${keys}`, text }, new Date())
}

const apply = (...ops: WriteOp[]) => writer().apply({ id: `live-${deliveries++}`, eventTime: Date.now(), ops })

/** Upserts `n` new stories in one delivery to the writer 'main', story i's text made by `text(i)`; their ids. */
async function upsertStories(n: number, text: (i: number) => string): Promise<string[]> {
  const articles = await Promise.all(Array.from({ length: n }, (_, i) => story(text(i))))
  await apply(...articles.map((article) => ({ kind: 'upsert' as const, article })))
  return articles.map((a) => a.id)
}

/** Runs the writer's maintenance (flush into a segment, and a merge if one is due) once. */
const maintain = () => runDurableObjectAlarm(writer())

/** The ids a query finds (searchPage: no snippets, so no body blocks read). */
const ids = (live: LiveIndex, q: string) =>
  new Set(live.index.searchPage({ q, limit: 100, offset: 0, sort: 'relevance' }).result.hits.map((h) => h.id))

/** A reader as the tests drive it: syncs run to the end without yielding. */
const reader = (feed: WriterFeed = directFeed(searchEnv), readerEnv: SearchEnv = searchEnv) =>
  new LiveIndex(readerEnv, feed, false, 0)

describe('KV as a distant location sees it (KV_PROPAGATION_MS)', () => {
  it('shows a value only N ms after it was written, and remembers a miss for N ms', async () => {
    let now = Date.now()
    const kv = new DistantKv(searchEnv.ARTICLES, 1000, () => now)
    await searchEnv.ARTICLES.put('distant:a', 'first', writtenNow())
    now += 500
    expect(await kv.get('distant:a', 'text')).toBeNull()
    now += 700
    // Written 1,200 ms ago, long enough, but the miss seen 700 ms ago is remembered for 1,000 ms: still nothing.
    expect(await kv.get('distant:a', 'text')).toBeNull()
    now += 301
    expect(await kv.get('distant:a', 'text')).toBe('first')
  })

  it('remembers a miss of a key not yet written, even once it is', async () => {
    let now = Date.now()
    const kv = new DistantKv(searchEnv.ARTICLES, 5000, () => now)
    expect(await kv.get('distant:b', 'text')).toBeNull()
    await searchEnv.ARTICLES.put('distant:b', 'late', { metadata: { writtenAt: now - 60_000 } })
    now += 4000
    expect(await kv.get('distant:b', 'text')).toBeNull()
    now += 1001
    expect(await kv.get('distant:b', 'text')).toBe('late')
  })
})

describe('a search isolate following the writer', () => {
  it('loads cold while KV shows none of the segment yet: the parts come from the writer', async () => {
    const a = await story('Tin prices rose on the London Metal Exchange. Marker cassiterite.')
    await apply({ kind: 'upsert', article: a })
    await maintain()
    const before = (await writer().stats()).readerCalls.segmentPart
    // A location an hour away from the writer: KV shows it nothing written in the last hour.
    const distant = reader(directFeed(searchEnv), {
      ...searchEnv,
      KV_PROPAGATION_MS: '3600000',
    } as unknown as SearchEnv)
    await distant.sync()
    expect(ids(distant, 'cassiterite')).toEqual(new Set([a.id]))
    expect(distant.segmentRefs.length).toBeGreaterThan(0)
    expect((await writer().stats()).readerCalls.segmentPart).toBeGreaterThan(before)
  })

  it('never goes backwards: a new manifest is swapped in only once it is caught up, and an old head changes nothing', async () => {
    const kept = await story('Nickel output fell in Canada. Marker pentlandite.')
    const gone = await story('A nickel smelter shut. Marker pentlandite.')
    await apply({ kind: 'upsert', article: kept }, { kind: 'upsert', article: gone })

    // A feed whose change blocks can be held, and whose shared head can be an old copy.
    const direct = directFeed(searchEnv)
    let hold: Promise<void> | null = null
    let arrived: () => void = () => undefined
    let oldHead: WriterHead | null = null
    const feed: WriterFeed = {
      ...direct,
      head: async (fresh) => (oldHead && !fresh ? oldHead : direct.head(fresh)),
      changeBlock: async (head, index, sealed) => {
        if (hold) {
          arrived()
          await hold
        }
        return direct.changeBlock(head, index, sealed)
      },
    }
    const live = reader(feed)
    await live.sync()
    expect(ids(live, 'pentlandite')).toEqual(new Set([kept.id, gone.id]))
    const seqBefore = live.seq

    // The writer moves on: a segment with both, then a delete and a new article after it (in no segment yet).
    await maintain()
    const later = await story('Nickel stocks hit a record. Marker pentlandite.')
    await apply({ kind: 'delete', id: gone.id }, { kind: 'upsert', article: later })

    // The reader opens the new manifest and is held at its first change block: searches meanwhile see the index in
    // use, never the new segments without the changes after them.
    let release: () => void = () => undefined
    hold = new Promise<void>((resolve) => {
      release = resolve
    })
    const reachedHold = new Promise<void>((resolve) => {
      arrived = resolve
    })
    const syncing = live.sync()
    await reachedHold
    expect(live.seq).toBe(seqBefore)
    expect(ids(live, 'pentlandite')).toEqual(new Set([kept.id, gone.id]))
    hold = null
    release()
    await syncing
    expect(live.seq).toBeGreaterThan(seqBefore)
    expect(ids(live, 'pentlandite')).toEqual(new Set([kept.id, later.id]))

    // A shared head older than the reader (a copy from before its last read) takes nothing back.
    const seqNow = live.seq
    oldHead = { ...(await writer().head()), headSeq: seqBefore, manifestVersion: 0 }
    await live.sync()
    await live.sync()
    expect(live.seq).toBeGreaterThanOrEqual(seqNow)
    expect(ids(live, 'pentlandite')).toEqual(new Set([kept.id, later.id]))
  })

  it('answers from what it has while the writer is down, and catches up when it is back', async () => {
    const a = await story('Cobalt supply tightened. Marker heterogenite.')
    await apply({ kind: 'upsert', article: a })
    let down = false
    const direct = directFeed(searchEnv)
    const never = new Promise<never>(() => undefined)
    const flaky: WriterFeed = {
      head: (fresh) => (down ? never : direct.head(fresh)),
      manifest: (head) => (down ? never : direct.manifest(head)),
      changeBlock: (head, index, sealed) => (down ? never : direct.changeBlock(head, index, sealed)),
      segmentPart: (head, segment, part) => (down ? never : direct.segmentPart(head, segment, part)),
      article: (id, at) => (down ? never : direct.article(id, at)),
    }
    const live = new LiveIndex(searchEnv, flaky, false, 0)
    await live.ready({ waitUntil: () => undefined })
    expect(ids(live, 'heterogenite')).toEqual(new Set([a.id]))

    down = true
    const b = await story('Cobalt prices doubled. Marker heterogenite.')
    await apply({ kind: 'upsert', article: b })
    live.syncedAt = 1 // long ago: the next search starts a sync, which hangs on the writer
    const started: Promise<unknown>[] = []
    // A warm isolate never waits for the writer: ready() returns although the sync it started never will (nor the
    // round of body blocks read ahead beside it, where KV does not have one).
    await live.ready({ waitUntil: (p) => started.push(p) })
    expect(started).toHaveLength(2)
    expect(ids(live, 'heterogenite')).toEqual(new Set([a.id]))

    down = false
    const back = new LiveIndex(searchEnv, flaky, false, 0)
    await back.sync()
    expect(ids(back, 'heterogenite')).toEqual(new Set([a.id, b.id]))
  })

  it('serves a segment built by another analyzer from the writer’s change blocks until the writer rebuilds it', async () => {
    const a = await story('Zinc concentrate shipments resumed. Marker sphalerite.')
    await apply({ kind: 'upsert', article: a })
    await maintain()
    const manifest = await writer().manifest()
    const newest = manifest.segments.at(-1)
    if (!newest) throw new Error('no segment was written')
    // As if the writer had been deployed first with another analyzer: its segment is unreadable to this reader, and
    // the writer knows it was built by code other than its own now.
    const other = new SegmentBuilder({ analyzer: new Analyzer({ stopWords: false }) })
    other.add(toIndexDoc(a))
    const parts = splitParts(other.finish())
    for (let i = 0; i < newest.parts; i++) {
      await searchEnv.ARTICLES.put(segmentPartKey(newest.id, i), parts[i] ?? new Uint8Array(), writtenNow())
    }
    await runInDurableObject(writer(), async (_, state) => {
      state.storage.sql.exec('UPDATE segments SET format = ? WHERE id = ?', 'another-analyzer', newest.id)
      await state.storage.setAlarm(Date.now()) // as its constructor does when it starts with such segments
    })
    const meanwhile = reader()
    await meanwhile.sync()
    expect(ids(meanwhile, 'sphalerite')).toEqual(new Set([a.id]))
    expect(meanwhile.index.pendingCount).toBeGreaterThan(0)

    // The writer's next maintenance rebuilds that segment with its own analyzer; readers then open every segment.
    await maintain()
    const rebuilt = await writer().manifest()
    expect(rebuilt.segments.map((r) => r.id)).not.toContain(newest.id)
    const after = reader()
    await after.sync()
    expect(ids(after, 'sphalerite')).toEqual(new Set([a.id]))
    expect(after.index.pendingCount).toBe(0)
  })

  it('opens a segment stored in several parts, some in KV and some only at the writer, and reads its body blocks as hits need them', async () => {
    const articles = [
      await story('Cobalt refiners cut output in Zambia. Marker carrollite.'),
      await story('Cobalt prices rose on supply fears. Marker carrollite.'),
      await story('A third cobalt story, longer than the others, so the parts fall inside its text. Marker linnaeite.'),
    ]
    await apply(...articles.map((article) => ({ kind: 'upsert' as const, article })))
    await maintain()
    const ref = (await writer().manifest()).segments.at(-1)
    if (!ref) throw new Error('no segment was written')
    expect(ref.parts).toBe(1)
    expect(ref.bodyBlocks).toBe(1)
    const read = async (part: number) => {
      const value = await searchEnv.ARTICLES.get(segmentPartKey(ref.id, part), 'arrayBuffer')
      if (!value) throw new Error(`part ${part} of the segment is not in KV`)
      return new Uint8Array(value)
    }
    const head = await read(0)
    const bodyBlock = await read(1)
    expect(await read(2)).toEqual(bodyBlock) // the blocks joined: one block
    // As a segment whose head is larger than a KV value is stored: in parts (of 500 bytes here), its body block after
    // them, the manifest saying how many. A location a minute from the writer sees the values written an hour ago in
    // KV; the others come from the writer.
    const parts = [...splitParts(head, 500), bodyBlock, bodyBlock]
    expect(parts.length).toBeGreaterThan(3)
    for (const [i, part] of parts.entries()) {
      const writtenAt = i % 2 === 0 ? Date.now() - 3_600_000 : Date.now()
      await searchEnv.ARTICLES.put(segmentPartKey(ref.id, i), part, { metadata: { writtenAt } })
    }
    await runInDurableObject(writer(), async (_, state) => {
      state.storage.sql.exec('UPDATE segments SET parts = ? WHERE id = ?', parts.length - 2, ref.id)
    })
    const direct = directFeed(searchEnv)
    const fromWriter: number[] = []
    const feed: WriterFeed = {
      ...direct,
      segmentPart: (head, segment, part) => {
        if (segment.id === ref.id) fromWriter.push(part)
        return direct.segmentPart(head, segment, part)
      },
    }
    const distant = reader(feed, { ...searchEnv, KV_PROPAGATION_MS: '60000' } as unknown as SearchEnv)
    await distant.sync()
    expect(distant.segmentRefs.find((r) => r.id === ref.id)?.parts).toBe(parts.length - 2)
    // Exactly the head's parts KV did not show, one after another; no body block at the first load.
    const headFromWriter = parts.slice(0, -2).flatMap((_, i) => (i % 2 === 1 ? [i] : []))
    expect(fromWriter).toEqual(headFromWriter)
    expect(distant.bodyBytes).toBe(0)
    expect(ids(distant, 'carrollite')).toEqual(new Set([articles[0]?.id, articles[1]?.id]))
    // Searches with snippets read the body block once, for all their hits; KV has it (stamped an hour ago) or not.
    const hits = [
      ...(await distant.search({ q: 'carrollite', limit: 10, offset: 0, sort: 'relevance' })).hits,
      ...(await distant.search({ q: 'linnaeite', limit: 10, offset: 0, sort: 'relevance' })).hits,
    ]
    expect(hits.map((h) => h.id).sort()).toEqual(articles.map((a) => a.id).sort())
    for (const hit of hits) {
      const article = articles.find((a) => a.id === hit.id)
      expect(hit.title).toBe(article?.title)
      // The url is stored beside the body, out of the head: read with it.
      expect(hit.url).toBe(article?.url)
      expect(hit.snippet).toMatch(/Marker <mark>(carrollite|linnaeite)<\/mark>\.$/)
    }
    const blockPart = parts.length - 2
    expect(fromWriter).toEqual(blockPart % 2 === 1 ? [...headFromWriter, blockPart] : headFromWriter)
    expect(distant.bodyBytes).toBe(bodyBlock.length)
    expect(distant.index.pendingCount).toBe(0)
  })

  it('takes a hit’s url and body from the article in KV once its body block is gone, and answers without them once that is gone too', async () => {
    const tin = await story('Tin smelters idled in Bolivia. Marker teallite.')
    await apply({ kind: 'upsert', article: tin })
    await maintain()
    const ref = (await writer().manifest()).segments.at(-1)
    if (!ref) throw new Error('no segment was written')
    // The writer's outbox puts the article in KV (in a later round when earlier tests left it rows to write).
    await eventually(
      async () => {
        await maintain()
        return searchEnv.ARTICLES.get(articleKey(tin.id))
      },
      (json) => json !== null,
    )
    // As after a merge replaced the segment minutes ago, while this isolate's index still names it.
    for (let k = 0; k < ref.bodyBlocks; k++) await searchEnv.ARTICLES.delete(segmentPartKey(ref.id, ref.parts + k))
    const live = reader()
    await live.sync()
    const search = () => live.search({ q: 'teallite', limit: 10, offset: 0, sort: 'relevance' })
    const fromArticle = await search()
    expect(fromArticle.hits.map((h) => h.id)).toEqual([tin.id])
    expect(fromArticle.hits[0]?.snippet).toMatch(/Marker <mark>teallite<\/mark>\.$/)
    expect(fromArticle.hits[0]?.url).toBe(tin.url)
    expect(live.bodyBytes).toBe(0)
    await searchEnv.ARTICLES.delete(articleKey(tin.id))
    const without = await search()
    expect(without.hits.map((h) => h.id)).toEqual([tin.id])
    expect(without.hits[0]?.snippet).toBe('')
    expect(without.hits[0]?.url).toBeNull()
    expect(without.hits[0]?.title).toBe(tin.title)
  })

  it('holds a new segment’s body blocks before its swap takes it in, from the writer where KV does not show them', async () => {
    const direct = directFeed(searchEnv)
    const asked: number[] = []
    const feed: WriterFeed = {
      ...direct,
      segmentPart: (head, segment, part) => {
        asked.push(part)
        return direct.segmentPart(head, segment, part)
      },
    }
    // A location a minute from the writer: KV shows none of the new segment's values.
    const distant = reader(feed, { ...searchEnv, KV_PROPAGATION_MS: '60000' } as unknown as SearchEnv)
    await distant.sync()
    await apply({ kind: 'upsert', article: await story('Manganese output fell in Gabon. Marker pyrolusite.') })
    await maintain()
    const ref = (await writer().manifest()).segments.at(-1)
    if (!ref) throw new Error('no segment was written')
    asked.length = 0
    await distant.sync()
    expect(distant.segmentRefs.map((r) => r.id)).toContain(ref.id)
    // Its head's parts and then all its body blocks in one value, from the writer, before any search.
    expect(asked).toEqual([...Array.from({ length: ref.parts }, (_, i) => i), bodiesPart(ref)])
    expect(distant.bodyBytes).toBeGreaterThanOrEqual(ref.bodyBytes)
    // Its snippet asks the writer nothing more.
    const { hits } = await distant.search({ q: 'pyrolusite', limit: 10, offset: 0, sort: 'relevance' })
    expect(hits[0]?.snippet).toMatch(/Marker <mark>pyrolusite<\/mark>\.$/)
    expect(asked).toHaveLength(ref.parts + 1)
  })

  it('reads the body blocks of its segments ahead, a few at each request, until it holds them all', async () => {
    await apply({ kind: 'upsert', article: await story('Nickel smelters restarted. Marker pentlandite.') })
    await maintain()
    const live = reader()
    await live.ready({ waitUntil: () => undefined })
    expect(live.bodyBytes).toBe(0)
    // What KV holds of them (an earlier test deleted a segment's block).
    let all = 0
    for (const ref of live.segmentRefs) {
      for (let k = 0; k < ref.bodyBlocks; k++) {
        const block = await searchEnv.ARTICLES.get(segmentPartKey(ref.id, ref.parts + k), 'arrayBuffer')
        all += block?.byteLength ?? 0
      }
    }
    expect(all).toBeGreaterThan(0)
    let requests = 0
    while (live.bodyBytes < all && requests < 1000) {
      const started: Promise<unknown>[] = []
      await live.ready({ waitUntil: (p) => started.push(p) })
      await Promise.all(started)
      requests++
    }
    expect(live.bodyBytes).toBe(all)
    const blocks = live.segmentRefs.reduce((n, r) => n + r.bodyBlocks, 0)
    expect(requests).toBeGreaterThanOrEqual(Math.ceil(blocks / READ_AHEAD_BLOCKS))
    // Held: a search's snippets read nothing more.
    const { hits } = await live.search({ q: 'pentlandite', limit: 10, offset: 0, sort: 'relevance' })
    expect(hits[0]?.snippet).toMatch(/Marker <mark>pentlandite<\/mark>\.$/)
    expect(live.bodyBytes).toBe(all)
  })

  it('reads the parts of a segment from KV into one buffer byte for byte, and refuses parts that do not add up', async () => {
    const bytes = Uint8Array.from({ length: 5000 }, (_, i) => (i * 31) % 251)
    const parts = splitParts(bytes, 1024)
    for (const [i, part] of parts.entries()) await searchEnv.ARTICLES.put(`parts-test:${i}`, part)
    const fromKv = async (i: number) => {
      const value = await searchEnv.ARTICLES.get(`parts-test:${i}`, 'arrayBuffer')
      if (!value) throw new Error(`part ${i} missing`)
      return new Uint8Array(value)
    }
    expect(await readParts(bytes.length, parts.length, fromKv)).toEqual(bytes)
    await expect(readParts(bytes.length - 1, parts.length, fromKv)).rejects.toThrow(/pass its/)
    await expect(readParts(bytes.length, parts.length - 1, fromKv)).rejects.toThrow(/hold 4096 of its 5000 bytes/)
  })

  it('swaps moved shards one at a time past SWAP_OPEN_BYTES, the others at the next syncs however young the index', async () => {
    const writers = [0, 1].map((shard) => searchEnv.INDEX.get(searchEnv.INDEX.idFromName(writerName(shard))))
    const upsert = async (shard: number, text: string) => {
      const article = await story(text)
      const w = writers[shard]
      if (!w) throw new Error(`no writer ${shard}`)
      await w.apply({ id: `swap-${deliveries++}`, eventTime: Date.now(), ops: [{ kind: 'upsert', article }] })
      await runDurableObjectAlarm(w)
      return article
    }
    const versions = async () => (await Promise.all(writers.map((w) => w.manifest()))).map((m) => m.version)
    const found = [await upsert(0, 'Bauxite exports rose. Marker gibbsite.'), await upsert(1, 'Marker gibbsite.')]
    // The manifests in use may be two seconds old before a swap pays, and a swap may open one byte of new segments
    // (one shard's, however large, at least).
    const live = new LiveIndex(
      searchEnv,
      [0, 1].map((shard) => directFeed(searchEnv, shard)),
      false,
      2000,
      SYNC_LOST_MS,
      1,
    )
    await live.sync()
    const [loaded0 = 0, loaded1 = 0] = await versions()
    expect(live.manifestVersion).toBe(loaded0 + loaded1)
    found.push(
      await upsert(0, 'Alumina output fell. Marker gibbsite.'),
      await upsert(1, 'Smelters idle. Marker gibbsite.'),
    )
    const [moved0 = 0, moved1 = 0] = await versions()
    expect(moved0).toBeGreaterThan(loaded0)
    expect(moved1).toBeGreaterThan(loaded1)
    await new Promise((resolve) => setTimeout(resolve, 2100))
    // Both shards moved: this swap opens shard 0's new manifest only; shard 1's change comes from its blocks.
    await live.sync()
    expect(live.manifestVersion).toBe(moved0 + loaded1)
    expect(ids(live, 'gibbsite')).toEqual(new Set(found.map((a) => a.id)))
    // The next sync swaps shard 1, though its index is younger than two seconds.
    await live.sync()
    expect(live.manifestVersion).toBe(moved0 + moved1)
    expect(ids(live, 'gibbsite')).toEqual(new Set(found.map((a) => a.id)))
    expect(live.index.pendingCount).toBe(0)
  })

  it('does not swap to a manifest far behind the writer: follows the blocks until a flush catches up, or the swap halves its memtable', async () => {
    await maintain()
    // Swaps pay at any age, but may replay at most 2 changes unless that halves the memtable.
    const live = new LiveIndex(searchEnv, directFeed(searchEnv), false, 0, SYNC_LOST_MS, SWAP_OPEN_BYTES, 2)
    await live.sync()
    const loaded = live.manifestVersion
    const upsert = (n: number) => upsertStories(n, (i) => `Tungsten story ${i}. Marker scheelite.`)
    const found = [...(await upsert(1))]
    await maintain()
    found.push(...(await upsert(3)))
    // The writer's newest manifest is 3 changes behind its head: the reader takes all 4 from the blocks instead.
    await live.sync()
    await live.sync()
    expect(live.manifestVersion).toBe(loaded)
    expect(live.index.pendingCount).toBe(4)
    expect(ids(live, 'scheelite')).toEqual(new Set(found))
    // A flush catches up with the head: the swap replays nothing.
    await maintain()
    await live.sync()
    expect(live.manifestVersion).toBeGreaterThan(loaded)
    expect(live.index.pendingCount).toBe(0)
    const flushed = live.manifestVersion
    // 4 changes followed from the blocks, then 3 after a flush of them: replaying 3 of 7 halves the memtable.
    found.push(...(await upsert(4)))
    await maintain()
    found.push(...(await upsert(3)))
    await live.sync()
    expect(live.manifestVersion).toBe(flushed)
    expect(live.index.pendingCount).toBe(7)
    await live.sync()
    expect(live.manifestVersion).toBeGreaterThan(flushed)
    expect(live.index.pendingCount).toBe(3)
    expect(ids(live, 'scheelite')).toEqual(new Set(found))
  })

  it('follows at most memtableMaxDocs documents in its memtable, and goes on once a flush lets a swap free them', async () => {
    await maintain()
    const live = new LiveIndex(searchEnv, directFeed(searchEnv), false, 0, SYNC_LOST_MS, SWAP_OPEN_BYTES, 500, 3)
    await live.sync()
    const loaded = live.manifestVersion
    const upsert = (n: number) => upsertStories(n, (i) => `Vanadinite find ${i}.`)
    const first = await upsert(5)
    // Full at 3: the first three in order, and no more however often it syncs while the writer has not flushed.
    await live.sync()
    await live.sync()
    expect(live.index.pendingCount).toBe(3)
    expect(ids(live, 'vanadinite')).toEqual(new Set(first.slice(0, 3)))
    expect(live.manifestVersion).toBe(loaded)
    // The flush holds all five: the swap frees the memtable and the reader follows on.
    await maintain()
    const more = await upsert(4)
    await live.sync()
    expect(live.manifestVersion).toBeGreaterThan(loaded)
    expect(live.index.pendingCount).toBe(3)
    expect(ids(live, 'vanadinite')).toEqual(new Set([...first, ...more.slice(0, 3)]))
  })

  it('swaps once its memtable is half full, so a feed of batches never fills it and stops it following', async () => {
    await maintain()
    // Manifests young for the whole test (a minute), a memtable of 8: only being half full makes a swap pay.
    const live = new LiveIndex(searchEnv, directFeed(searchEnv), false, 60_000, SYNC_LOST_MS, SWAP_OPEN_BYTES, 500, 8)
    await live.sync()
    const loaded = live.manifestVersion
    const batch = async (n: number) => {
      const found = await upsertStories(n, (i) => `Wulfenite lot ${i}.`)
      await maintain()
      return found
    }
    const first = await batch(3)
    await live.sync() // follows the blocks: three of eight
    await live.sync()
    // Three of eight: the flush is not worth a swap yet.
    expect(live.manifestVersion).toBe(loaded)
    expect(live.index.pendingCount).toBe(3)
    const second = await batch(2)
    await live.sync() // follows the blocks: five of eight
    await live.sync()
    // Five of eight: the swap to the flushed manifest empties the memtable before the next batch could fill it.
    expect(live.manifestVersion).toBeGreaterThan(loaded)
    expect(live.index.pendingCount).toBe(0)
    const third = await batch(5)
    await live.sync()
    expect(ids(live, 'wulfenite')).toEqual(new Set([...first, ...second, ...third]))
  })

  it('goes on following the writer on the index in use while a swap reads its new manifest and segments', async () => {
    await maintain()
    const direct = directFeed(searchEnv)
    let release: () => void = () => undefined
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    let swapReading = false
    const feed: WriterFeed = {
      ...direct,
      // The swap's first read (the writer's new manifest) waits, as a swap's reads wait where KV lags.
      manifest: async (head) => {
        if (live.manifestVersion >= 0) {
          swapReading = true
          await held
        }
        return direct.manifest(head)
      },
    }
    const live = new LiveIndex(searchEnv, feed, false, 0)
    await live.sync()
    const loaded = live.manifestVersion
    const flushed = await story('Lithium brine output rose. Marker spodumene.')
    await apply({ kind: 'upsert', article: flushed })
    await maintain()
    const later = await story('Lithium prices fell. Marker spodumene.')
    await apply({ kind: 'upsert', article: later })
    const { headSeq } = await writer().head()

    const syncing = live.sync()
    await eventually(
      async () => live.seq,
      (seq) => seq === headSeq,
    )
    // Both found from the blocks while the swap waits; the manifest in use is still the old one.
    expect(swapReading).toBe(true)
    expect(live.manifestVersion).toBe(loaded)
    expect(ids(live, 'spodumene')).toEqual(new Set([flushed.id, later.id]))
    const meanwhile = await story('Lithium miners hired. Marker spodumene.')
    await apply({ kind: 'upsert', article: meanwhile })
    await eventually(
      async () => {
        live.syncedAt = 0
        await Promise.race([live.sync(), new Promise((resolve) => setTimeout(resolve, 50))])
        return live.seq
      },
      (seq) => seq === headSeq + 1,
    )
    expect(ids(live, 'spodumene')).toEqual(new Set([flushed.id, later.id, meanwhile.id]))

    // The swap goes on: it brings the new index up to the one in use before it swaps, so nothing goes back.
    release()
    await syncing
    await live.sync()
    expect(live.manifestVersion).toBeGreaterThan(loaded)
    expect(live.seq).toBe(headSeq + 1)
    expect(ids(live, 'spodumene')).toEqual(new Set([flushed.id, later.id, meanwhile.id]))
  })

  it("counts an unmoved shard's changes in a swap's replay: all shards share the memtable the swap rebuilds", async () => {
    const writers = [0, 1].map((shard) => searchEnv.INDEX.get(searchEnv.INDEX.idFromName(writerName(shard))))
    const upsert = async (shard: number, n: number) => {
      const w = writers[shard]
      if (!w) throw new Error(`no writer ${shard}`)
      const articles = await Promise.all(
        Array.from({ length: n }, (_, i) => story(`Gallium note ${shard}-${i}. Marker gallite.`)),
      )
      await w.apply({
        id: `replay-${deliveries++}`,
        eventTime: Date.now(),
        ops: articles.map((article) => ({ kind: 'upsert' as const, article })),
      })
      return articles.map((a) => a.id)
    }
    for (const w of writers) await runDurableObjectAlarm(w)
    // Swaps pay at any age, but may replay at most 2 changes unless that halves the memtable.
    const live = new LiveIndex(
      searchEnv,
      [0, 1].map((shard) => directFeed(searchEnv, shard)),
      false,
      0,
      SYNC_LOST_MS,
      SWAP_OPEN_BYTES,
      2,
    )
    await live.sync()
    const loaded = live.manifestVersion
    // Shard 0 flushes its one change (nothing to replay there); shard 1 has 3 changes in no segment yet.
    const found = await upsert(0, 1)
    const w0 = writers[0]
    if (!w0) throw new Error('no writer 0')
    await runDurableObjectAlarm(w0)
    found.push(...(await upsert(1, 3)))
    for (let i = 0; i < 2; i++) await live.sync()
    // A swap would replay shard 1's 3 changes into a memtable of 4 (not half of it): the reader follows the blocks.
    expect(live.manifestVersion).toBe(loaded)
    expect(ids(live, 'gallite')).toEqual(new Set(found))
    const w1 = writers[1]
    if (!w1) throw new Error('no writer 1')
    await runDurableObjectAlarm(w1)
    await live.sync()
    expect(live.manifestVersion).toBeGreaterThan(loaded)
    expect(live.index.pendingCount).toBe(0)
    expect(ids(live, 'gallite')).toEqual(new Set(found))
  })

  it('reads sealed change blocks ahead of the one it applies, and applies them in order', async () => {
    await maintain()
    const direct = directFeed(searchEnv)
    const live = new LiveIndex(searchEnv, direct, false, 0)
    await live.sync()
    const articles = await Promise.all(
      Array.from({ length: CHANGE_BLOCK_SEQS * 3 + 10 }, (_, i) => story(`Vanadium note ${i}. Marker patronite.`)),
    )
    await apply(...articles.map((article) => ({ kind: 'upsert' as const, article })))
    // The first article changes again, into the last block.
    const first = articles[0]
    if (!first) throw new Error('no article')
    const changed = { ...first, title: 'Vanadium revised. Marker roscoelite.' }
    await apply({ kind: 'upsert', article: changed })
    let inFlight = 0
    let most = 0
    const feed: WriterFeed = {
      ...direct,
      changeBlock: async (head, index, sealed) => {
        most = Math.max(most, ++inFlight)
        try {
          await new Promise((resolve) => setTimeout(resolve, 5))
          return await direct.changeBlock(head, index, sealed)
        } finally {
          inFlight--
        }
      },
    }
    const follower = new LiveIndex(searchEnv, feed, false)
    await follower.sync()
    expect(most).toBeGreaterThan(1)
    expect(most).toBeLessThanOrEqual(BLOCKS_AHEAD + 1)
    const total = (q: string) => follower.index.searchPage({ q, limit: 1, offset: 0, sort: 'relevance' }).result.total
    // Each article once: the changed one's older copy, in the first block, is replaced by the newer.
    expect(total('patronite')).toBe(articles.length)
    expect(ids(follower, 'roscoelite')).toEqual(new Set([changed.id]))
    expect(follower.seq).toBe(live.seq + articles.length + 1)
  })

  it('reads a block of long articles in pieces within CHANGE_BLOCK_MAX_CHARS, and follows every article', async () => {
    await maintain()
    const live = new LiveIndex(searchEnv, directFeed(searchEnv), false)
    await live.sync()
    // Five articles of about 1.1 Mi characters: one block's worth passes the bound, and the answer is cut short.
    const long = await normalizeArticle(
      {
        url: 'https://live.example/long',
        title: 'Molybdenum output. Marker molybdenite.',
        text: 'Mine output rose again this quarter at the roaster. '.repeat(22_000),
      },
      new Date(),
      { budgetMs: Number.POSITIVE_INFINITY },
    )
    const articles = Array.from({ length: 5 }, (_, i) => ({ ...long, id: `${long.id}-${i}` }))
    await apply(...articles.map((article) => ({ kind: 'upsert' as const, article })))
    const { headSeq } = await writer().head()
    const block = Math.floor((headSeq - 5) / CHANGE_BLOCK_SEQS)
    const answer = await writer().changeBlock(block)
    const chars = answer.changes.reduce((n, c) => n + JSON.stringify(c.article).length, 0)
    expect(answer.more).toBe(true)
    expect(answer.changes.length).toBeGreaterThan(0)
    expect(chars).toBeLessThanOrEqual(CHANGE_BLOCK_MAX_CHARS + JSON.stringify(long).length)
    expect(answer.headSeq).toBeLessThan(headSeq)
    await live.sync()
    expect(live.seq).toBe(headSeq)
    const found = await live.search({ q: 'molybdenite', limit: 10, offset: 0, sort: 'relevance' })
    expect(new Set(found.hits.map((h) => h.id))).toEqual(new Set(articles.map((a) => a.id)))
    // Gone before the writer's next flush: the later tests' cold loads need not index 5 Mi characters.
    await apply(...articles.map((a) => ({ kind: 'delete' as const, id: a.id })))
  })

  it('follows new changes without swapping manifests at every flush, and swaps once it pays', async () => {
    const first = await story('Platinum output rose. Marker sperrylite.')
    await apply({ kind: 'upsert', article: first })
    await maintain()
    const live = new LiveIndex(searchEnv, directFeed(searchEnv), false)
    await live.sync()
    const version = live.manifestVersion
    const second = await story('Platinum prices fell. Marker sperrylite.')
    await apply({ kind: 'upsert', article: second })
    await maintain()
    expect((await writer().head()).manifestVersion).toBeGreaterThan(version)
    // A newer manifest, but the reader's is young and its memtable small: it takes the change from the blocks.
    await live.sync()
    expect(live.manifestVersion).toBe(version)
    expect(ids(live, 'sperrylite')).toEqual(new Set([first.id, second.id]))
    // A reader whose manifest is old enough swaps.
    const eager = new LiveIndex(searchEnv, directFeed(searchEnv), false, 0)
    await eager.sync()
    await eager.sync()
    expect(eager.manifestVersion).toBeGreaterThan(version)
    expect(ids(eager, 'sperrylite')).toEqual(new Set([first.id, second.id]))
  })

  it('answers the requests waiting for its first load before it builds the typo dictionaries, and builds them beside the next', async () => {
    const a = await story('Nickel prices climbed. Marker qorvandite.')
    await apply({ kind: 'upsert', article: a })
    await maintain()
    // The first load swaps its index in without the dictionaries that typo and prefix expansion read.
    const live = reader()
    await live.sync()
    expect(live.index.prepared).toBe(false)
    // A query that expands a word (a typo) builds what it reads itself, and finds the same.
    expect(ids(live, 'qorvamdite')).toEqual(new Set([a.id]))
    // Through ready(), as a request loads it: the dictionaries are built beside the requests, in its waitUntil.
    const requested = reader()
    const beside: Promise<unknown>[] = []
    await requested.ready({ waitUntil: (promise) => beside.push(promise) })
    expect(beside).toHaveLength(1)
    await Promise.all(beside)
    expect(requested.index.prepared).toBe(true)
    // A later swap, which requests do not wait for, builds them before the new index serves.
    await apply({ kind: 'upsert', article: await story('Nickel output fell. Marker qorvandite.') })
    await maintain()
    const version = requested.manifestVersion
    await requested.sync()
    expect(requested.manifestVersion).toBeGreaterThan(version)
    expect(requested.index.prepared).toBe(true)
  })

  it('shares one head per location between isolates through the Cache API', async () => {
    await apply({ kind: 'upsert', article: await story('Lead prices eased. Marker galena.') })
    const shared = () => sharedFeed(searchEnv, caches.default, 'test-location')
    const first = reader(shared())
    await first.sync()
    const before = (await writer().stats()).readerCalls.head
    const startTick = headTick()
    const isolates = Array.from({ length: 16 }, () => reader(shared()))
    for (const live of isolates) await live.sync()
    const ticks = headTick() - startTick + 1
    const after = (await writer().stats()).readerCalls.head
    // Sixteen isolates synced one after another; the writer was asked at most once in each HEAD_TICK_MS they spanned.
    expect(after - before).toBeLessThanOrEqual(ticks)
    for (const live of isolates) expect(ids(live, 'galena').size).toBe(1)
  })

  it("joins the writer calls of a location's isolates in its relay when their caches miss at once", async () => {
    // No flush during the test (one manifest version throughout): the writer's scheduled maintenance is taken away.
    const noFlush = () => runInDurableObject(writer(), (_, state) => state.storage.deleteAlarm())
    await apply({ kind: 'upsert', article: await story('Tin output rose. Marker wolframite.') })
    await noFlush()
    const before = (await writer().stats()).readerCalls
    const startTick = headTick()
    // Sixteen cold isolates of one location, each with a cache of its own (the worst case: nothing shared there),
    // syncing all at once, twice, while an article arrives between the rounds.
    const isolates = await Promise.all(
      Array.from({ length: 16 }, async (_, i) =>
        reader(sharedFeed(searchEnv, await caches.open(`isolate-${i}`), 'relay-location')),
      ),
    )
    await Promise.all(isolates.map((live) => live.sync()))
    await apply({ kind: 'upsert', article: await story('Tin smelters hired. Marker wolframite.') })
    await noFlush()
    // The next tick: a head shared during this one may predate the article (readers are a tick behind at most).
    await new Promise((resolve) => setTimeout(resolve, HEAD_TICK_MS))
    await Promise.all(isolates.map((live) => live.sync()))
    const ticks = headTick() - startTick + 1
    const { readerCalls: after, headSeq, manifestSeq } = await writer().stats()
    // Blocks wholly between the manifest and the head: each read once, then kept by the relay.
    const sealed = Math.floor(headSeq / CHANGE_BLOCK_SEQS) - Math.floor(manifestSeq / CHANGE_BLOCK_SEQS)
    // The writer saw one head and one newest block per tick (not sixteen), each sealed block and the manifest once.
    expect(after.head - before.head).toBeLessThanOrEqual(ticks)
    expect(after.changeBlock - before.changeBlock).toBeLessThanOrEqual(ticks + sealed)
    expect(after.manifest - before.manifest).toBe(1)
    for (const live of isolates) expect(ids(live, 'wolframite').size).toBe(2)
  })

  it('finishes a sync that takes longer than the lost bound in all while it keeps making progress', async () => {
    const a = await story('Moss piglets survived the vacuum. Marker tardigradite.')
    await apply({ kind: 'upsert', article: a })
    await maintain()
    // Every call to the writer takes 1.5 s (a writer busy with other work): a cold load asks at least for its head and
    // its manifest, 3 s in all, longer than the 2.4 s after which a sync without progress is taken for lost. A call
    // may come up to 0.9 s late on a loaded machine before it counts as no progress, and a sync started over by its
    // age would be by one of the searches that arrive in the last 0.6 s or more.
    const direct = directFeed(searchEnv)
    const late = <T>(answer: () => Promise<T>) => new Promise((resolve) => setTimeout(resolve, 1500)).then(answer)
    let heads = 0
    const slow: WriterFeed = {
      head: (fresh) => {
        heads++
        return late(() => direct.head(fresh))
      },
      manifest: (head) => late(() => direct.manifest(head)),
      changeBlock: (head, index, sealed) => late(() => direct.changeBlock(head, index, sealed)),
      segmentPart: (head, segment, part) => late(() => direct.segmentPart(head, segment, part)),
      article: (id, at) => late(() => direct.article(id, at)),
    }
    const live = new LiveIndex(searchEnv, slow, false, 0, 2400)
    const ctx = { waitUntil: () => undefined }
    // Searches keep arriving every 100 ms while the first load runs, as they do at the edge: none may start it over.
    let loading = true
    const started = Date.now()
    const answers = [live.ready(ctx).finally(() => (loading = false))]
    while (loading) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      if (loading) answers.push(live.ready(ctx))
    }
    const settled = await Promise.allSettled(answers)
    expect(
      settled.filter((r) => r.status === 'rejected').map((r) => String(r.status === 'rejected' && r.reason)),
    ).toEqual([])
    // Longer than the lost bound in all (each of its writer calls takes 1.5 s), with searches arriving throughout,
    // and never started over: one sync, one head read. How many searches arrived depends on the machine's load.
    expect(Date.now() - started).toBeGreaterThan(2400)
    expect(answers.length).toBeGreaterThan(1)
    expect(heads).toBe(1)
    expect(ids(live, 'tardigradite')).toEqual(new Set([a.id]))
  })

  it('answers a request that waited for a first load taken for lost from the load that replaced it, not with 503', async () => {
    const a = await story('Salt flats flooded. Marker halitoid.')
    await apply({ kind: 'upsert', article: a })
    await maintain()
    const direct = directFeed(searchEnv)
    // The first head call makes no progress (a writer call stuck somewhere) until the load that replaces it asks for
    // its own head; every later call is prompt. So the first load cannot finish before it is replaced, however slow
    // the machine.
    let heads = 0
    let replaced = () => {}
    const replacing = new Promise<void>((resolve) => {
      replaced = resolve
    })
    const feed: WriterFeed = {
      ...direct,
      head: (fresh) => {
        if (heads++ === 0) return replacing.then(() => direct.head(fresh))
        replaced()
        return direct.head(fresh)
      },
    }
    const live = new LiveIndex(searchEnv, feed, false, 0, 100)
    const ctx = { waitUntil: () => undefined }
    const first = live.ready(ctx)
    await new Promise((resolve) => setTimeout(resolve, 150))
    // Past the lost bound: this request starts a new load, which replaces the first one.
    await live.ready(ctx)
    await expect(first).resolves.toBeUndefined()
    expect(heads).toBeGreaterThanOrEqual(2)
    expect(ids(live, 'halitoid')).toEqual(new Set([a.id]))
  })
})
