import type { Article } from '@edgewire/shared/article'
import { ProblemError } from '@edgewire/shared/http'
import { joinParts, type Manifest, type SegmentRef, segmentPartKey, toIndexDoc } from '@edgewire/shared/lifecycle'
import { SearchIndex, Segment, SegmentFormatError } from '@edgewire/shared/search'
import { CHANGE_BLOCK_SEQS, type Change, HEAD_TICK_MS, headTick, type WriterHead } from '@edgewire/shared/writer-rpc'
import type { SearchEnv } from './context'
import { type KvReader, kvReader } from './distant-kv'
import { LOCAL_LOCATION, sharedFeed, type WriterFeed } from './writer-feed'

/** A search finding the index older than this starts a sync beside itself (it never waits for one). */
export const SYNC_INTERVAL_MS = 100
/**
 * Changes applied between two yields to the event loop while a sync runs: indexing one takes about 0.1 ms, so a
 * search arriving meanwhile waits a few milliseconds at most, not for a whole 1,000-article batch.
 */
export const CHANGES_PER_SLICE = 25
/**
 * A sync that has made no progress for this long is taken for lost and a new one may start. A sync runs in the
 * `waitUntil` of the request that started it, which the runtime may cut short (30 s after the response): its promise
 * then never settles, and without this bound the isolate would never sync again. Progress, not age: a sync that
 * takes longer than this in all (a swap to 100,000 articles on a busy machine) but keeps reading and applying is
 * left to finish; superseding it by age made every later request start it over, and the reader never synced again
 * while searches kept coming (`npm run bench:archive` at 100,000 articles: stuck at 2,001 for 20 minutes).
 */
export const SYNC_LOST_MS = 20_000
/**
 * A reader follows the writer's changes block by block whatever its manifest, so it swaps to a newer manifest only
 * when that pays: once its memtable holds this many documents, or its manifest is this old. Swapping at every flush
 * (every quarter second in a steady feed) re-indexed the same recent changes into a new memtable each time and kept
 * a busy reader seconds behind. Replaced segments stay in KV for five minutes, far longer than either bound.
 */
export const SWAP_PENDING_DOCS = 2000
export const SWAP_AFTER_MS = 10_000

/**
 * How long a read of an article this index does not hold may wait for the index to follow the writer to the moment
 * the read arrived (see `recentArticle`): about one HEAD_TICK_MS and a sync normally; a writer that does not answer
 * must not hold a 404 for SYNC_LOST_MS.
 */
export const MISS_WAIT_MS = 1000

/** Lets requests that arrived meanwhile run: the sync goes on after them. */
const yieldToRequests = () => new Promise<void>((resolve) => setTimeout(resolve, 0))

/**
 * This isolate's copy of the index: the writer's published segments (immutable, from KV) plus the changes made
 * after them (in the index's memtable), kept in step with the writer by sequence number.
 *
 * Searches never wait for the writer once the isolate has an index: syncs run beside them, in slices. Its state
 * only moves forward: a new manifest is opened and caught up beside the index in use, and swapped in (one
 * assignment) only once it is at least as new, so `seq` (the `indexVersion` searches report) never decreases, a
 * recent upsert never vanishes and a deleted article never comes back. The one exception is a writer whose storage
 * really went back in time (a restore): then its state is the truth.
 */
export class LiveIndex {
  index = new SearchIndex()
  /** Highest change applied: the index version searches report. */
  seq = 0
  /** Version of the manifest the segments came from (-1: none loaded yet). */
  manifestVersion = -1
  /** When the last sync started that completed (epoch ms; 0: never). */
  syncedAt = 0
  updatedAt: string | null = null
  /** The segments this isolate holds, as the manifest describes them. */
  segmentRefs: SegmentRef[] = []
  /** Segments opened so far, by id: a new manifest reuses the ones it keeps. */
  #segments = new Map<number, Segment>()
  #syncing: Promise<void> | null = null
  /** When the running sync last made progress (started, or read or applied something): see SYNC_LOST_MS. */
  #syncAliveAt = 0
  /** When the manifest in use was swapped in (epoch ms). */
  #swappedAt = 0
  /** Bumped at every sync start; a sync whose generation is no longer current stops before it changes anything. */
  #generation = 0
  /** The writer storage this index follows (see WriterHead.epoch). */
  #epoch: string | null = null
  /** The writer's time of the newest head this index caught up to: it holds every change accepted before then. */
  #coveredAt = 0
  readonly #kv: KvReader

