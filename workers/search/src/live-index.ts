import type { Article } from '@edgewire/shared/article'
import { ProblemError } from '@edgewire/shared/http'
import {
  articleKey,
  bodiesPart,
  type Manifest,
  readParts,
  type SegmentRef,
  segmentPartKey,
  toIndexDoc,
} from '@edgewire/shared/lifecycle'
import {
  SearchIndex,
  type SearchParams,
  type SearchResult,
  Segment,
  SegmentFormatError,
  type StoredText,
} from '@edgewire/shared/search'
import { shardOf } from '@edgewire/shared/shards'
import {
  CHANGE_BLOCK_SEQS,
  type Change,
  type ChangeBlock,
  HEAD_TICK_MS,
  headTick,
  type WriterHead,
} from '@edgewire/shared/writer-rpc'
import { BodyBlocks } from './body-blocks'
import type { SearchEnv } from './context'
import { type KvReader, kvReader } from './distant-kv'
import { LOCAL_LOCATION, requestLocation, shardFeeds, type WriterFeed } from './writer-feed'

/**
 * Body blocks one round of reading ahead reads, one after another (see #readAhead): a round holds a request's
 * `waitUntil` for a few KV reads, and a Reuters index's 490 blocks are held after about sixty requests.
 */
export const READ_AHEAD_BLOCKS = 8
/** How long reading ahead waits after KV did not show a block (a new segment's, for up to a minute at the edge). */
export const READ_AHEAD_RETRY_MS = 2000
/** A search finding the index older than this starts a sync beside itself (it never waits for one). */
export const SYNC_INTERVAL_MS = 100
/**
 * Text indexed between two yields to the event loop while a sync runs, in characters of title and body (a delete
 * counts as DELETE_CHARS). Analysis costs about its text's length, whatever the articles' lengths (25 changes a
 * slice, as before, was 25 Reuters briefs or 25 long pages), so a search arriving meanwhile waits one slice at most,
 * not a whole 1,000-article batch. Reuters in Node, memtable upserts: 20,000 characters took 5 ms p50 and 11 ms p90,
 * which set the steady feed's worker p99 (36 ms in `npm run bench`); a quarter of that is a quarter of the wait.
 */
export const SLICE_CHARS = 5_000
const DELETE_CHARS = 200
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
 * The most a memtable follows past what it must reach (the index in use's changes, for a swap's new index), in
 * documents and in words: once past either, a catch-up stops before its next change, and the reader waits for a
 * flush to swap (see #swapPays). A memtable document costs about 3 KiB beside its text (doc-terms.ts), so this
 * bounds the memtable to about 8 MiB of Reuters articles, or a few long ones. Without it a reader followed the
 * writers' whole burst tails (locally four writers and the webhooks share a thread, and each writer's flushes
 * trailed its head by up to 17,000 changes) and held 287 MiB (`npm run bench:memory`, four writers). A writer whose
 * flushes trail its head by more than this delays search, not memory.
 */
export const MEMTABLE_MAX_DOCS = 2000
export const MEMTABLE_MAX_TERMS = 1_000_000
/**
 * A reader follows the writer's changes block by block whatever its manifest, so it swaps to a newer manifest only
 * when that pays: once its memtable is half full (half of MEMTABLE_MAX_DOCS or of MEMTABLE_MAX_TERMS), or its
 * manifest is this old. Swapping at every flush (every quarter second in a steady feed) re-indexed the same recent
 * changes into a new memtable each time and kept a busy reader seconds behind. Half, not full: a memtable that
 * fills stops following until a swap empties it, and a swap takes 0.7–1.6 s where KV does not show the new segment
 * yet and it comes from the writer. At the bound itself (2,000), each 1,000-article batch of a steady feed filled the
 * memtable a flush after the last swap, and new articles waited for that swap: freshness p99 2.4–2.9 s with
 * `KV_PROPAGATION_MS=10000` (a trace of the reader's syncs and swaps). Replaced segments stay in KV for five
 * minutes, far longer than a swap waits.
 */
export const SWAP_AFTER_MS = 10_000
/**
 * A swap replays into the new index every shard's changes after the manifest it takes for that shard (a moved
 * shard's newest, an unmoved shard's manifest in use: all shards share one memtable): work done a second time, and
 * a second memtable held beside the first. So a swap also needs a short replay, at most this many changes (about
 * 0.3 s in workerd at Reuters), or at most half the memtable it replaces, so that it still halves what the reader
 * holds. During a burst the writers' heads run thousands of changes ahead of their last flush: a swap to such a
 * manifest replayed 17,000 Reuters changes in 16 s, while search (the swap then ran inside the sync) stood still
 * (`npm run bench`: all searchable 19 s after the last 202). The reader follows the blocks instead and swaps when
 * the writers' flushes catch up.
 */
export const SWAP_REPLAY_DOCS = 500
/**
 * Sealed change blocks a catch-up reads ahead of the one it applies. Each block read waits for the writer's thread,
 * which a 1,000-article batch holds for a second or more locally; one block at a time, a reader followed a burst at
 * 256 changes a second. Bounded, because each block waiting holds up to CHANGE_BLOCK_SEQS articles.
 */
