import type { Article } from '@edgewire/shared/article'
import type { Manifest, SegmentRef } from '@edgewire/shared/lifecycle'
import { allShards, writerShards } from '@edgewire/shared/shards'
import { type ChangeBlock, headTick, type WriterHead } from '@edgewire/shared/writer-rpc'
import { type SearchEnv, writerStub } from './context'

/**
 * What a reader needs from one writer (one shard) to follow it. Two ways to get it: straight from the Durable Object
 * (`directFeed`), or through the location's cache (`sharedFeed`), which is what the search worker uses, one feed per
 * shard (`shardFeeds`).
 */
export interface WriterFeed {
  /** Where the writer stands. `fresh` skips any shared copy (to confirm that the writer went back in time). */
  head(fresh?: boolean): Promise<WriterHead>
  /** The manifest the head names (or a newer one). */
  manifest(head: WriterHead): Promise<Manifest>
  /**
   * One block of changes; `sealed` when the block lies wholly below a head already seen (it then changes little);
   * `after` a seq inside it: the rest of a block cut short (ChangeBlock.more).
   */
  changeBlock(head: WriterHead, index: number, sealed: boolean, after?: number): Promise<ChangeBlock>
  /** A segment part, for a reader whose KV does not have it yet. */
  segmentPart(head: WriterHead, segment: SegmentRef, part: number): Promise<ArrayBuffer | null>
  /**
   * One article as the writer has it (null: deleted or never stored), for a reader whose KV does not show it: a copy
   * at least as new as the reader's index, which stands at `seq` of the writer's storage `epoch`.
   */
  article(id: string, at: { epoch: string; seq: number }): Promise<Article | null>
}

/** Every call goes to the shard's writer. Tests use it to see the writer's state as it is; see `sharedFeed`. */
export function directFeed(env: SearchEnv, shard = 0): WriterFeed {
  const writer = () => writerStub(env, shard)
  return {
    head: () => writer().head(),
    manifest: () => writer().manifest(),
    changeBlock: (_head, index, _sealed, after) => writer().changeBlock(index, after),
    segmentPart: (_head, segment, part) => writer().segmentPart(segment.id, part),
    article: (id) => writer().getArticle(id),
  }
}

/** The location's name where the request carries none (`request.cf` is absent in local development). */
export const LOCAL_LOCATION = 'local'

/** The location (Cloudflare data center) a request reached: an isolate's readers share that location's relay. */
export function requestLocation(request: Request): string {
  const colo = request.cf?.colo
  return typeof colo === 'string' && colo !== '' ? colo : LOCAL_LOCATION
}

/**
 * Every call goes to the location's WriterRelay of the shard (workers/writer/src/writer-relay.ts), which joins the
 * calls of all the location's isolates into one writer call per tick or per item. Without a RELAY binding, or if the
 * relay cannot be reached (a search worker deployed before the ingest worker that defines it), the call goes to the
 * writer.
 */
export function relayFeed(env: SearchEnv, location: string, shard = 0): WriterFeed {
  const direct = directFeed(env, shard)
  const namespace = env.RELAY
  if (!namespace) return direct
  // Shard 0 keeps the relay name of the single writer that came before.
  const name = shard === 0 ? `relay:${location}` : `relay:${location}:shard-${shard}`
  const relay = () => namespace.get(namespace.idFromName(name))
  async function viaRelay<T>(call: () => Promise<T>, fallback: () => Promise<T>): Promise<T> {
    try {
      return await call()
    } catch (err) {
      console.error(
        JSON.stringify({ level: 'warn', msg: 'writer relay unreachable', location, shard, error: String(err) }),
      )
      return fallback()
    }
  }
  return {
    head: (fresh) => (fresh ? direct.head() : viaRelay(() => relay().head(shard), direct.head)),
    manifest: (head) =>
      viaRelay(
        () => relay().manifest(shard, head.epoch, head.manifestVersion),
        () => direct.manifest(head),
      ),
    changeBlock: (head, index, sealed, after) =>
      viaRelay(
        () => relay().changeBlock(shard, head.epoch, index, sealed, after),
        () => direct.changeBlock(head, index, sealed, after),
      ),
    segmentPart: (head, segment, part) =>
      viaRelay(
        () => relay().segmentPart(shard, head.epoch, segment.id, part),
        () => direct.segmentPart(head, segment, part),
      ),
    // Not through the relay: the cache in front of this feed keys an article by the asking index's version, so a
    // location asks once per version already.
    article: (id, at) => direct.article(id, at),
  }
}
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
 * Reads through the location's cache first (`caches.default`), then through the location's relay (`relayFeed`): one
 * head and one newest block per HEAD_TICK_MS per location, and one copy of each sealed block, each manifest and each
 * segment part fetched from the writer, whatever the number of isolates. The cache spares the relay most calls; the
 * relay joins the misses, which come all at once at the start of a tick. Keys carry the writer's epoch, so a writer
 * started anew never gets an old copy.
 * An article is asked once per location and version of the asking index (see `article`).
 */
export function sharedFeed(env: SearchEnv, cache: Cache, location: string, shard = 0): WriterFeed {
  const upstream = relayFeed(env, location, shard)
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
    // The one key without the writer's epoch in it (the head names the epoch): the shard tells the writers apart.
    head: (fresh) => (fresh ? upstream.head() : through(`head/${shard}/${headTick()}`, 2, upstream.head)),
    manifest: (head) =>
      through(`manifest/${head.epoch}/${head.manifestVersion}`, IMMUTABLE_SECONDS, () => upstream.manifest(head)),
    changeBlock: (head, index, sealed, after) => {
      const block = after === undefined ? `${index}` : `${index}-after-${after}`
      return sealed
        ? through(`block/${head.epoch}/${block}`, SEALED_BLOCK_SECONDS, () =>
            upstream.changeBlock(head, index, true, after),
          )
        : through(`block/${head.epoch}/${block}/${headTick()}`, 2, () =>
            upstream.changeBlock(head, index, false, after),
          )
    },
    async segmentPart(head, segment, part) {
      const key = new Request(`${CACHE_ORIGIN}/segment/${head.epoch}/${segment.id}/${part}`)
      const hit = await cache.match(key)
      if (hit) return hit.arrayBuffer()
      const bytes = await upstream.segmentPart(head, segment, part)
      if (bytes) {
        const response = new Response(bytes.slice(0), { headers: { 'cache-control': `max-age=${IMMUTABLE_SECONDS}` } })
        await cache.put(key, response).catch(() => undefined)
      }
      return bytes
    },
    // Keyed by the asking index's version: any copy read after the writer reached it is at least as new as what that
    // index shows, so readers of the location at that version share one; a newer version asks again.
    article: (id, at) =>
      through(`article/${at.epoch}/${at.seq}/${encodeURIComponent(id)}`, SEALED_BLOCK_SECONDS, () =>
        upstream.article(id, at),
      ),
  }
}

/** The location's shared feed of every shard, shard 0 first: what a search isolate follows (see LiveIndex). */
export function shardFeeds(env: SearchEnv, cache: Cache, location: string): WriterFeed[] {
  return allShards(writerShards(env)).map((shard) => sharedFeed(env, cache, location, shard))
}