  /**
   * @param feed where the writer's state comes from; by default the location's shared feed (see `sharedFeed`)
   * @param slices whether a sync yields to requests between slices of work (a test reading the state right after
   *   `sync()` does not need it)
   * @param swapAfterMs how old the manifest in use may grow before a newer one is swapped in (see SWAP_AFTER_MS)
   * @param lostAfterMs how long a sync may go without progress before it is taken for lost (see SYNC_LOST_MS)
   */
  constructor(
    env: SearchEnv,
    private readonly feed: WriterFeed = sharedFeed(env, caches.default, LOCAL_LOCATION),
    private readonly slices = true,
    private readonly swapAfterMs = SWAP_AFTER_MS,
    private readonly lostAfterMs = SYNC_LOST_MS,
  ) {
    this.#kv = kvReader(env.ARTICLES, env.KV_PROPAGATION_MS)
  }

  /** Brings the index up to what the writer's feed shows. One sync runs at a time; callers share it. */
  sync(): Promise<void> {
    if (!this.#syncing || Date.now() - this.#syncAliveAt > this.lostAfterMs) {
      // A sync taken for lost that resumes after all must not change the index any more (see #current).
      this.#generation++
      const syncing = this.#pull().finally(() => {
        if (this.#syncing === syncing) this.#syncing = null
      })
      this.#syncing = syncing
      this.#syncAliveAt = Date.now()
    }
    return this.#syncing
  }

  /**
   * Throws when a newer sync has started since `generation` (this one was taken for lost); else notes that the sync
   * is alive. Called after each read and every slice of changes.
   */
  #current(generation: number): void {
    if (generation !== this.#generation) throw new SyncSuperseded()
    this.#syncAliveAt = Date.now()
  }

  async #pull(): Promise<void> {
    const generation = this.#generation
    const started = Date.now()
    let head = await this.feed.head()
    this.#current(generation)
    const elsewhere = this.#epoch !== null && head.epoch !== this.#epoch
    if (!elsewhere && (head.headSeq < this.seq || head.manifestVersion < this.manifestVersion)) {
      // A shared head older than this reader, or a writer whose storage went back in time (a restore): only the
      // writer itself can tell which.
      head = await this.feed.head(true)
      this.#current(generation)
    }
    const wentBack = elsewhere || head.headSeq < this.seq
    const swapPays =
      this.manifestVersion < 0 ||
      this.index.pendingCount >= SWAP_PENDING_DOCS ||
      Date.now() - this.#swappedAt >= this.swapAfterMs
    if (wentBack || (head.manifestVersion !== this.manifestVersion && swapPays)) {
      const manifest = await this.feed.manifest(head)
      this.#current(generation)
      await this.#swapTo(head, manifest, wentBack, generation)
    } else {
      await this.#catchUp(head, this.index, this.seq, head.headSeq, generation, (seq) => {
        this.seq = seq
      })
    }
    this.syncedAt = started
    if (this.#epoch === head.epoch && this.seq >= head.headSeq) this.#coveredAt = Math.max(this.#coveredAt, head.readAt)
  }

  /**
   * Applies the changes after `seq` to `index`, block by block, until it reaches `target` (or the feed has nothing
   * newer yet). `advance` is told each sequence number reached; returns the last.
   */
  async #catchUp(
    head: WriterHead,
    index: SearchIndex,
    seq: number,
    target: number,
    generation: number,
    advance: (seq: number) => void,
  ): Promise<number> {
    while (seq < target) {
      const block = Math.floor(seq / CHANGE_BLOCK_SEQS)
      const end = (block + 1) * CHANGE_BLOCK_SEQS
      const { changes, headSeq } = await this.feed.changeBlock(head, block, end <= target)
      this.#current(generation)
      const reached = Math.min(end, headSeq, target)
      if (reached <= seq) break // a shared copy older than the target: the next sync goes on from here
      await this.#apply(index, changes, seq, reached, generation, advance)
      // Every change up to `reached` is applied, even where the block holds none (its articles changed again later).
      seq = reached
      advance(seq)
    }
    return seq
  }

  /** Applies the changes in (from, to] in slices, yielding to requests between them. */
  async #apply(
    index: SearchIndex,
    changes: Change[],
    from: number,
    to: number,
    generation: number,
    advance: (seq: number) => void,
  ): Promise<void> {
    let applied = 0
    for (const change of changes) {
      if (change.seq <= from || change.seq > to) continue
      if (applied % CHANGES_PER_SLICE === 0) this.#current(generation)
      if (change.article) index.upsert(toIndexDoc(change.article))
      else index.delete(change.id)
      if (change.article?.updatedAt) this.updatedAt = change.article.updatedAt
      advance(change.seq)
      if (this.slices && ++applied % CHANGES_PER_SLICE === 0) await yieldToRequests()
    }
  }

  /**
   * Opens a manifest's segments beside the index in use (reusing those already open), hides its tombstones, replays
   * the changes after it until it is at least as new as the index in use, and swaps it in. After a restore or a
   * writer started anew (`wentBack`), the writer's state is taken as it is.
   */
  async #swapTo(head: WriterHead, manifest: Manifest, wentBack: boolean, generation: number): Promise<void> {
    const started = performance.now()
    const reuse = wentBack ? new Map<number, Segment>() : this.#segments
    const readable: SegmentRef[] = []
    const opened: Segment[] = []
    const unreadable: SegmentRef[] = []
    for (const ref of manifest.segments) {
      const segment = reuse.get(ref.id) ?? (await this.#open(head, ref))
      // Kept even if this swap is given up below: the next attempt reuses it instead of reading it again.
      if (segment && !wentBack) this.#segments.set(ref.id, segment)
      this.#current(generation)
      if (segment) {
        readable.push(ref)
        opened.push(segment)
      } else unreadable.push(ref)
      if (this.slices) await yieldToRequests()
    }
    // Workers clocks advance only across I/O, so this measures the reads, not the CPU of opening.
    const fetchMs = Math.round(performance.now() - started)
    const index = new SearchIndex(opened)
    for (const id of manifest.tombstones) index.delete(id)
    // A segment this code cannot read (built with another analyzer or a newer format, while the writer rebuilds
    // after a deploy): its articles come from the writer's change blocks instead, into the memtable. Only those whose
    // latest change lies in its range are there, so none overrides a newer segment's copy.
    for (const ref of unreadable) await this.#catchUp(head, index, ref.seqFrom, ref.seqTo, generation, () => undefined)
    const target = wentBack ? head.headSeq : Math.max(head.headSeq, this.seq)
    const seq = await this.#catchUp(head, index, manifest.seq, target, generation, () => undefined)
    this.#current(generation)
    // The feed could not bring the new manifest up to the index in use yet: keep that one; the next sync goes on.
    if (!wentBack && seq < this.seq) return
    console.log(
      JSON.stringify({
        level: 'info',
        msg: 'index snapshot loaded',
        version: manifest.version,
        segments: manifest.segments.length,
        bytes: manifest.segments.reduce((n, s) => n + s.bytes, 0),
        tombstones: manifest.tombstones.length,
        unreadable: unreadable.length,
        fetchMs,
      }),
    )
    this.#segments = new Map(readable.map((ref, i) => [ref.id, opened[i] as Segment]))
    this.segmentRefs = manifest.segments
    this.index = index
    this.seq = seq
    this.manifestVersion = manifest.version
    this.#swappedAt = Date.now()
    if (this.#epoch !== head.epoch) this.#coveredAt = 0
    this.#epoch = head.epoch
    this.updatedAt ??= manifest.createdAt || null
  }

  /**
   * Reads a segment's parts from KV, as this location sees it; a part KV does not show yet (a new key takes up to a
   * minute to reach every location) comes from the writer through the location's cache. Null when this code cannot
   * read the segment (another analyzer, another format).
   */
  async #open(head: WriterHead, ref: SegmentRef): Promise<Segment | null> {
    const parts = await Promise.all(
      Array.from({ length: ref.parts }, async (_, i) => {
        const value =
          (await this.#kv.get(segmentPartKey(ref.id, i), 'arrayBuffer')) ?? (await this.feed.segmentPart(head, ref, i))
        if (!value) throw new Error(`segment ${ref.id} part ${i} is neither in KV nor at the writer`)
        return new Uint8Array(value)
      }),
    )
    try {
      return Segment.open(joinParts(parts))
    } catch (err) {
      if (!(err instanceof SegmentFormatError)) throw err
      console.log(
        JSON.stringify({ level: 'warn', msg: 'segment unreadable here', segment: ref.id, error: err.message }),
      )
      return null
    }
  }

  /**
   * Waits for the first load. If a newer sync replaced the one awaited (that one was taken for lost), waits for the
   * newer one instead of answering 503 for a load that is still under way.
   */
  async #firstLoad(): Promise<void> {
    for (;;) {
      try {
        return await this.sync()
      } catch (err) {
        if (!(err instanceof SyncSuperseded)) throw err
      }
    }
  }

  /**
   * Makes the index fresh enough to answer. A cold isolate waits for its first load; a warm one never waits: if its
   * index is older than SYNC_INTERVAL_MS, a sync starts beside the request, and the request answers from what the
   * isolate has (a busy isolate thus follows the writer within about SYNC_INTERVAL_MS plus the feed's age).
   */
  async ready(ctx: { waitUntil(promise: Promise<unknown>): void }): Promise<void> {
    if (this.syncedAt === 0) {
      try {
        await this.#firstLoad()
      } catch (err) {
        // Never answer "no results" for an index that could not load: say so, and when to try again.
        console.error(JSON.stringify({ level: 'error', msg: 'index load failed', error: String(err) }))
        throw new ProblemError(503, 'index-unavailable', 'The search index is loading or unavailable. Retry.', {
          headers: { 'retry-after': '1' },
        })
      }
      return
    }
    if (Date.now() - this.syncedAt <= SYNC_INTERVAL_MS) return
    if (this.#syncing && Date.now() - this.#syncAliveAt <= this.lostAfterMs) return
    ctx.waitUntil(
      this.sync().catch((err: unknown) => {
        console.error(JSON.stringify({ level: 'warn', msg: 'index sync failed', error: String(err) }))
      }),
    )
  }

  /**
   * An article KV does not show here (`GET /articles/:id` after a KV miss). Null, without any call to the writer,
   * when this index does not hold the id: a miss for an id never accepted, or deleted, costs the writer nothing,
   * however many arrive. When the index holds it, KV has just not caught up (a key takes up to a minute to reach
   * every location, and the writer's outbox trails a burst): the writer's copy, through the location's cache, once
   * per location and index version whatever the number of requests.
   *
   * Before it answers null, the index follows the writer to the moment the read arrived (heads through the shared
   * feed, one per HEAD_TICK_MS per location, so a wait of about that much; MISS_WAIT_MS at most): an article whose
   * 202 came before the read is found, as the writer itself would have found it.
   */
  async recentArticle(id: string, ctx: { waitUntil(promise: Promise<unknown>): void }): Promise<Article | null> {
    const asked = Date.now()
    await this.ready(ctx)
    if (!this.index.has(id)) await this.#follow(asked, asked + MISS_WAIT_MS, ctx)
    if (!this.index.has(id)) return null
    try {
      return await this.feed.article(id, { epoch: this.#epoch ?? '', seq: this.seq })
    } catch (err) {
      // It exists, KV does not show it yet, and the writer cannot say: a moment's outage, not a 404.
      console.error(JSON.stringify({ level: 'warn', msg: 'article read from the writer failed', error: String(err) }))
      throw new ProblemError(503, 'article-unavailable', 'The article is not readable here yet. Retry.', {
        headers: { 'retry-after': '1' },
      })
    }
  }

  /** Syncs until the index holds every change the writer accepted before `since`, or until `deadline`. */
  async #follow(since: number, deadline: number, ctx: { waitUntil(promise: Promise<unknown>): void }): Promise<void> {
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)))
    while (this.#coveredAt < since && Date.now() < deadline) {
      const synced = this.sync().catch(() => undefined)
      ctx.waitUntil(synced)
      await Promise.race([synced, sleep(deadline - Date.now())])
      if (this.#coveredAt >= since) return
      // The location's head of this tick was read before `since`: the next tick's is read after it.
      const nextTick = (headTick() + 1) * HEAD_TICK_MS
      await sleep(Math.min(nextTick, deadline) - Date.now())
    }
  }
}

/** A sync stopped because a newer one replaced it (see SYNC_LOST_MS); the newer one carries on. */
class SyncSuperseded extends Error {
  constructor() {
    super('sync superseded by a newer one')
  }
}

let live: LiveIndex | undefined

/** The isolate-wide live index (one per isolate, created on first use), following the writer through `location`. */
export function liveIndex(env: SearchEnv, location: string): LiveIndex {
  live ??= new LiveIndex(env, sharedFeed(env, caches.default, location))
  return live
}