export const BLOCKS_AHEAD = 3
/**
 * Bytes of segments one swap may open beside the index in use, summed over the shards it swaps (one shard's new
 * segments at least, however large). A swap holds the index in use and the segments it opens at once: a reindex
 * rebuilds every shard, and swapping all at once held the whole index twice. At 16 MiB a swap during a four-writer
 * Reuters burst opened two shards' merges at once (14.7 MiB of a 68 MiB peak, a heap snapshot); at 8 MiB it opens
 * about one, and the other moved shards swap at the next syncs, one after another.
 */
export const SWAP_OPEN_BYTES = 8 * 1024 * 1024

/**
 * How long a read of an article this index does not hold may wait for the index to follow the writer to the moment
 * the read arrived (see `recentArticle`): about one HEAD_TICK_MS and a sync normally; a writer that does not answer
 * must not hold a 404 for SYNC_LOST_MS.
 */
export const MISS_WAIT_MS = 1000

/** Called after every read and slice of work: throws when that work must stop, else notes its progress. */
type Alive = () => void

/** Lets requests that arrived meanwhile run: the sync goes on after them. */
const yieldToRequests = () => new Promise<void>((resolve) => setTimeout(resolve, 0))

/** One shard's writer as this index follows it. */
class ShardState {
  /** The writer storage followed (see WriterHead.epoch); null before the first load. */
  epoch: string | null = null
  /** Highest change of this shard applied. */
  seq = 0
  /** The manifest the index holds this shard's segments from; null before the first load. */
  manifest: Manifest | null = null
  /** The writer's time of the newest head this shard caught up to: it holds every change accepted before then. */
  coveredAt = 0
  /** When this shard's manifest was swapped in (epoch ms; 0: never): the longest-waiting shard swaps first. */
  swappedAt = 0

  constructor(
    readonly shard: number,
    readonly feed: WriterFeed,
  ) {}

  get manifestVersion(): number {
    return this.manifest?.version ?? -1
  }
}

/** A shard's head as one sync read it. */
interface ShardHead {
  state: ShardState
  head: WriterHead
  /** the writer's storage is not the one followed, or went back in time (a restore): its state is the truth */
  wentBack: boolean
}

/**
 * This isolate's copy of the index: every shard's published segments (immutable, from KV) plus the changes made
 * after them (in the index's memtable), kept in step with each shard's writer by sequence number. All shards'
 * segments and changes are one SearchIndex, so the index ranks as one (document count, document frequencies and
 * field lengths summed over every segment of every shard); an article lives in one shard only, so the shards'
 * changes never meet in the memtable.
 *
 * Searches never wait for the writers once the isolate has an index: syncs run beside them, in slices. Its state
 * only moves forward: new manifests are opened and caught up beside the index in use, and swapped in (one
 * assignment) only once every shard is at least as new, so each shard's seq, and `seq` (their sum, the
 * `indexVersion` searches report), never decrease, a recent upsert never vanishes and a deleted article never comes
 * back. The one exception is a writer whose storage really went back in time (a restore): then its state is the truth.
 */
export class LiveIndex {
  index = new SearchIndex()
  /** When the last sync started that completed (epoch ms; 0: never). */
  syncedAt = 0
  updatedAt: string | null = null
  readonly #shards: ShardState[]
  /** Segments opened so far, by shard and id: a new manifest reuses the ones it keeps. */
  #segments = new Map<string, Segment>()
  #syncing: Promise<void> | null = null
  /** When the running sync last made progress (started, or read or applied something): see SYNC_LOST_MS. */
  #syncAliveAt = 0
  /** When the manifests in use were swapped in (epoch ms). */
  #swappedAt = 0
  /** A swap left moved shards for later (see #shardsToSwap): the next sync swaps them, however young the index. */
  #swapsDeferred = false
  /** The index whose dictionaries #prepareBeside builds or built. */
  #preparing: SearchIndex | null = null
  /** Bumped at every sync start; a sync whose generation is no longer current stops before it changes anything. */
  #generation = 0
  /** The swap running beside the syncs (see #startSwap), if any. */
  #swapping: Promise<void> | null = null
  /** When the running swap last made progress (see SYNC_LOST_MS). */
  #swapAliveAt = 0
  /** Bumped at every swap start; a swap whose generation is no longer current stops before it changes anything. */
  #swapGeneration = 0
  /** A swap is bringing its new index up to the index in use, which stops following meanwhile (see #reachInUse). */
  #handingOver = false
  readonly #kv: KvReader
  /** The segments' body blocks, read as hits need them and ahead of them (see BodyBlocks). */
  readonly #bodies = new BodyBlocks()
  /** The segments of the index in use. */
  #inUse = new Set<Segment>()
  /** The index whose body blocks are all read ahead, as far as the budget goes (see #readAhead). */
  #readAheadOf: SearchIndex | null = null
  #readingAhead = false
  /** No round of reading ahead before this (epoch ms): KV did not show a block yet. */
  #readAheadAt = 0

