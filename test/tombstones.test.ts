import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import { type Article, normalizeArticle } from '@edgewire/shared'
import type { WriteOp } from '@edgewire/shared/writer-rpc'
import { describe, expect, it } from 'vitest'
import type { SearchEnv } from '../workers/search/src/context'
import { LiveIndex } from '../workers/search/src/live-index'
import { BUILD_PAGE_ROWS, BURST_QUIET_MS, IndexWriter } from '../workers/writer/src/index-writer'

// Tombstones are bounded by the segments that need them: a deleted article is hidden only where a copy may be.
const searchEnv = env as unknown as SearchEnv
const writer = () => searchEnv.INDEX.get(searchEnv.INDEX.idFromName('main'))
let deliveries = 0

const article = (key: string, text: string): Promise<Article> =>
  normalizeArticle({ url: `https://tombstones.example/${key}`, title: `Story ${key}`, text }, new Date())

const apply = (...ops: WriteOp[]) =>
  writer().apply({ id: `tombstones-${deliveries++}`, eventTime: Date.now() + deliveries, ops })

/** Runs the writer's alarm, after the burst window, until nothing is left to flush or merge. */
async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, BURST_QUIET_MS + 10))
  for (let i = 0; i < 50; i++) {
    const before = await writer().stats()
    await runDurableObjectAlarm(writer())
    const after = await writer().stats()
    if (after.manifestSeq === after.headSeq && after.segments === before.segments) return
  }
}

async function coldSearch(q: string): Promise<string[]> {
  const live = new LiveIndex(searchEnv)
  await live.sync()
  return (await live.search({ q, limit: 10, offset: 0, sort: 'relevance' })).hits.map((h) => h.id)
}

describe('tombstones', { timeout: 30_000 }, () => {
  it('keeps none for an article deleted before any segment held it', async () => {
    const brief = await article('brief', 'The tin mine reopened for a single day.')
    await apply({ kind: 'upsert', article: brief })
    await apply({ kind: 'delete', id: brief.id })
    await settle()
    expect((await writer().manifest()).tombstones).not.toContain(brief.id)
    expect(await coldSearch('tin mine')).toEqual([])
  })

  it('keeps one while a segment holds a copy, and drops it once a merge has rebuilt that segment', async () => {
    const gone = await article('gone', 'The cobalt refinery closed for good.')
    const kept = await article('kept', 'The cobalt traders moved to another port.')
    await apply({ kind: 'upsert', article: gone }, { kind: 'upsert', article: kept })
    await settle()
    await apply({ kind: 'delete', id: gone.id })
    await settle()
    expect((await writer().manifest()).tombstones).toContain(gone.id)
    expect(await coldSearch('cobalt')).toEqual([kept.id])
    // Rebuilding every segment leaves no copy of the deleted article anywhere: nothing is left to hide.
    await writer().reindex()
    await settle()
    expect((await writer().manifest()).tombstones).not.toContain(gone.id)
    expect(await coldSearch('cobalt')).toEqual([kept.id])
  })

  it('keeps one for an article deleted while a flush that has already read it is still building', async () => {
    const probe = await article('mid-build', 'The zinc smelter stopped work at dawn.')
    // More rows than one build page after the probe: the flush reads the probe, then yields before it is done.
    const filler = await Promise.all(
      Array.from({ length: BUILD_PAGE_ROWS + 20 }, (_, i) => article(`filler-${i}`, `Harbour report number ${i}.`)),
    )
    await runInDurableObject(writer(), async (instance, state) => {
      if (!(instance instanceof IndexWriter)) throw new Error('the INDEX binding is not an IndexWriter')
      await instance.apply({
        id: `tombstones-${deliveries++}`,
        eventTime: Date.now() + deliveries,
        ops: [probe, ...filler].map((a) => ({ kind: 'upsert' as const, article: a })),
      })
      // The flush is run here, not by the alarm the upserts scheduled, so the delete lands inside it.
      await state.storage.deleteAlarm()
      // The alarm runs up to its first yield (one page, the probe's, read into the segment being built); the delete
      // lands before the build is done.
      const maintenance = instance.alarm()
      const remove = instance.apply({
        id: `tombstones-${deliveries++}`,
        eventTime: Date.now() + deliveries,
        ops: [{ kind: 'delete', id: probe.id }],
      })
      await Promise.all([maintenance, remove])
    })
    await settle()
    expect(await coldSearch('zinc smelter')).toEqual([])
  })
})
