import type { Manifest, SegmentRef } from '@edgewire/shared/lifecycle'
import type { ChangeBlock, WriterHead } from '@edgewire/shared/writer-rpc'
import { type SearchEnv, writerStub } from './context'

/**
 * What a reader needs from the writer to follow it. Two ways to get it: straight from the Durable Object
 * (`directFeed`), or through the location's cache (`sharedFeed`), which is what the search worker uses.
 */
export interface WriterFeed {
  /** Where the writer stands. `fresh` skips any shared copy (to confirm that the writer went back in time). */
  head(fresh?: boolean): Promise<WriterHead>
  /** The manifest the head names (or a newer one). */
  manifest(head: WriterHead): Promise<Manifest>
  /** One block of changes; `sealed` when the block lies wholly below a head already seen (it then changes little). */
  changeBlock(head: WriterHead, index: number, sealed: boolean): Promise<ChangeBlock>
  /** A segment part, for a reader whose KV does not have it yet. */
  segmentPart(head: WriterHead, segment: SegmentRef, part: number): Promise<ArrayBuffer | null>
}

/** Every call goes to the writer. Tests use it to see the writer's state as it is; see `sharedFeed`. */
export function directFeed(env: SearchEnv): WriterFeed {
  const writer = () => writerStub(env)
  return {
    head: () => writer().head(),
    manifest: () => writer().manifest(),
    changeBlock: (_head, index) => writer().changeBlock(index),
    segmentPart: (_head, segment, part) => writer().segmentPart(segment.id, part),
  }
}

/**
 * How often a location asks the writer where it stands: every reader (isolate) of the location shares the answer
 * (and the newest change block) through the Cache API for this long, so the writer's load grows with locations,
 * not with isolates. A change reaches a busy reader within about this plus the reader's own sync interval.
 */
export const HEAD_TICK_MS = 250
/**
 * How long a sealed change block stays cached. Any copy of a block is a correct step (see ChangeBlock), so this
 * only bounds the cache; a reader reads it once per catch-up.
 */
const SEALED_BLOCK_SECONDS = 60
/** Manifests and segment parts never change under their keys; they stay cached this long. */
const IMMUTABLE_SECONDS = 300
/** Not a real host: Cache API keys are URLs, and this one only names entries of this worker's cache. */
const CACHE_ORIGIN = 'https://writer-feed.edgewire.internal'

/**
 * Reads through the location's cache first (`caches.default`): one head and one newest block per HEAD_TICK_MS per
 * location, and one copy of each sealed block, each manifest and each segment part fetched from the writer,
 * whatever the number of isolates. Keys carry the writer's epoch, so a writer started anew never gets an old copy.
 */
export function sharedFeed(env: SearchEnv, cache: Cache): WriterFeed {
  const direct = directFeed(env)
  const tick = () => Math.floor(Date.now() / HEAD_TICK_MS)
  async function through<T>(path: string, maxAgeSeconds: number, load: () => Promise<T>): Promise<T> {
    const key = new Request(`${CACHE_ORIGIN}/${path}`)
    const hit = await cache.match(key)
    if (hit) return (await hit.json()) as T
    const value = await load()
    const response = new Response(JSON.stringify(value), {
      headers: { 'content-type': 'application/json', 'cache-control': `max-age=${maxAgeSeconds}` },
    })
    // Awaited, so that the isolates of this location that ask next find it (a failed put only costs them a call).
    await cache.put(key, response).catch(() => undefined)
    return value
  }
  return {
    head: (fresh) => (fresh ? direct.head() : through(`head/${tick()}`, 2, direct.head)),
    manifest: (head) =>
      through(`manifest/${head.epoch}/${head.manifestVersion}`, IMMUTABLE_SECONDS, () => direct.manifest(head)),
    changeBlock: (head, index, sealed) =>
      sealed
        ? through(`block/${head.epoch}/${index}`, SEALED_BLOCK_SECONDS, () => direct.changeBlock(head, index, true))
        : through(`block/${head.epoch}/${index}/${tick()}`, 2, () => direct.changeBlock(head, index, false)),
    async segmentPart(head, segment, part) {
      const key = new Request(`${CACHE_ORIGIN}/segment/${head.epoch}/${segment.id}/${part}`)
      const hit = await cache.match(key)
      if (hit) return hit.arrayBuffer()
      const bytes = await direct.segmentPart(head, segment, part)
      if (bytes) {
        const response = new Response(bytes.slice(0), { headers: { 'cache-control': `max-age=${IMMUTABLE_SECONDS}` } })
        await cache.put(key, response).catch(() => undefined)
      }
      return bytes
    },
  }
}