  /**
   * @param feeds where each shard's writer state comes from, shard 0 first (one feed: the writer 'main' alone); by
   *   default every shard's shared feed of the location (see `shardFeeds`)
   * @param slices whether a sync yields to requests between slices of work (a test reading the state right after
   *   `sync()` does not need it)
   * @param swapAfterMs how old the manifests in use may grow before newer ones are swapped in (see SWAP_AFTER_MS)
   * @param lostAfterMs how long a sync may go without progress before it is taken for lost (see SYNC_LOST_MS)
   * @param swapOpenBytes bytes of new segments one swap may open, over the shards it swaps (see SWAP_OPEN_BYTES)
   * @param swapReplayDocs changes a swap may replay when that does not halve the memtable (see SWAP_REPLAY_DOCS)
   * @param memtableMaxDocs documents a memtable follows beyond what it must reach (see MEMTABLE_MAX_DOCS)
   */
  constructor(
    env: SearchEnv,
    feeds: WriterFeed | readonly WriterFeed[] = shardFeeds(env, caches.default, LOCAL_LOCATION),
    private readonly slices = true,
    private readonly swapAfterMs = SWAP_AFTER_MS,
    private readonly lostAfterMs = SYNC_LOST_MS,
    private readonly swapOpenBytes = SWAP_OPEN_BYTES,
    private readonly swapReplayDocs = SWAP_REPLAY_DOCS,
    private readonly memtableMaxDocs = MEMTABLE_MAX_DOCS,
  ) {
    this.#kv = kvReader(env.ARTICLES, env.KV_PROPAGATION_MS)
    this.#shards = ('head' in feeds ? [feeds] : feeds).map((feed, shard) => new ShardState(shard, feed))
  }

  /**
   * The index version searches report: the sum of the shards' sequence numbers. Each only grows, so the sum does
   * too (and counts every change applied).
   */
  get seq(): number {
    return this.#shards.reduce((n, s) => n + s.seq, 0)
  }

