import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import { type Article, normalizeArticle, Segment } from '@edgewire/shared'
import { articleKey, bodiesPart, FLUSH_MAX_CHARS, segmentPartKey } from '@edgewire/shared/lifecycle'
import type { WriteOp } from '@edgewire/shared/writer-rpc'
import { describe, expect, it } from 'vitest'
import sample from '../packages/shared/src/search/fixtures/news-sample.json'
import type { SearchEnv } from '../workers/search/src/context'
import { LiveIndex } from '../workers/search/src/live-index'
import { directFeed } from '../workers/search/src/writer-feed'
import {
  BUILD_PAGE_CHARS,
  BURST_QUIET_MS,
  buildPageCharsMax,
  KV_STEP_MIN_ROWS,
  KV_STEP_ROWS,
  nextStepRows,
} from '../workers/writer/src/index-writer'
import { eventually } from './eventually'

// The index lifecycle against the real Durable Object, SQLite and KV inside workerd. Each LiveIndex stands for a
// search isolate: a new one is a cold start.
const searchEnv = env as unknown as SearchEnv
const writer = () => searchEnv.INDEX.get(searchEnv.INDEX.idFromName('main'))
let deliveries = 0

async function article(key: string, text: string, title = `Story ${key}`): Promise<Article> {
  // These tests are about the writer, not the CPU budget (test/cpu-budget.test.ts): an article of 1.7 Mi characters
  // on a loaded machine may take longer than the budget to normalize.
  return normalizeArticle({ url: `https://lifecycle.example/${key}`, title, text }, new Date(), {
    budgetMs: Number.POSITIVE_INFINITY,
  })
}

/**
 * The writer's burst bookkeeping runs on a clock the tests drive (IndexWriter's `clock`): a burst is a run of
 * changes less than BURST_QUIET_MS apart, and a loaded machine cannot promise that pace in wall time.
 */
let now = Date.now()
async function driveClock(): Promise<void> {
  await runInDurableObject(writer(), (instance) => {
    Reflect.set(instance, 'clock', () => now)
  })
}

async function apply(...ops: WriteOp[]) {
  await driveClock()
  return writer().apply({ id: `lifecycle-${deliveries++}`, eventTime: Date.now(), ops })
}

/**
 * Runs the writer's alarm until no flush or merge is left. Merges wait while a burst is on (a change within
 * BURST_QUIET_MS), so by default this first lets the burst end (the clock moves past it); `{ burst: true }` runs the
 * alarm inside it.
 */
async function settle(options: { burst?: boolean } = {}): Promise<void> {
  await driveClock()
  if (!options.burst) now += BURST_QUIET_MS
  for (let i = 0; i < 50; i++) {
    const before = await writer().stats()
    await runDurableObjectAlarm(writer())
    const after = await writer().stats()
    if (after.manifestSeq === after.headSeq && after.segments === before.segments) return
  }
}

async function coldReader(): Promise<LiveIndex> {
  const live = new LiveIndex(searchEnv, directFeed(searchEnv), false, 0)
  await live.sync()
  return live
}

/** The ids a query finds (searchPage: no snippets, so no body blocks read). */
const ids = (live: LiveIndex, q: string, offset = 0) =>
  live.index.searchPage({ q, limit: 100, offset, sort: 'relevance' }).result.hits.map((h) => h.id)

/** Every hit's id, page after page. */
function allIds(live: LiveIndex, q: string): string[] {
  const out: string[] = []
  for (let offset = 0; ; offset += 100) {
    const page = ids(live, q, offset)
    out.push(...page)
    if (page.length < 100) return out
  }
}

