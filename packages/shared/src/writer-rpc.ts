/**
 * The index writer's RPC surface: what the workers may call on an IndexWriter Durable Object
 * (workers/writer/src/index-writer.ts; one per shard, see shards.ts), and the shapes that travel over it. The writer implements these interfaces;
 * callers type their binding with them, so no worker imports another's source. Everything else in the writer is
 * `#private`, which Workers RPC cannot reach.
 */
import type { Article, ArticleResult } from './article'
import type { Manifest } from './lifecycle/manifest'

/** One change the writer is asked to make, or an article rejected before it got there (answered as given). */
export type WriteOp =
  | { kind: 'upsert'; article: Article }
  | { kind: 'delete'; id: string; url?: string }
  | { kind: 'rejected'; result: ArticleResult }

export interface Delivery {
  /** The `webhook-id`: a delivery seen before is answered from memory and does no work. */
  id: string
  /** The event's own timestamp (epoch ms); breaks ties between versions with the same `published`. */
  eventTime: number
  ops: WriteOp[]
}

export interface Change {
  seq: number
  id: string
  /** null when the article was deleted */
  article: Article | null
}

/**
 * Where the writer stands: what every reader polls. It does not depend on who asks, so a location's readers share
 * one copy (see the search worker's writer feed).
 */
export interface WriterHead {
  /** names this writer's storage: a reader that sees another one starts over */
  epoch: string
  manifestVersion: number
  /** when that manifest was published (epoch ms) */
  manifestAt: number
  /** every change up to here is in the manifest's segments */
  manifestSeq: number
  /** the highest sequence number the writer has assigned */
  headSeq: number
  /**
   * When the writer answered (its clock, epoch ms): a reader caught up to this head holds every change accepted
   * before then. Shared copies keep the time of the writer's answer.
   */
  readAt: number
}

/**
 * Sequence numbers per change block. Readers fetch changes block by block, so every reader of a location asks for
 * the same blocks and one cached copy serves them all; a block holds at most this many changes.
 */
export const CHANGE_BLOCK_SEQS = 256

/**
 * The changes whose sequence number lies in block `index`: (index × CHANGE_BLOCK_SEQS, (index + 1) ×
 * CHANGE_BLOCK_SEQS], each the latest state of its article (an article changed again since has moved to a later
 * block). Applied block after block, they bring a reader to the writer's state, whenever each block was read.
 */
export interface ChangeBlock {
  index: number
  changes: Change[]
  /** the writer's head when the block was read: the block is complete up to here */
  headSeq: number
  /**
   * The block's articles passed CHANGE_BLOCK_MAX_CHARS: this answer stops early (`headSeq` is its last change), and
   * the rest comes from asking again with `after` that seq. Readers older than this field stop at `headSeq` and go on
   * once updated; none takes a cut block for a whole one.
   */
  more?: true
}

/**
 * Characters of article text (as stored, JSON) one change block answer carries at most, past its first change. A
 * block holds up to 256 articles of up to about 1.8 MB each; whole, one could pass the 32 MiB a Workers RPC value may
 * hold, and three read ahead (a reader's BLOCKS_AHEAD) would hold far more than a reader's budget. News of ordinary
 * length (a few KB an article) never comes near it: 256 × 16 KB.
 */
export const CHANGE_BLOCK_MAX_CHARS = 4 * 1024 * 1024

/** Calls readers made, by method, since the writer object started: its load from readers (see WriterStats). */
export type ReaderCalls = Record<'head' | 'changeBlock' | 'manifest' | 'segmentPart' | 'getArticle', number>

/** The writer's own figures (`GET /admin/writer`). */
export interface WriterStats {
  /** live articles */
  documents: number
  headSeq: number
  /** articles not yet written to KV */
  kvPending: number
  /**
   * Rows the KV outbox writes in its next step (8 to 50): fewer while KV writes keep calls to the writer waiting,
   * as they do where they are work on its own thread (Miniflare), so that a reader's call waits for a short step.
   */
  kvStepRows: number
  /** every change up to here is in a published segment */
  manifestSeq: number
  segments: number
  segmentBytes: number
  /** reader calls since the object started, and how long ago that was */
  readerCalls: ReaderCalls
  /** merges since the object started: from the merged segments themselves, or rebuilt from rows */
  merges: { fromSegments: number; fromRows: number }
  upSeconds: number
}

/** What a reader of the index calls: the search worker follows the writer with these. */
export interface IndexReader extends Rpc.DurableObjectBranded {
  /** The published snapshot: what a cold reader loads before it applies the change blocks after `manifest.seq`. */
  manifest(): Promise<Manifest>
  /** Where the writer stands: what readers poll (through their location's cache). */
  head(): Promise<WriterHead>
  /** One block of changes (see ChangeBlock); `after` a seq inside it: the rest of a block cut short (`more`). */
  changeBlock(index: number, after?: number): Promise<ChangeBlock>
  /** One part of a segment, read from KV where the writer wrote it, for a reader whose KV does not show it yet. */
  segmentPart(segmentId: number, part: number): Promise<ArrayBuffer | null>
  /** The current version of one article straight from the writer (KV may lag by a moment). */
  getArticle(id: string): Promise<Article | null>
  stats(): Promise<WriterStats>
}

/**
 * How often a location's readers ask where the writer stands. Every reader (isolate) of a location shares one answer
 * per tick: through the location's Cache API first, and through the location's WriterRelay when the cache misses, so
 * the writer's load grows with locations, not with isolates.
 */
export const HEAD_TICK_MS = 250

/** The head tick a moment falls in: readers, caches and relays share one answer per tick. */
export const headTick = (now: number = Date.now()): number => Math.floor(now / HEAD_TICK_MS)

/**
 * A writer as one location's readers reach it: a Durable Object per location and shard (named by both) that makes
 * at most one writer call per HEAD_TICK_MS for the head and the newest block, and one per item for sealed blocks,
 * manifests and segment parts, however many of the location's readers ask at once. Every call names the shard
 * (see shards.ts) whose writer it is for.
 */
export interface WriterRelayRpc extends Rpc.DurableObjectBranded {
  head(shard: number): Promise<WriterHead>
  /**
   * The writer's manifest at `version` or newer. Every call names the writer's epoch (from the head), so what the relay
   * keeps for one writer is never an answer for a writer started anew.
   */
  manifest(shard: number, epoch: string, version: number): Promise<Manifest>
  /**
   * `sealed` when the block lies wholly below a head already seen: one copy then serves every later caller. `after`:
   * the rest of a block cut short (see ChangeBlock.more).
   */
  changeBlock(shard: number, epoch: string, index: number, sealed: boolean, after?: number): Promise<ChangeBlock>
  segmentPart(shard: number, epoch: string, segmentId: number, part: number): Promise<ArrayBuffer | null>
}

/** Changes made outside the webhook (admin routes): a delivery of one delete, and reindexing. */
export interface IndexAdmin extends Rpc.DurableObjectBranded {
  /** Applies one delivery atomically and answers one result per op, in order. */
  apply(delivery: Delivery): Promise<ArticleResult[]>
  /** Writes every article to KV again, and has the next maintenance rebuild all segments into one. */
  reindex(): Promise<{ documents: number; headSeq: number }>
}

/** The whole surface, as the ingest worker sees it: it also asks whether a delivery was applied already. */
export interface IndexWriterRpc extends IndexReader, IndexAdmin {
  /** The stored answer to a delivery seen before, or null. */
  lookupDelivery(id: string): ArticleResult[] | null
}

/** What the search worker may call: reads, plus the two admin writes its admin routes make. */
export type SearchWriterRpc = IndexReader & IndexAdmin