  /** The manifests' versions summed (-1: none loaded yet); grows with every flush or merge of any shard. */
  get manifestVersion(): number {
    if (this.#shards.some((s) => s.manifest === null)) return -1
    return this.#shards.reduce((n, s) => n + s.manifestVersion, 0)
  }

  /**
   * Runs a query on the index in use, and finds the bodies its hits' snippets need: in the blocks held, else in a
   * block read from KV, else in the article in KV, and only then in a block from the writer (where KV does not show
   * either yet, or a merge replaced the segment minutes ago). A hit none of them gives (its article deleted since)
   * keeps an empty snippet; the search answers either way.
   */
  async search(params: SearchParams): Promise<SearchResult> {
    const page = this.index.searchPage(params)
    await Promise.all(
      page.bodiesToRead.map(async ({ hit, segment, doc }) => {
        // The writer last: a swap loads its new segments' blocks before it takes them in, so only a block the
        // budget left out, and that KV does not show yet, is asked of it.
        const stored =
          (await this.#bodies.stored(segment, doc, 'kv').catch(bodyUnread)) ??
          (await this.#storedFromArticle(hit.id).catch(bodyUnread)) ??
          (await this.#bodies.stored(segment, doc, 'writer').catch(bodyUnread))
        if (stored !== null) {
          hit.url = stored.url
          hit.snippet = page.snippet(stored.body)
        }
      }),
    )
    return page.result
  }

  async #storedFromArticle(id: string): Promise<StoredText | null> {
    const json = await this.#kv.get(articleKey(id), 'text')
    if (json === null) return null
    const { url, body } = toIndexDoc(JSON.parse(json) as Article)
    return { url, body }
  }

  /** Bytes of body blocks this isolate holds now. */
  get bodyBytes(): number {
    return this.#bodies.bytes
  }

  /** The segments this isolate holds, as the manifests describe them, shard by shard. */
  get segmentRefs(): SegmentRef[] {
    return this.#shards.flatMap((s) => s.manifest?.segments ?? [])
  }

  /**
   * Brings the index up to what the writers' feeds show, and settles once a swap this sync started (or one under way)
   * has too. One sync runs at a time; callers share it. A swap runs beside the syncs (see #startSwap): the next sync
   * may start, and follow the writers on the index in use, while it runs.
   */
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
    return this.#syncing.then(() => this.#swapping ?? undefined)
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
    const alive = () => this.#current(generation)
    const started = Date.now()
    const heads = await settled(this.#shards.map((state) => this.#headOf(state, alive)))
    if (this.manifestVersion < 0 || heads.some((h) => h.wentBack)) {
      // The first load has no index to follow meanwhile, and a writer whose storage went back in time has no state
      // the index in use could follow: this sync swaps, and any swap under way is given up.
      this.#swapGeneration++
      await this.#swap(heads, alive)
    } else {
      if (this.#swapPays(heads) && !this.#swapUnderWay()) this.#startSwap(heads)
      await this.#followInUse(heads, alive)
    }
    this.syncedAt = started
    for (const { state, head } of heads) {
      if (state.epoch === head.epoch && state.seq >= head.headSeq)
        state.coveredAt = Math.max(state.coveredAt, head.readAt)
    }
  }

  /**
   * Whether a swap to the shards' newer manifests pays now: some shard moved, the memtable is large or the manifests
   * in use old (or moved shards wait from an earlier swap), and the swap's replay is short (see SWAP_REPLAY_DOCS);
   * or, with a full memtable (see MEMTABLE_MAX_DOCS), the new manifests free a quarter of it.
   */
  #swapPays(heads: readonly ShardHead[]): boolean {
    if (!heads.some(moved)) return false
    if (this.#swapsDeferred) return true
    const pending = this.index.pendingCount
    if (this.#full(this.index)) {
      // Following has stopped: a swap is the way on, once it lets go of a quarter of the memtable at least.
      const freed = heads.reduce((n, h) => {
        const inUse = h.state.manifest?.seq ?? 0
        return n + Math.max(0, Math.min(h.head.manifestSeq, h.state.seq) - inUse)
      }, 0)
      return freed >= pending / 4
    }
    // Every shard's changes after the manifest the new index takes for it: a moved shard's newest, an unmoved
    // shard's manifest in use (all shards share one memtable, so a swap replays the unmoved shards' part of it).
    const replay = heads.reduce((n, h) => {
      const from = moved(h) ? h.head.manifestSeq : (h.state.manifest?.seq ?? 0)
      return n + Math.max(0, h.head.headSeq - from)
    }, 0)
    return (
      (this.#full(this.index, 2) || Date.now() - this.#swappedAt >= this.swapAfterMs) &&
      (replay <= this.swapReplayDocs || replay <= pending / 2)
    )
  }

  /**
   * Whether `index`'s memtable holds MEMTABLE_MAX_DOCS documents or MEMTABLE_MAX_TERMS words; with `part` 2, half of
   * either (see SWAP_AFTER_MS).
   */
  #full(index: SearchIndex, part = 1): boolean {
    return index.pendingCount >= this.memtableMaxDocs / part || index.pendingTerms >= MEMTABLE_MAX_TERMS / part
  }

  /** A swap runs and has made progress within the lost bound (see SYNC_LOST_MS). */
  #swapUnderWay(): boolean {
    return this.#swapping !== null && Date.now() - this.#swapAliveAt <= this.lostAfterMs
  }

  /**
   * Starts a swap beside the syncs: its reads of manifests and segments (seconds, where KV does not show them yet
   * and they come from the writer) and its replay never stop the index in use from following the writers. Its own
   * generation: a newer swap, or a sync that must swap at once, gives it up.
   */
  #startSwap(heads: readonly ShardHead[]): void {
    const generation = ++this.#swapGeneration
    this.#swapAliveAt = Date.now()
    const alive = () => {
      if (generation !== this.#swapGeneration) throw new SyncSuperseded()
      this.#swapAliveAt = Date.now()
    }
    const swapping: Promise<void> = this.#swap(heads, alive)
      .catch((err: unknown) => {
        if (err instanceof SyncSuperseded) return
        // The index in use serves on; a later sync starts the swap again.
        console.error(JSON.stringify({ level: 'warn', msg: 'index swap failed', error: String(err) }))
      })
      .finally(() => {
        if (this.#swapping === swapping) this.#swapping = null
      })
    this.#swapping = swapping
  }

  /** Opens the newest manifests of the shards a swap takes now (see #shardsToSwap) and swaps to them. */
  async #swap(heads: readonly ShardHead[], alive: Alive): Promise<void> {
    const newest = await settled(
      heads.map((h) =>
        !h.wentBack && h.state.manifest && !moved(h) ? h.state.manifest : this.#manifestOf(h.state, h.head, alive),
      ),
    )
    const swapping = this.#shardsToSwap(heads, newest)
    // A shard left for a later swap keeps the manifest in use; its changes come from its blocks meanwhile.
    const manifests = newest.map((manifest, i) => {
      const inUse = heads[i]?.state.manifest
      return inUse && !swapping.has(i) ? inUse : manifest
    })
    if (!(await this.#swapTo(heads, manifests, alive))) return
    // The moved shards left for later swap at the next sync, whatever the age of the manifests in use.
    this.#swapsDeferred = heads.some((h, i) => !swapping.has(i) && newest[i] !== h.state.manifest)
  }

  /**
   * Applies every shard's changes up to its head to the index in use. A swap that replaces the index meanwhile, or
   * is about to (#reachInUse), ends this: the new index will be at least as new, and the next sync follows on from it.
   */
  async #followInUse(heads: readonly ShardHead[], alive: Alive): Promise<void> {
    const index = this.index
    const following = () => {
      alive()
      if (this.index !== index || this.#handingOver) throw new IndexReplaced()
    }
    if (this.#handingOver) return
    try {
      await settled(
        heads.map(({ state, head }) =>
          this.#catchUp(state, head, index, { from: state.seq, to: head.headSeq, mustReach: 0 }, following, (seq) => {
            if (this.index === index) state.seq = seq
          }),
        ),
      )
    } catch (err) {
      if (!(err instanceof IndexReplaced)) throw err
    }
  }

  /** A shard's head, confirmed with the writer itself when it looks older than what this index holds. */
  async #headOf(state: ShardState, alive: Alive): Promise<ShardHead> {
    let head = await state.feed.head()
    alive()
    const elsewhere = state.epoch !== null && head.epoch !== state.epoch
    if (!elsewhere && (head.headSeq < state.seq || head.manifestVersion < state.manifestVersion)) {
      // A shared head older than this reader, or a writer whose storage went back in time (a restore): only the
      // writer itself can tell which.
      head = await state.feed.head(true)
      alive()
    }
    return { state, head, wentBack: elsewhere || head.headSeq < state.seq }
  }

  async #manifestOf(state: ShardState, head: WriterHead, alive: Alive): Promise<Manifest> {
    const manifest = await state.feed.manifest(head)
    alive()
    return manifest
  }

  /**
   * Applies a shard's changes after `range.from` to `index`, block by block, until it reaches `range.to` (or the feed
   * has nothing newer yet). Past `range.mustReach` (by default `to`), it stops before the next change once the
   * memtable is full (see MEMTABLE_MAX_DOCS), and reads no further block. `advance` is told each sequence number reached; returns the last.
   */
  async #catchUp(
    state: ShardState,
    head: WriterHead,
    index: SearchIndex,
    range: { from: number; to: number; mustReach?: number },
    alive: Alive,
    advance: (seq: number) => void,
  ): Promise<number> {
    let seq = range.from
    const target = range.to
    const mustReach = range.mustReach ?? target
    // Blocks asked ahead (BLOCKS_AHEAD), by index: sealed ones only, which any later catch-up reads the same.
    const ahead = new Map<number, Promise<ChangeBlock>>()
    const read = (block: number, after: number | undefined) => {
      const sealed = (block + 1) * CHANGE_BLOCK_SEQS <= target
      if (after !== undefined) return state.feed.changeBlock(head, block, sealed, after)
      const asked = ahead.get(block) ?? state.feed.changeBlock(head, block, sealed)
      ahead.delete(block)
      return asked
    }
    /** Where the block being read was cut short (ChangeBlock.more): its rest is asked after it. */
    let after: number | undefined
    while (seq < target) {
      if (seq >= mustReach && this.#full(index)) break
      const block = Math.floor(seq / CHANGE_BLOCK_SEQS)
      const end = (block + 1) * CHANGE_BLOCK_SEQS
      for (let next = block + 1; next <= block + BLOCKS_AHEAD && (next + 1) * CHANGE_BLOCK_SEQS <= target; next++) {
        if (ahead.has(next)) continue
        const asked = state.feed.changeBlock(head, next, true)
        // A block asked ahead that this catch-up stops before is not awaited: its failure is not this sync's.
        asked.catch(() => undefined)
        ahead.set(next, asked)
      }
      const { changes, headSeq, more } = await read(block, after)
      alive()
      const reached = Math.min(end, headSeq, target)
      after = more ? Math.max(seq, reached) : undefined
      if (reached <= seq) {
        if (more) continue // cut short before this reader's seq: the rest of the block is asked after it
        break // a shared copy older than the target: the next sync goes on from here
      }
      const applied = await this.#apply(index, changes, seq, reached, mustReach, alive, advance)
      // Every change up to `applied` is applied, even where the block holds none (its articles changed again later).
      seq = applied
      advance(seq)
      if (applied < reached) break // the memtable is full
    }
    return seq
  }

  /**
   * Applies the changes in (from, to] in slices, yielding to requests between them; past `mustReach`, only while the
   * memtable is not full. Returns the sequence number up to which every change is applied: `to`, or less when full.
   */
  async #apply(
    index: SearchIndex,
    changes: Change[],
    from: number,
    to: number,
    mustReach: number,
    alive: Alive,
    advance: (seq: number) => void,
  ): Promise<number> {
    let sliceChars = 0
    let applied = to
    alive()
    for (const change of changes) {
      if (change.seq <= from || change.seq > to) continue
      if (change.seq > mustReach && this.#full(index)) {
        applied = Math.max(from, change.seq - 1)
        break
      }
      if (sliceChars >= SLICE_CHARS) {
        sliceChars = 0
        if (this.slices) await yieldToRequests()
        alive()
      }
      if (change.article) {
        // A swap's new index shares the analysis of what the index in use holds already (see Memtable.upsert).
        index.upsert(toIndexDoc(change.article), index === this.index ? undefined : this.index)
        sliceChars += change.article.title.length + change.article.body.length
      } else {
        index.delete(change.id)
        sliceChars += DELETE_CHARS
      }
      if (change.article?.updatedAt) this.updatedAt = change.article.updatedAt
      advance(change.seq)
    }
    // Here, not in the next query: the memtable's new terms merged into its dictionary. Only the memtable's: a new
    // index's segment dictionary is built in steps before its swap (#swapTo), or after the first load (ready), not in
    // one piece here.
    index.prepareRecent()
    return applied
  }

  /**
   * Opens the shards' manifests' segments beside the index in use (reusing those already open), hides their
   * tombstones, replays each shard's changes after its manifest until it is at least as new as in the index in use,
   * and swaps it in. For a shard whose writer was restored or started anew (`wentBack`), its state is taken as it is.
   * False when the swap is given up (a shard's feed could not bring the new index up to the index in use yet).
   */
  async #swapTo(heads: readonly ShardHead[], manifests: Manifest[], alive: Alive): Promise<boolean> {
    this.#forgetUnneeded(heads, manifests)
    const { segments, opened, unreadable, fetchMs } = await this.#openSegments(heads, manifests, alive)
    // The index in use lends its old segments' id table and merged terms while they are still the first segments.
    const index = new SearchIndex(opened, {}, this.index)
    for (const manifest of manifests) for (const id of manifest.tombstones) index.delete(id)
    // A segment this code cannot read (built with another analyzer or a newer format, while the writer rebuilds
    // after a deploy): its articles come from the writer's change blocks instead, into the memtable. Only those whose
    // latest change lies in its range are there, so none overrides a newer segment's copy.
    for (const { at, ref } of unreadable) {
      await this.#catchUp(at.state, at.head, index, { from: ref.seqFrom, to: ref.seqTo }, alive, () => undefined)
    }
    const replayed = await settled(
      heads.map(({ state, head, wentBack }, i) => {
        // At least as far as the index in use (its state is the truth for a writer that went back), then as far as
        // the memtable holds.
        const range = wentBack
          ? { from: manifests[i]?.seq ?? 0, to: head.headSeq, mustReach: 0 }
          : { from: manifests[i]?.seq ?? 0, to: Math.max(head.headSeq, state.seq), mustReach: state.seq }
        return this.#catchUp(state, head, index, range, alive, () => undefined)
      }),
    )
    alive()
    // The new segments' body blocks, before the swap takes them in (not at the first load: requests wait for that
    // one, and read ahead after it). Where KV does not show them yet, a search would otherwise wait on the writer
    // for its snippets: at KV_PROPAGATION_MS=10000 the steady feed's worker p99 was 66 ms, each flush's or merge's
    // new segment read block by block by the searches that hit it.
    if (this.manifestVersion >= 0)
      await this.#bodies.load(
        opened.filter((s) => !this.#inUse.has(s)),
        alive,
      )
    // The new segments' merged dictionary, built before the swap instead of in its first query (14–80 ms at Reuters),
    // in steps between which requests run. Not at the first load: requests wait for that one, and a query reads the
    // dictionary only when it expands a word (a rare one, or a last word that is not common), so they answer first
    // and it is built beside the requests after them (see ready). The old segments' part is the index in use's when
    // they are still the first segments (segment-terms.ts): a swap merges the young segments' terms only.
    if (this.manifestVersion >= 0) {
      for (const steps = index.prepareInSteps(this.index); !steps.next().done; ) {
        if (this.slices) await yieldToRequests()
        alive()
      }
    }
    const seqs = await this.#reachInUse(heads, index, replayed, alive)
    if (!seqs) return false
    // From here to the assignment nothing awaits: the index in use cannot move past the new one in between.
    console.log(
      JSON.stringify({
        level: 'info',
        msg: 'index snapshot loaded',
        versions: manifests.map((m) => m.version),
        segments: opened.length + unreadable.length,
        bytes: manifests.reduce((n, m) => n + m.segments.reduce((b, s) => b + s.bytes, 0), 0),
        tombstones: manifests.reduce((n, m) => n + m.tombstones.length, 0),
        unreadable: unreadable.length,
        fetchMs,
      }),
    )
    this.#takeIn(heads, manifests, index, segments, seqs)
    return true
  }