describe('the index lifecycle', () => {
  it('publishes segments that a cold reader loads, then catches up on later changes', async () => {
    const a = await article('a', 'Copper prices rallied in London.')
    await apply({ kind: 'upsert', article: a })
    await settle()
    const manifest = await writer().manifest()
    expect(manifest.segments.length).toBe(1)
    expect(manifest.seq).toBe((await writer().stats()).headSeq)

    const b = await article('b', 'Copper miners in Chile went on strike.')
    await apply({ kind: 'upsert', article: b })
    const live = await coldReader()
    expect(live.manifestVersion).toBe(manifest.version)
    expect(new Set(ids(live, 'copper'))).toEqual(new Set([a.id, b.id]))
    expect(live.index.pendingCount).toBe(1)
  })

  it('hides a deleted article from cold readers after its segment was written', async () => {
    const gone = await article('gone', 'The zinc smelter closed for good.')
    await apply({ kind: 'upsert', article: gone })
    await settle()
    await apply({ kind: 'delete', id: gone.id })
    await settle()
    const live = await coldReader()
    expect(ids(live, 'zinc smelter')).toEqual([])
    expect((await writer().manifest()).tombstones).toContain(gone.id)
  })

  it('shows only the newest version after an update, with no stale snippet', async () => {
    const v1 = await article('upd', 'Nickel output fell sharply in the first quarter.')
    await apply({ kind: 'upsert', article: v1 })
    await settle()
    const v2 = await article('upd', 'Nickel output rose again in the second quarter.')
    await apply({ kind: 'upsert', article: v2 })
    const beforeFlush = await coldReader()
    await settle()
    const afterFlush = await coldReader()
    for (const live of [beforeFlush, afterFlush]) {
      const { hits } = await live.search({ q: 'nickel', limit: 10, offset: 0, sort: 'relevance' })
      expect(hits.map((h) => h.id)).toEqual([v1.id])
      expect(hits[0]?.snippet).toContain('rose again')
      expect(ids(live, 'fell sharply')).toEqual([])
    }
  })

  it('brings back an article deleted and then sent again', async () => {
    const back = await article('back', 'Tin stocks were rebuilt over the winter.')
    await apply({ kind: 'upsert', article: back })
    await settle()
    await apply({ kind: 'delete', id: back.id })
    await settle()
    await apply({ kind: 'upsert', article: await article('back', 'Tin stocks were rebuilt over the summer.') })
    expect(ids(await coldReader(), 'tin stocks')).toEqual([back.id])
    await settle()
    expect(ids(await coldReader(), 'tin stocks')).toEqual([back.id])
  })

  /** A burst for the writer: this many articles in one delivery (BURST_MIN_CHANGES is 200). */
  async function burst(key: string, count = 220): Promise<Article[]> {
    const made = await Promise.all(
      Array.from({ length: count }, (_, i) =>
        article(`${key}-${i}`, `Cargo manifest ${key} ${i} listed vanadium for the port.`),
      ),
    )
    await apply(...made.map((a): WriteOp => ({ kind: 'upsert', article: a })))
    return made
  }

  it('flushes a burst into small segments at once and merges them when it pauses, losing nothing', async () => {
    const before = (await writer().stats()).segments
    const all = (await burst('bulk')).map((a) => a.id)
    await settle({ burst: true })
    for (let round = 1; round < 9; round++) {
      const ops: WriteOp[] = []
      for (let i = 0; i < 5; i++) {
        const a = await article(`m${round}-${i}`, `Merchant ship ${round}-${i} carried vanadium across the sea.`)
        all.push(a.id)
        ops.push({ kind: 'upsert', article: a })
      }
      await apply(...ops)
      await settle({ burst: true })
    }
    // During the burst every delivery went into a segment of its own, searchable by cold readers, and none merged.
    expect((await writer().stats()).segments).toBe(before + 9)
    expect(new Set(allIds(await coldReader(), 'vanadium'))).toEqual(new Set(all))
    await settle()
    const manifest = await writer().manifest()
    expect(manifest.segments.length).toBeLessThan(9)
    const live = await coldReader()
    expect(new Set(allIds(live, 'vanadium'))).toEqual(new Set(all))
    expect(live.index.documentCount).toBe((await writer().stats()).documents)
  })

  /**
   * Deliveries during a burst, each flushed into a segment of its own: per round, five of `made` rewritten (tungsten
   * for vanadium) and two deleted. Returns the ids still live with their first text, and the rewritten ones.
   */
  async function rewriteInRounds(key: string, made: Article[], rounds = 4) {
    const rewritten: string[] = []
    const deleted = new Set<string>()
    for (let round = 0; round < rounds; round++) {
      const ops: WriteOp[] = []
      for (let i = round * 7; i < round * 7 + 5; i++) {
        const a = await article(`${key}-${i}`, `Cargo manifest ${key} ${i} listed tungsten for the port.`)
        rewritten.push(a.id)
        ops.push({ kind: 'upsert', article: a })
      }
      for (const gone of made.slice(round * 7 + 5, round * 7 + 7)) {
        deleted.add(gone.id)
        ops.push({ kind: 'delete', id: gone.id })
      }
      await apply(...ops)
      await settle({ burst: true })
    }
    const first = made.map((a) => a.id).filter((id) => !deleted.has(id) && !rewritten.includes(id))
    return { first, rewritten, deleted: [...deleted] }
  }

  /** How many copies of each id the published segments hold (read from their heads in KV). */
  async function copiesInSegments(): Promise<Map<string, number>> {
    const copies = new Map<string, number>()
    for (const ref of (await writer().manifest()).segments) {
      const parts = await Promise.all(
        Array.from({ length: ref.parts }, (_, i) => searchEnv.ARTICLES.get(segmentPartKey(ref.id, i), 'arrayBuffer')),
      )
      const head = new Uint8Array(await new Blob(parts.map((p) => p ?? new ArrayBuffer(0))).arrayBuffer())
      const segment = Segment.open(head)
      for (let d = 0; d < segment.docCount; d++) {
        const id = segment.docId(d)
        copies.set(id, (copies.get(id) ?? 0) + 1)
      }
    }
    return copies
  }

  /** What a cold reader finds, and that the segments hold one copy of each live article and none of the deleted. */
  async function checkMerged({
    first,
    rewritten,
    deleted,
  }: {
    first: string[]
    rewritten: string[]
    deleted: string[]
  }) {
    const live = await coldReader()
    // Other tests' cargo carried vanadium too: only this burst's articles count.
    const ours = new Set([...first, ...rewritten, ...deleted])
    const found = (q: string) => new Set(allIds(live, q).filter((id) => ours.has(id)))
    expect(found('vanadium')).toEqual(new Set(first))
    expect(found('tungsten')).toEqual(new Set(rewritten))
    const copies = await copiesInSegments()
    for (const id of [...first, ...rewritten]) expect(copies.get(id), id).toBe(1)
    for (const id of deleted) expect(copies.get(id), id).toBeUndefined()
  }

  it('merges from the segments themselves, leaving out the copies updated or deleted since', async () => {
    await settle()
    const was = (await writer().stats()).merges
    const made = await burst('mseg')
    await settle({ burst: true })
    const changed = await rewriteInRounds('mseg', made)
    // Before the merge, the burst's segment still holds the first copies of what was rewritten or deleted since.
    expect((await copiesInSegments()).get(changed.deleted[0] ?? '')).toBe(1)
    await settle()
    const merges = (await writer().stats()).merges
    expect(merges.fromSegments).toBeGreaterThan(was.fromSegments)
    expect(merges.fromRows).toBe(was.fromRows)
    await checkMerged(changed)
  })

  it('rebuilds a merge from the articles when KV does not give back one of its segments', async () => {
    await settle()
    const was = (await writer().stats()).merges
    const made = await burst('mrow')
    await settle({ burst: true })
    // The burst's own segment, the newest, loses its joined bodies in KV: a merge cannot read it whole.
    const burstSegment = (await writer().manifest()).segments.at(-1)
    if (burstSegment?.docs !== made.length) throw new Error('the burst made no segment of its own')
    const changed = await rewriteInRounds('mrow', made)
    await searchEnv.ARTICLES.delete(segmentPartKey(burstSegment.id, bodiesPart(burstSegment)))
    await settle()
    const merges = (await writer().stats()).merges
    expect(merges.fromRows).toBeGreaterThan(was.fromRows)
    await checkMerged(changed)
  })

  it('keeps KV writes out of a burst and makes them when it pauses', async () => {
    const made = await burst('kv')
    await settle({ burst: true })
    // Searchable at once (segment flushed), but KV waits: the articles are durable in SQLite meanwhile.
    const first = made[0] as Article
    expect(ids(await coldReader(), `cargo manifest kv ${0}`)).toContain(first.id)
    expect((await writer().stats()).kvPending).toBeGreaterThan(0)
    expect(await searchEnv.ARTICLES.get(articleKey(first.id))).toBeNull()
    await settle()
    const pending = await eventually(
      async () => (await writer().stats()).kvPending,
      (n) => n === 0,
    )
    expect(pending).toBe(0)
    expect(JSON.parse((await searchEnv.ARTICLES.get(articleKey(first.id))) ?? '{}').id).toBe(first.id)
  })

  it('writes its KV outbox in shorter steps while steps keep calls waiting, and every row still reaches KV', async () => {
    await settle()
    await eventually(
      async () => (await writer().stats()).kvPending,
      (n) => n === 0,
    )
    // Each reading of the writer's clock moves it a second on, so every step looks as if a call arriving as it began
    // had waited a second for the writer's thread (steps of 50 Miniflare KV writes took 0.6–1.4 s on a loaded machine).
    let slow = now
    await runInDurableObject(writer(), (instance) => {
      Reflect.set(instance, 'clock', () => {
        slow += 1000
        return slow
      })
    })
    // Fewer than a burst's changes, applied on that clock (apply() would set the tests' own clock back).
    const made = await Promise.all(
      Array.from({ length: 150 }, (_, i) => article(`step-${i}`, `Nickel ore lot ${i} was shipped from Sulawesi.`)),
    )
    await writer().apply({
      id: `lifecycle-${deliveries++}`,
      eventTime: Date.now(),
      ops: made.map((a): WriteOp => ({ kind: 'upsert', article: a })),
    })
    await runDurableObjectAlarm(writer())
    // A cold reader's calls are answered meanwhile.
    expect((await writer().head()).headSeq).toBe((await writer().stats()).headSeq)
    expect((await writer().manifest()).seq).toBeGreaterThan(0)
    const drained = await eventually(
      () => writer().stats(),
      (s) => s.kvPending === 0,
    )
    expect(drained.kvPending).toBe(0)
    expect(drained.kvStepRows).toBe(KV_STEP_MIN_ROWS)
    for (const a of made) expect(JSON.parse((await searchEnv.ARTICLES.get(articleKey(a.id))) ?? '{}').id).toBe(a.id)

    // Steps that keep no call waiting grow back to KV_STEP_ROWS, doubling. The tests' clock goes on from the slow one.
    now = slow + BURST_QUIET_MS
    const more = await Promise.all(
      Array.from({ length: 150 }, (_, i) => article(`quick-${i}`, `Bauxite lot ${i} left Kamsar on time.`)),
    )
    await apply(...more.map((a): WriteOp => ({ kind: 'upsert', article: a })))
    await settle()
    const quick = await eventually(
      () => writer().stats(),
      (s) => s.kvPending === 0,
    )
    expect(quick.kvStepRows).toBe(KV_STEP_ROWS)
    for (const a of more) expect(JSON.parse((await searchEnv.ARTICLES.get(articleKey(a.id))) ?? '{}').id).toBe(a.id)
  })

  it('sizes an outbox step by how long the last one kept a call waiting', () => {
    // 50 writes that kept a call waiting 250 ms (Miniflare): 10 keep it within 50 ms.
    expect(nextStepRows(50, 50, 250)).toBe(10)
    // 50 that kept it waiting 700 ms (a loaded machine): the fewest, KV_STEP_MIN_ROWS, and no fewer after that.
    expect(nextStepRows(50, 50, 700)).toBe(KV_STEP_MIN_ROWS)
    expect(nextStepRows(KV_STEP_MIN_ROWS, KV_STEP_MIN_ROWS, 700)).toBe(KV_STEP_MIN_ROWS)
    // No wait (KV writes that are I/O alone): twice the rows asked, up to KV_STEP_ROWS.
    expect(nextStepRows(KV_STEP_MIN_ROWS, KV_STEP_MIN_ROWS, 0)).toBe(2 * KV_STEP_MIN_ROWS)
    expect(nextStepRows(32, 32, 0)).toBe(KV_STEP_ROWS)
    // A step that found fewer rows than it asked says little of a larger one: the next asks at most twice as many.
    expect(nextStepRows(12, 3, 10)).toBe(15)
  })

  it('takes at most FLUSH_MAX_CHARS of articles into one flush: long articles go into several segments', async () => {
    await settle()
    const before = new Set((await writer().manifest()).segments.map((s) => s.id))
    // Reuters and Wikinews text (the search fixtures) over and over, 1.7 Mi characters an article: ten of them are
    // about 18 Mi characters, past the ceiling, in few documents.
    const news = sample.map((d) => d.body).join('\n\n')
    const long = news.repeat(Math.ceil((1.7 * 1024 * 1024) / news.length))
    const made = await Promise.all(
      Array.from({ length: 10 }, (_, i) => article(`long-${i}`, `Marker tantalum${i}.\n\n${long}`)),
    )
    // In two deliveries (an RPC carries at most 32 MiB), both before the flush.
    for (const half of [made.slice(0, 5), made.slice(5)]) {
      await apply(...half.map((a): WriteOp => ({ kind: 'upsert', article: a })))
    }
    await settle({ burst: true })
    const added = (await writer().manifest()).segments.filter((s) => !before.has(s.id))
    const size = Math.max(...made.map((a) => JSON.stringify(a).length))
    const perFlush = Math.floor(FLUSH_MAX_CHARS / size)
    expect(perFlush).toBeLessThan(10)
    expect(added.map((s) => s.docs)).toEqual(
      Array.from({ length: Math.ceil(10 / perFlush) }, (_, i) => Math.min(perFlush, 10 - i * perFlush)),
    )
    const live = await coldReader()
    for (let i = 0; i < 10; i++) expect(ids(live, `tantalum${i}`)).toEqual([(made[i] as Article).id])
    // Each build read them one page of BUILD_PAGE_CHARS at a time, one article when it alone is longer, not every
    // article of the flush at once (as when only BUILD_PAGE_ROWS bounded a page).
    expect(size).toBeGreaterThan(BUILD_PAGE_CHARS)
    expect(buildPageCharsMax()).toBeGreaterThan(BUILD_PAGE_CHARS)
    expect(buildPageCharsMax()).toBeLessThan(2 * size)
  })

  it('writes a change of a steady feed to KV at once: a few changes are not a burst', async () => {
    await settle()
    const a = await article('steady', 'Zinc smelters cut output in the north.')
    await apply({ kind: 'upsert', article: a })
    await settle({ burst: true })
    const stored = await eventually(
      () => searchEnv.ARTICLES.get(articleKey(a.id)),
      (v) => v !== null,
    )
    expect(JSON.parse(stored ?? '{}').id).toBe(a.id)
  })

  it('lets a warm reader pick up a new manifest version', async () => {
    const live = await coldReader()
    const before = live.manifestVersion
    const fresh = await article('pickup', 'Cobalt contracts were signed in Kinshasa.')
    await apply({ kind: 'upsert', article: fresh })
    await settle()
    await live.sync()
    expect(live.manifestVersion).toBeGreaterThan(before)
    expect(ids(live, 'cobalt')).toEqual([fresh.id])
    expect(live.index.pendingCount).toBe(0)
  })
})