  /**
   * The segments of the manifests a swap takes, one after another, with requests let in between: those already open
   * are reused (not a shard's whose writer went back), the others read (see #open). A segment this code cannot read
   * is listed apart.
   */
  async #openSegments(
    heads: readonly ShardHead[],
    manifests: Manifest[],
    alive: Alive,
  ): Promise<{
    segments: Map<string, Segment>
    opened: Segment[]
    unreadable: { at: ShardHead; ref: SegmentRef }[]
    fetchMs: number
  }> {
    const started = performance.now()
    const segments = new Map<string, Segment>()
    const opened: Segment[] = []
    const unreadable: { at: ShardHead; ref: SegmentRef }[] = []
    for (const [i, at] of heads.entries()) {
      for (const ref of manifests[i]?.segments ?? []) {
        const key = segmentKey(at.state.shard, ref.id)
        const segment = (at.wentBack ? undefined : this.#segments.get(key)) ?? (await this.#open(at, ref))
        // Kept even if this swap is given up: the next attempt reuses it instead of reading it again.
        if (segment && !at.wentBack) this.#segments.set(key, segment)
        alive()
        if (segment) {
          segments.set(key, segment)
          opened.push(segment)
        } else unreadable.push({ at, ref })
        if (this.slices) await yieldToRequests()
      }
    }
    // Workers clocks advance only across I/O, so this measures the reads, not the CPU of opening.
    return { segments, opened, unreadable, fetchMs: Math.round(performance.now() - started) }
  }

  /** Makes a swap's new index, caught up to `seqs`, the index in use (one step: nothing awaits in here). */
  #takeIn(
    heads: readonly ShardHead[],
    manifests: Manifest[],
    index: SearchIndex,
    segments: Map<string, Segment>,
    seqs: number[],
  ): void {
    // The blocks of the segments the new index no longer names make room for the new ones' (see #readAhead).
    for (const [key, segment] of this.#segments) if (!segments.has(key)) this.#bodies.forget(segment)
    this.#segments = segments
    this.#inUse = new Set(segments.values())
    this.index = index
    for (const [i, { state, head }] of heads.entries()) {
      const manifest = manifests[i]
      if (!manifest) continue
      if (manifest !== state.manifest) state.swappedAt = Date.now()
      state.manifest = manifest
      state.seq = seqs[i] ?? state.seq
      if (state.epoch !== head.epoch) state.coveredAt = 0
      state.epoch = head.epoch
      this.updatedAt ??= manifest.createdAt || null
    }
    this.#swappedAt = Date.now()
  }

  /**
   * Brings a swap's new index up to the index in use, which went on following the writers while the swap opened and
   * replayed. The index in use pauses meanwhile (#handingOver), so that the new one can reach it: beside a burst, a
   * new index chasing one that keeps following never caught up, and both memtables grew (281 MiB live in the search
   * isolate at Reuters with four writers, `npm run bench:memory`). The pause lasts these rounds, which apply what the
   * index in use applied during the swap. Null when a shard's feed cannot bring the new index that far yet (a shared
   * block older than the index in use): the swap is given up, and a later sync starts it again.
   */
  async #reachInUse(
    heads: readonly ShardHead[],
    index: SearchIndex,
    from: number[],
    alive: Alive,
  ): Promise<number[] | null> {
    const behind = (seqs: number[]) => heads.some(({ state, wentBack }, i) => !wentBack && (seqs[i] ?? 0) < state.seq)
    let seqs = from
    this.#handingOver = true
    try {
      while (behind(seqs)) {
        const before = seqs
        seqs = await settled(
          heads.map(({ state, head, wentBack }, i) =>
            wentBack
              ? (seqs[i] ?? 0)
              : this.#catchUp(state, head, index, { from: seqs[i] ?? 0, to: state.seq }, alive, () => undefined),
          ),
        )
        alive()
        if (seqs.every((seq, i) => seq === before[i]) && behind(seqs)) return null
      }
      return seqs
    } finally {
      this.#handingOver = false
    }
  }

  /**
   * The shards (by position in `heads`) whose newest manifests this swap opens: at the first load, and for a shard
   * whose writer went back, there is nothing to keep, so all of those; otherwise the moved shards, the one whose
   * manifest has been in use longest first (a shard that flushes often never holds the others back), while the
   * segments they would open (those not open already) stay within swapOpenBytes, and one shard at least.
   */
  #shardsToSwap(heads: readonly ShardHead[], newest: readonly Manifest[]): Set<number> {
    const all = heads.flatMap((h, i) => (h.wentBack || h.state.manifest === null ? [i] : []))
    if (all.length > 0) return new Set(all)
    const moved = heads.flatMap((h, i) => (newest[i] !== h.state.manifest ? [i] : []))
    moved.sort((a, b) => (heads[a]?.state.swappedAt ?? 0) - (heads[b]?.state.swappedAt ?? 0))
    const swapping = new Set<number>()
    let bytes = 0
    for (const i of moved) {
      const shard = heads[i]?.state.shard ?? 0
      const opens = (newest[i]?.segments ?? [])
        .filter((ref) => !this.#segments.has(segmentKey(shard, ref.id)))
        .reduce((n, ref) => n + ref.bytes, 0)
      if (swapping.size > 0 && bytes + opens > this.swapOpenBytes) break
      swapping.add(i)
      bytes += opens
    }
    return swapping
  }

  /**
   * Lets go of the segments neither the index in use nor the manifests being swapped to name: those an earlier swap
   * opened and then gave up (kept for the next attempt), which a newer merge has replaced since. Held until the next
   * swap that completes, they were another copy of the shard's bytes, beside the old and the new, at the isolate's
   * peak.
   */
  #forgetUnneeded(heads: readonly ShardHead[], manifests: Manifest[]): void {
    const needed = new Set<string>()
    for (const [i, { state }] of heads.entries()) {
      for (const ref of state.manifest?.segments ?? []) needed.add(segmentKey(state.shard, ref.id))
      for (const ref of manifests[i]?.segments ?? []) needed.add(segmentKey(state.shard, ref.id))
    }
    for (const [key, segment] of this.#segments) {
      if (needed.has(key)) continue
      this.#segments.delete(key)
      this.#bodies.forget(segment)
    }
  }

  /**
   * Reads a segment's head from KV, as this location sees it; a part KV does not show yet (a new key takes up to a
   * minute to reach every location) comes from the shard's writer through the location's cache. Its body blocks are
   * read later (see BodyBlocks): where from is registered here. Null when this code cannot read the segment (another
   * analyzer, another format).
   */
  async #open(at: ShardHead, ref: SegmentRef): Promise<Segment | null> {
    // One part after another, each copied into the segment's buffer as it arrives (readParts): reading them all at
    // once and joining them held every part and their joined copy, twice the segment, at the isolate's peak.
    const bytes = await readParts(ref.bytes, ref.parts, async (i) => {
      const value =
        (await this.#kv.get(segmentPartKey(ref.id, i), 'arrayBuffer')) ??
        (await at.state.feed.segmentPart(at.head, ref, i))
      if (!value) throw new Error(`segment ${ref.id} part ${i} is neither in KV nor at the writer`)
      return new Uint8Array(value)
    })
    try {
      const segment = Segment.open(bytes)
      // Its body blocks follow its head's parts, under the same keys.
      const part = (i: number) => this.#kv.get(segmentPartKey(ref.id, i), 'arrayBuffer')
      this.#bodies.register(segment, {
        kv: (block) => part(ref.parts + block),
        writer: (block) => at.state.feed.segmentPart(at.head, ref, ref.parts + block),
        all: async () => (await part(bodiesPart(ref))) ?? at.state.feed.segmentPart(at.head, ref, bodiesPart(ref)),
      })
      return segment
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
   * isolate has (a busy isolate thus follows the writers within about SYNC_INTERVAL_MS plus the feed's age).
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
      ctx.waitUntil(this.#prepareBeside())
      return
    }
    if (this.#readAheadOf !== this.index && !this.#readingAhead && Date.now() >= this.#readAheadAt) {
      this.#readingAhead = true
      ctx.waitUntil(this.#readAhead().finally(() => (this.#readingAhead = false)))
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
   * Reads a few body blocks of the index in use ahead of its searches, newest segments first (news readers search
   * the recent most), beside the requests: a request after a round starts the next, until the blocks held fill the
   * budget or every block is held (see BodyBlocks.prefetch). A swap starts it over for the new index. Blocks KV does
   * not show yet are tried again READ_AHEAD_RETRY_MS later, never asked of the writer.
   */
  async #readAhead(): Promise<void> {
    const index = this.index
    try {
      const segments = [...this.#segments.values()].reverse()
      const left = await this.#bodies.prefetch(segments, READ_AHEAD_BLOCKS)
      if (left === 'later') this.#readAheadAt = Date.now() + READ_AHEAD_RETRY_MS
      if (left === 'done' && this.index === index) this.#readAheadOf = index
    } catch (err) {
      // A block KV and the writer could not give now: the next request tries again, and searches read it as needed.
      console.error(JSON.stringify({ level: 'warn', msg: 'body read-ahead failed', error: String(err) }))
    }
  }

  /**
   * Builds the typo and prefix dictionaries of the index the first load swapped in without them (see #swapTo), in
   * steps between which requests run; once per index, and not past a swap to another (which built its own).
   */
  async #prepareBeside(): Promise<void> {
    const index = this.index
    // The first requests' queries may have built it all already.
    if (index.prepared || this.#preparing === index) return
    this.#preparing = index
    try {
      for (const steps = index.prepareInSteps(); !steps.next().done; ) {
        if (this.slices) await yieldToRequests()
        if (this.index !== index) return
      }
    } finally {
      // Held past its use, the first load's index kept its memtable and every segment a merge replaced since alive
      // for the isolate's life: 6.2 MiB of a Reuters burst's peak (a heap snapshot), up to the whole index after a
      // reindex.
      if (this.#preparing === index) this.#preparing = null
    }
  }

  /**
   * An article KV does not show here (`GET /articles/:id` after a KV miss). Null, without any call to a writer,
   * when this index does not hold the id: a miss for an id never accepted, or deleted, costs the writers nothing,
   * however many arrive. When the index holds it, KV has just not caught up (a key takes up to a minute to reach
   * every location, and the writer's outbox trails a burst): the copy of its shard's writer, through the location's
   * cache, once per location and version of that shard whatever the number of requests.
   *
   * Before it answers null, the index follows the id's shard to the moment the read arrived (heads through the
   * shared feed, one per HEAD_TICK_MS per location, so a wait of about that much; MISS_WAIT_MS at most): an article
   * whose 202 came before the read is found, as the writer itself would have found it.
   */
  async recentArticle(id: string, ctx: { waitUntil(promise: Promise<unknown>): void }): Promise<Article | null> {
    const asked = Date.now()
    const state = this.#shards[shardOf(id, this.#shards.length)]
    if (!state) return null
    await this.ready(ctx)
    if (!this.index.has(id)) await this.#follow(state, asked, asked + MISS_WAIT_MS, ctx)
    if (!this.index.has(id)) return null
    try {
      return await state.feed.article(id, { epoch: state.epoch ?? '', seq: state.seq })
    } catch (err) {
      // It exists, KV does not show it yet, and the writer cannot say: a moment's outage, not a 404.
      console.error(JSON.stringify({ level: 'warn', msg: 'article read from the writer failed', error: String(err) }))
      throw new ProblemError(503, 'article-unavailable', 'The article is not readable here yet. Retry.', {
        headers: { 'retry-after': '1' },
      })
    }
  }

  /** Syncs until the index holds every change `shard`'s writer accepted before `since`, or until `deadline`. */
  async #follow(
    shard: ShardState,
    since: number,
    deadline: number,
    ctx: { waitUntil(promise: Promise<unknown>): void },
  ): Promise<void> {
    const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)))
    while (shard.coveredAt < since && Date.now() < deadline) {
      const synced = this.sync().catch(() => undefined)
      ctx.waitUntil(synced)
      await Promise.race([synced, sleep(deadline - Date.now())])
      if (shard.coveredAt >= since) return
      // The location's head of this tick was read before `since`: the next tick's is read after it.
      const nextTick = (headTick() + 1) * HEAD_TICK_MS
      await sleep(Math.min(nextTick, deadline) - Date.now())
    }
  }
}

/**
 * Like Promise.all, but settles only once every shard's work has: a sync that fails for one shard does not end while
 * another shard's catch-up still changes the index.
 */
async function settled<T>(work: readonly (T | Promise<T>)[]): Promise<T[]> {
  const outcomes = await Promise.allSettled(work)
  return outcomes.map((o) => {
    if (o.status === 'rejected') throw o.reason
    return o.value
  })
}

/** A body not read (KV and the writer both failed): the hit is answered without its snippet, not the search. */
function bodyUnread(err: unknown): null {
  console.error(JSON.stringify({ level: 'warn', msg: 'body block unread', error: String(err) }))
  return null
}

/** Whether the shard's writer has a manifest other than the one the index holds (a flush or merge since). */
const moved = (h: ShardHead): boolean => h.head.manifestVersion !== h.state.manifestVersion

/** Segment ids are the writer's own; the shard makes them the index's. */
const segmentKey = (shard: number, id: number) => `${shard}/${id}`

/** A catch-up of the index in use stopped because a swap replaced that index with a newer one, or is about to. */
class IndexReplaced extends Error {
  constructor() {
    super('index replaced by a swap')
  }
}

/** A sync stopped because a newer one replaced it (see SYNC_LOST_MS); the newer one carries on. */
class SyncSuperseded extends Error {
  constructor() {
    super('sync superseded by a newer one')
  }
}

let live: LiveIndex | undefined

/**
 * The isolate-wide live index (one per isolate, created on first use), following every shard through the location
 * the first request reached. `request.cf` is read only then: reading it took about 0.4 ms a request here (a CPU
 * profile of the search isolate during a steady feed), a fifth of a warm search.
 */
export function liveIndex(env: SearchEnv, request: Request): LiveIndex {
  live ??= new LiveIndex(env, shardFeeds(env, caches.default, requestLocation(request)))
  return live
}
