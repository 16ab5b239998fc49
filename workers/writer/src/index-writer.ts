import { DurableObject } from 'cloudflare:workers'
import type { Article, ArticleResult } from '@edgewire/shared/article'
import {
  articleKey,
  bodiesPart,
  FLUSH_MAX_CHARS,
  MAX_BUILD_BYTES,
  MAX_MERGE_DOCS,
  type Manifest,
  planMerge,
  type SegmentRef,
  segmentPartKey,
  segmentValues,
  splitParts,
  toIndexDoc,
  writtenNow,
} from '@edgewire/shared/lifecycle'
import {
  DEFAULT_ANALYZER,
  FORMAT_VERSION,
  type MergeInput,
  mergeSegmentsInSteps,
  Segment,
  SegmentBuilder,
  splitSegment,
} from '@edgewire/shared/search'
import { SEGMENT_IDS_PER_SHARD, shardOfWriterName, writerShards } from '@edgewire/shared/shards'
import {
  CHANGE_BLOCK_MAX_CHARS,
  CHANGE_BLOCK_SEQS,
  type ChangeBlock,
  type Delivery,
  type IndexWriterRpc,
  type ReaderCalls,
  type WriterHead,
  type WriterStats,
} from '@edgewire/shared/writer-rpc'
import type { WriterEnv } from './context'
import {
  EMPTY_STATE,
  isLive,
  type VersionKey,
  type VersionState,
  versionKey,
  withDelete,
  withUpsert,
} from './version-order'

/**
 * The single writer of the index. Every accepted change goes through here, one at a time, so there is
 * no read-modify-write race: SQLite in this object is the durable record of what was accepted, in order.
 * Search isolates follow it by sequence number (`head`, `changeBlock`); KV receives the articles through an
 * outbox that the alarm retries until KV has them.
 */

/** How long a webhook-id is remembered for idempotency. Senders retry for hours; replays beyond this are refused by the signature's 5-minute window anyway. */
const DELIVERY_TTL_MS = 72 * 60 * 60 * 1000
/** Most rows one step of the KV outbox reads and writes to KV at once; the outbox yields between steps. */
export const KV_STEP_ROWS = 50
/**
 * How long a call to the writer should wait for a step of the KV outbox, at most (about). Where a KV write costs CPU
 * on the writer's own thread (Miniflare's simulator: about 1.5 ms an article, many times that on a loaded machine), a
 * call that arrives during a step is taken only once the step's writes are done: steps of 50 took 0.25–1.4 s on a
 * loaded machine, and a cold reader's first load, whose calls (head, manifest, change blocks) come one after
 * another, waited a step for each. The outbox sizes its steps by that wait (see nextStepRows); where KV writes are
 * I/O alone (deployed), calls are taken while they are in flight, and steps stay at KV_STEP_ROWS.
 */
const KV_STEP_WAIT_MS = 50
/**
 * Fewest rows a step of the KV outbox takes, however long steps keep calls waiting. Miniflare's KV took about as many
 * writes a second in steps of 5 to 50 (on a loaded machine), and half as many one at a time; and the wait a step
 * measures includes whatever else ran on the writer's thread meanwhile (a segment build's pages), so a floor of one
 * starved the outbox during merges.
 */
export const KV_STEP_MIN_ROWS = 8
/**
 * Most characters of article JSON one step of the KV outbox holds (at least one article): 50 articles of the largest
 * size (1.8 MB each) were 90 MB of strings, and as much again in the bytes sent to KV, in a writer of 128 MB.
 */
export const KV_STEP_CHARS = 4 * 1024 * 1024
/**
 * Changes less than this apart belong to one run; a run that is large and fast enough is a burst (see inBurst), and
 * KV writes and merges wait for it to pause (within the bounds below). Longer than a 1,000-article batch takes to
 * normalize, so the gaps between a sender's batches do not count as pauses.
 */
export const BURST_QUIET_MS = 2000
/** A run of changes is a burst from this many changes on, arriving at least BURST_MIN_RATE a second. */
const BURST_MIN_CHANGES = 200
const BURST_MIN_RATE = 50
/** While articles wait for KV, the alarm comes back at least this often, whatever else it has to do. */
const KV_WATCHDOG_MS = 10_000
/** Longest KV waits behind a burst: past it, the outbox writes KV_ROWS_PER_ROUND rows each round anyway. */
const KV_MAX_WAIT_MS = 30_000
/** Rows the outbox writes per maintenance round once it has waited KV_MAX_WAIT_MS during a burst. */
const KV_ROWS_PER_ROUND = 200
/** Segments a burst may pile up before a merge runs in the middle of it (readers search every segment). */
const MAX_SEGMENTS_IN_BURST = 24
/** Delay before the alarm retries a failed KV flush or segment write. */
const RETRY_MS = 2000
/** How soon after a change the alarm writes pending changes into a new segment. */
const FLUSH_DELAY_MS = 250
/** Segment parts replaced by a merge stay in KV this long, for readers still loading them. */
const GARBAGE_GRACE_MS = 5 * 60 * 1000
/** KV values a maintenance round deletes at most (a merge of four 8,000-article segments replaces about 700). */
const GARBAGE_STEP_KEYS = 256
/** KV writes of one segment's values in flight at once (a 16 MB segment has about 400 body blocks). */
const SEGMENT_PUTS_AT_ONCE = 32
/** Rows a segment build reads and analyses between two yields to other requests (about 10–20 ms of analysis). */
export const BUILD_PAGE_ROWS = 100
/**
 * Characters of article JSON a build reads and analyses between two yields (one article more only when it alone is
 * longer). Rows alone did not bound a page: a flush of six long articles read them all at once, and held every one's
 * JSON, its parsed copy and the garbage of its analysis in one step of seconds (npm run bench:memory).
 */
export const BUILD_PAGE_CHARS = 1 << 20
/** The maintenance log line counts the KV outbox's pending articles up to this many (see #kvPendingCount). */
const KV_PENDING_LOGGED = 10_000
/** The most characters of article JSON one page of a build has read, since the isolate started (for the tests). */
let buildPageCharsPeak = 0
export const buildPageCharsMax = (): number => buildPageCharsPeak
/** Lets requests that arrived meanwhile run (a Durable Object takes other events while it awaits a timer). */
const yieldToRequests = () => new Promise<void>((resolve) => setTimeout(resolve, 0))
/** Deliveries are pruned at most this often. */
const PRUNE_EVERY_MS = 60 * 60 * 1000

interface ArticleRow extends Record<string, SqlStorageValue> {
  id: string
  /** The seq of its latest change; 0 for an article that was never live (only deletes, or versions a delete beat). */
  seq: number
  deleted: number
  /** The best version seen (live or deleted): its record hash, published and event time; null hash: none yet. */
  record_hash: string | null
  published_ms: number | null
  event_ms: number
  /** The event time of the latest delete seen. */
  deleted_ms: number | null
  /** The seq at which the article last became live: older segments cannot hold it. */
  live_from: number | null
  article: string | null
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS articles (
  id TEXT PRIMARY KEY,
  seq INTEGER NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  record_hash TEXT,
  published_ms INTEGER,
  event_ms INTEGER NOT NULL,
  article TEXT,
  kv_pending INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS articles_by_seq ON articles(seq);
CREATE INDEX IF NOT EXISTS articles_kv_pending ON articles(kv_pending) WHERE kv_pending = 1;
CREATE TABLE IF NOT EXISTS deliveries (id TEXT PRIMARY KEY, at INTEGER NOT NULL, results TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS segments (
  id INTEGER PRIMARY KEY,
  seq_from INTEGER NOT NULL,
  seq_to INTEGER NOT NULL,
  docs INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  parts INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tombstones (id TEXT PRIMARY KEY, seq INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS garbage (key TEXT PRIMARY KEY, after INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS delivery_parts (id TEXT NOT NULL, part INTEGER NOT NULL, results TEXT NOT NULL,
  PRIMARY KEY (id, part));
`

/** Columns added after the first schema; an existing database gets them on start (SQLite has no ADD COLUMN IF NOT EXISTS). */
const MIGRATIONS: readonly { table: string; column: string; backfill?: string }[] = [
  // Deletes kept their time in event_ms and cleared the version: that time is the latest delete seen.
  {
    table: 'articles',
    column: 'deleted_ms INTEGER',
    backfill: 'UPDATE articles SET deleted_ms = event_ms WHERE deleted = 1',
  },
  { table: 'articles', column: 'live_from INTEGER' },
  // The copies a tombstone hides lie in segments up to this id whose range reaches from_seq (see #tombstoneNeeded).
  { table: 'tombstones', column: 'from_seq INTEGER' },
  { table: 'tombstones', column: 'segments_upto INTEGER' },
  { table: 'deliveries', column: 'parts INTEGER NOT NULL DEFAULT 1' },
]

function migrate(sql: SqlStorage): void {
  for (const m of MIGRATIONS) {
    const name = m.column.split(' ')[0]
    const has = sql.exec<{ name: string }>(`SELECT name FROM pragma_table_info('${m.table}')`).toArray()
    if (has.some((c) => c.name === name)) continue
    sql.exec(`ALTER TABLE ${m.table} ADD COLUMN ${m.column}`)
    if (m.backfill) sql.exec(m.backfill)
  }
}

/**
 * Longest piece of a delivery's stored answer, in UTF-16 units. A Durable Object's SQLite refuses values over 2 MB;
 * a piece this long is at most 1.8 MB of UTF-8 (three bytes a unit at worst). The largest batch (5,000 articles,
 * urls of 2,048 characters, long rejection reasons) answers with ~15 MB: it is stored in pieces.
 */
const MAX_ANSWER_PIECE_CHARS = 600_000

interface SegmentRow extends Record<string, SqlStorageValue> {
  id: number
  seq_from: number
  seq_to: number
  docs: number
  /** bytes of its head (see splitSegment), in `parts` KV values */
  bytes: number
  parts: number
  /** bytes of its bodies, in `body_blocks` KV values after the parts */
  body_bytes: number
  body_blocks: number
  /** SEGMENT_FORMAT of the code that built it */
  format: string | null
}

/**
 * What a segment's bytes depend on: the format version and the analyzer. After a deploy that changes either, the
 * writer rebuilds the segments of the old one, one per maintenance round, and readers meanwhile serve what they can
 * open (see the search worker's LiveIndex).
 */
const SEGMENT_FORMAT = `${FORMAT_VERSION}/${DEFAULT_ANALYZER.id}`

const toRef = (r: SegmentRow): SegmentRef => ({
  id: r.id,
  seqFrom: r.seq_from,
  seqTo: r.seq_to,
  docs: r.docs,
  bytes: r.bytes,
  parts: r.parts,
  bodyBytes: r.body_bytes,
  bodyBlocks: r.body_blocks,
})

/** What identifies one version of an article's content and metadata: equal hashes mean `unchanged`. */
function recordHash(a: Article): string {
  return JSON.stringify([a.contentHash, a.url, a.title, a.byline, a.author, a.published, a.source, a.lang, a.tags])
}

function publishedMs(a: Article): number | null {
  if (!a.published) return null
  const ms = Date.parse(a.published)
  return Number.isFinite(ms) ? ms : null
}

/**
 * The rows of the outbox's next step, from the last (`asked`, `took` of them, a call waiting `waitedMs` for the
 * writer's thread meanwhile): as many as keep that wait within KV_STEP_WAIT_MS, within KV_STEP_MIN_ROWS and
 * KV_STEP_ROWS, and at most twice as many as asked (a step that found few rows says little of a larger one).
 */
export function nextStepRows(asked: number, took: number, waitedMs: number): number {
  const fit = waitedMs > 0 ? Math.floor((took * KV_STEP_WAIT_MS) / waitedMs) : KV_STEP_ROWS
  return Math.max(KV_STEP_MIN_ROWS, Math.min(KV_STEP_ROWS, 2 * asked, fit))
}

/** What the writer knows of an article's history, from its row (see version-order.ts). */
function stateOf(row: ArticleRow | undefined): VersionState {
  if (!row) return EMPTY_STATE
  return {
    best: row.record_hash === null ? null : versionKey(row.published_ms, row.event_ms, row.record_hash),
    deletedAtMs: row.deleted_ms,
  }
}

/**
 * Its RPC surface is IndexWriterRpc (packages/shared/src/writer-rpc.ts); everything else is `#private`, because RPC
 * reaches every public method of the class, and TypeScript's `private` is public at run time.
 */
export class IndexWriter extends DurableObject<WriterEnv> implements IndexWriterRpc {
  readonly #sql: SqlStorage
  #flushing: Promise<void> | null = null
  /**
   * The clock of run and burst bookkeeping (apply, the burst test, the outbox's wait behind a burst) and of the
   * outbox's step sizing (#writeStep): Date.now(). Tests of bursts and of step sizing set it
   * (test/index-lifecycle.test.ts), since a loaded machine cannot promise a burst's pace or a step's time. An
   * instance field, not a method on the prototype: RPC does not reach it (test/writer-rpc.test.ts).
   */
  clock: () => number = () => Date.now()
  readonly #readerCalls: ReaderCalls = { head: 0, changeBlock: 0, manifest: 0, segmentPart: 0, getArticle: 0 }
  readonly #startedAt = Date.now()
  /** Segment builds under way (see #dropUnneededTombstones); a crash ends them with the object, so memory suffices. */
  #buildsRunning = 0
  /**
   * Rows the KV outbox's next step takes (see KV_STEP_WAIT_MS): from the fewest, as a writer woken by a reader's call
   * may have a long outbox to drain while that reader loads, growing while steps keep calls waiting less than the bound.
   */
  #kvStepRows = KV_STEP_MIN_ROWS
  /** merges since the object started, by how they were built (stats) */
  readonly #merges = { fromSegments: 0, fromRows: 0 }

  constructor(ctx: DurableObjectState, env: WriterEnv) {
    super(ctx, env)
    this.#sql = ctx.storage.sql
    this.#sql.exec(SCHEMA)
    migrate(this.#sql)
    this.#migrate()
    // Named by writerName(shard) (packages/shared/src/shards.ts): a new shard's segment ids start in its own range.
    const shard = shardOfWriterName(ctx.id.name)
    if (shard > 0 && this.#meta('next_segment_id') === 0) {
      this.#setMeta('next_segment_id', shard * SEGMENT_IDS_PER_SHARD)
    }
    // The shard count its articles are placed by, recorded at its first start (see #refuseChangedShardCount).
    if (this.#meta('writer_shards') === 0) this.#setMeta('writer_shards', writerShards(env))
    // A deploy that changed the format or the analyzer starts this object anew: rebuild the segments of the old kind
    // (one per maintenance round) without waiting for the next write to schedule it.
    if (this.#sql.exec('SELECT 1 FROM segments WHERE format IS NOT ? LIMIT 1', SEGMENT_FORMAT).toArray().length > 0) {
      ctx.waitUntil(this.#scheduleMaintenance(0))
    }
  }

  /**
   * Columns added after the first release; existing rows were built by the code of that time. Rows from before body
   * blocks hold their bodies in their parts (format 3 and older, rebuilt on start).
   */
  #migrate(): void {
    const columns = this.#sql.exec<{ name: string }>('PRAGMA table_info(segments)').toArray()
    if (!columns.some((c) => c.name === 'format')) {
      this.#sql.exec('ALTER TABLE segments ADD COLUMN format TEXT')
      this.#sql.exec('UPDATE segments SET format = ?', SEGMENT_FORMAT)
    }
    if (!columns.some((c) => c.name === 'body_blocks')) {
      this.#sql.exec('ALTER TABLE segments ADD COLUMN body_bytes INTEGER NOT NULL DEFAULT 0')
      this.#sql.exec('ALTER TABLE segments ADD COLUMN body_blocks INTEGER NOT NULL DEFAULT 0')
    }
  }

  #meta(key: string): number {
    const row = this.#sql.exec<{ value: string }>('SELECT value FROM meta WHERE key = ?', key).toArray()[0]
    return row ? Number(row.value) : 0
  }

  #setMeta(key: string, value: number): void {
    this.#sql.exec('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)', key, String(value))
  }

  #headSeq(): number {
    return this.#meta('head_seq')
  }

  #segmentCount(): number {
    return this.#sql.exec<{ n: number }>('SELECT count(*) AS n FROM segments').one().n
  }

  /**
   * Articles the KV outbox has still to write (read through the partial index on kv_pending), counted up to `cap`:
   * counting them all walks the whole index, which during an archive's load holds hundreds of thousands of rows
   * (1.6 % of the writer's thread at 250,000 articles, for the maintenance log line alone).
   */
  #kvPendingCount(cap = Number.MAX_SAFE_INTEGER): number {
    return this.#sql
      .exec<{ n: number }>('SELECT count(*) AS n FROM (SELECT 1 FROM articles WHERE kv_pending = 1 LIMIT ?)', cap)
      .one().n
  }

  #liveCount(): number {
    return this.#sql.exec<{ n: number }>('SELECT count(*) AS n FROM articles WHERE deleted = 0').one().n
  }

  /** The stored answer to a delivery seen before, or null. */
  lookupDelivery(id: string): ArticleResult[] | null {
    return this.#storedAnswer(id)
  }

  /**
   * Applies one delivery atomically and answers one result per op, in order: a delivery seen before gets its first
   * answer; otherwise each op is ordered against what the article has seen (version-order.ts), the changes take
   * sequence numbers, and the answer is remembered under the delivery's id.
   */
  async apply(delivery: Delivery): Promise<ArticleResult[]> {
    this.#refuseChangedShardCount()
    const results = this.ctx.storage.transactionSync(() => this.#storedAnswer(delivery.id) ?? this.#applyNew(delivery))
    // Durable from here: SQLite has it. KV follows through the outbox, off the webhook's path (local KV writes
    // take milliseconds each; a 1,000-article batch would wait seconds for them).
    await this.#scheduleMaintenance(FLUSH_DELAY_MS)
    return results
  }

  /**
   * A deployment that changed WRITER_SHARDS would send an article to another writer than the one that holds it, and
   * search would then find it twice. Writes are refused instead: the webhook answers them `queued` and the queue keeps
   * them until the count is set back (packages/shared/src/shards.ts; DESIGN.md, "Sharded writers").
   */
  #refuseChangedShardCount(): void {
    const placedBy = this.#meta('writer_shards')
    const configured = writerShards(this.env)
    if (placedBy !== configured) {
      throw new Error(
        `WRITER_SHARDS is ${configured}, but this writer's articles were placed over ${placedBy} writers: writes wait until it is ${placedBy} again`,
      )
    }
  }

  #applyNew(delivery: Delivery): ArticleResult[] {
    const startSeq = this.#headSeq()
    let seq = startSeq
    const nextSeq = () => ++seq
    const results = delivery.ops.map((op) => {
      if (op.kind === 'rejected') return op.result
      return op.kind === 'upsert'
        ? this.#applyUpsert(op.article, delivery.eventTime, nextSeq)
        : this.#applyDelete(op.id, op.url, delivery.eventTime, nextSeq)
    })
    this.#setMeta('head_seq', seq)
    this.#countRun(seq - startSeq)
    this.#rememberAnswer(delivery.id, results)
    return results
  }

  #row(id: string): ArticleRow | undefined {
    return this.#sql.exec<ArticleRow>('SELECT * FROM articles WHERE id = ?', id).toArray()[0]
  }

  /** An upsert: stored when it is the newest version and no later delete covers it; otherwise only remembered. */
  #applyUpsert(article: Article, eventMs: number, nextSeq: () => number): ArticleResult {
    const id = article.id
    const base = { id, ...(article.url ? { url: article.url } : {}) }
    const stored = this.#row(id)
    const before = stateOf(stored)
    const key = versionKey(publishedMs(article), eventMs, recordHash(article))
    const after = withUpsert(before, key)
    if (after === before) return { ...base, status: 'unchanged' }
    const wasLive = isLive(before)
    // Not live after it (a later delete covers it), or the same content at a later time: only its rank is kept, so
    // what arrives next is ordered against it.
    if (!isLive(after) || (wasLive && before.best?.hash === key.hash)) {
      this.#rememberVersion(id, key, publishedMs(article), after.deletedAtMs)
      return { ...base, status: 'unchanged' }
    }
    const previous = wasLive && stored?.article ? (JSON.parse(stored.article) as Article) : null
    if (previous) article.ingestedAt = previous.ingestedAt
    const seq = nextSeq()
    this.#sql.exec(
      `INSERT INTO articles (id, seq, deleted, record_hash, published_ms, event_ms, deleted_ms, live_from, article, kv_pending)
       VALUES (?, ?, 0, ?, ?, ?, ?, ?, ?, 1)
       ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, deleted = 0, record_hash = excluded.record_hash,
         published_ms = excluded.published_ms, event_ms = excluded.event_ms,
         live_from = CASE WHEN articles.deleted = 1 OR articles.live_from IS NULL THEN excluded.live_from ELSE articles.live_from END,
         article = excluded.article, kv_pending = 1`,
      id,
      seq,
      key.hash,
      publishedMs(article),
      eventMs,
      after.deletedAtMs,
      seq,
      JSON.stringify(article),
    )
    // Back from the dead: its new copy goes into a newer segment, which wins over older ones.
    if (stored?.deleted) this.#sql.exec('DELETE FROM tombstones WHERE id = ?', id)
    return { ...base, status: wasLive ? 'updated' : 'created' }
  }

  /** Keeps the rank of a version that is not stored (a later delete covers it, or its content is already there). */
  #rememberVersion(id: string, key: VersionKey, published: number | null, deletedAtMs: number | null): void {
    this.#sql.exec(
      `INSERT INTO articles (id, seq, deleted, record_hash, published_ms, event_ms, deleted_ms, article, kv_pending)
       VALUES (?, 0, 1, ?, ?, ?, ?, NULL, 0)
       ON CONFLICT(id) DO UPDATE SET record_hash = excluded.record_hash, published_ms = excluded.published_ms,
         event_ms = excluded.event_ms, deleted_ms = excluded.deleted_ms`,
      id,
      key.hash,
      published,
      key.eventMs,
      deletedAtMs,
    )
  }

  /** A delete: removes the article when its event is at or after the live version's; otherwise only remembered. */
  #applyDelete(id: string, url: string | undefined, eventMs: number, nextSeq: () => number): ArticleResult {
    const base = { id, ...(url ? { url } : {}) }
    const stored = this.#row(id)
    const before = stateOf(stored)
    const after = withDelete(before, eventMs)
    if (after === before) return { ...base, status: 'unchanged' }
    if (!stored || !isLive(before) || isLive(after)) {
      // Nothing live to remove, or a newer version stays: the delete is remembered, so an older upsert arriving
      // later cannot bring the article back.
      this.#sql.exec(
        `INSERT INTO articles (id, seq, deleted, event_ms, deleted_ms, kv_pending) VALUES (?, 0, 1, 0, ?, 0)
         ON CONFLICT(id) DO UPDATE SET deleted_ms = excluded.deleted_ms`,
        id,
        eventMs,
      )
      return { ...base, status: 'unchanged' }
    }
    const seq = nextSeq()
    this.#sql.exec(
      'UPDATE articles SET seq = ?, deleted = 1, article = NULL, deleted_ms = ?, kv_pending = 1 WHERE id = ?',
      seq,
      eventMs,
      id,
    )
    this.#addTombstone(id, seq, stored.live_from ?? 0)
    return { ...base, status: 'deleted' }
  }

  /**
   * Readers hide a deleted article in the segments that may hold a copy of it: those whose range reaches back to
   * when it last became live, among the segments that exist now (later ones are built without it). None: no
   * tombstone at all (the article never left the writer's unflushed tail).
   */
  #addTombstone(id: string, seq: number, fromSeq: number): void {
    const upto = this.#meta('next_segment_id')
    this.#sql.exec(
      'INSERT OR REPLACE INTO tombstones (id, seq, from_seq, segments_upto) VALUES (?, ?, ?, ?)',
      id,
      seq,
      fromSeq,
      upto,
    )
    this.#dropUnneededTombstones()
  }

  /**
   * Tombstones go once no segment that may hold a copy is left (merges rebuild segments from live articles only).
   * Never while a build runs: the segment it writes is not in the table yet, and may hold a copy read before the delete
   * (a probe created and deleted while a flush yielded came back in search once that flush was published).
   */
  #dropUnneededTombstones(): void {
    if (this.#buildsRunning > 0) return
    this.#sql.exec(
      `DELETE FROM tombstones WHERE segments_upto IS NOT NULL AND NOT EXISTS (
         SELECT 1 FROM segments s WHERE s.id <= tombstones.segments_upto
           AND s.seq_to >= tombstones.from_seq AND s.seq_from < tombstones.seq)`,
    )
  }

  /** A run of changes each within BURST_QUIET_MS of the last: its start and size make its rate (see #inBurst). */
  #countRun(changed: number): void {
    if (changed === 0) return
    const now = this.clock()
    if (now - this.#meta('last_change_at') >= BURST_QUIET_MS) {
      this.#setMeta('run_started_at', now)
      this.#setMeta('run_changes', changed)
    } else {
      this.#setMeta('run_changes', this.#meta('run_changes') + changed)
    }
    this.#setMeta('last_change_at', now)
    if (this.#meta('kv_waiting_since') === 0) this.#setMeta('kv_waiting_since', now)
  }

  /** Remembers a delivery's answer, in pieces that each fit a SQLite value (MAX_ANSWER_PIECE_CHARS). */
  #rememberAnswer(id: string, results: ArticleResult[]): void {
    const pieces: string[] = []
    let piece: string[] = []
    let chars = 0
    for (const r of results) {
      const json = JSON.stringify(r)
      if (piece.length > 0 && chars + json.length > MAX_ANSWER_PIECE_CHARS) {
        pieces.push(`[${piece.join(',')}]`)
        piece = []
        chars = 0
      }
      piece.push(json)
      chars += json.length + 1
    }
    pieces.push(`[${piece.join(',')}]`)
    const [first, ...rest] = pieces
    this.#sql.exec(
      'INSERT INTO deliveries (id, at, results, parts) VALUES (?, ?, ?, ?)',
      id,
      Date.now(),
      first ?? '[]',
      pieces.length,
    )
    rest.forEach((p, i) => {
      this.#sql.exec('INSERT INTO delivery_parts (id, part, results) VALUES (?, ?, ?)', id, i + 1, p)
    })
  }

  #storedAnswer(id: string): ArticleResult[] | null {
    const row = this.#sql
      .exec<{ results: string; parts: number }>('SELECT results, parts FROM deliveries WHERE id = ?', id)
      .toArray()[0]
    if (!row) return null
    const results = JSON.parse(row.results) as ArticleResult[]
    if (row.parts <= 1) return results
    const rest = this.#sql
      .exec<{ results: string }>('SELECT results FROM delivery_parts WHERE id = ? ORDER BY part', id)
      .toArray()
    for (const p of rest) results.push(...(JSON.parse(p.results) as ArticleResult[]))
    return results
  }

  /** Makes sure the alarm runs within `delayMs` (an earlier alarm is kept). */
  async #scheduleMaintenance(delayMs: number): Promise<void> {
    const at = Date.now() + delayMs
    const current = await this.ctx.storage.getAlarm()
    if (current === null || current > at) await this.ctx.storage.setAlarm(at)
  }

  /** The published snapshot: what a cold reader loads before it applies the change blocks after `manifest.seq`. */
  async manifest(): Promise<Manifest> {
    this.#readerCalls.manifest++
    return {
      version: this.#meta('manifest_version'),
      seq: this.#meta('manifest_seq'),
      segments: this.#sql.exec<SegmentRow>('SELECT * FROM segments ORDER BY seq_from').toArray().map(toRef),
      tombstones: this.#sql
        .exec<{ id: string }>('SELECT id FROM tombstones WHERE seq <= ?', this.#meta('manifest_seq'))
        .toArray()
        .map((r) => r.id),
      createdAt: new Date(this.#meta('manifest_at') || Date.now()).toISOString(),
    }
  }

  /**
   * Writes the live articles whose latest change lies in (seqFrom, seqTo] as one segment in KV; returns its row,
   * or null when none is live. The bytes go to KV before any table points at them. Built from the segments of `run`
   * when given (a merge; they cover that range), else, or when one of them cannot be read, from the rows.
   */
  async #writeSegment(seqFrom: number, seqTo: number, run?: readonly SegmentRow[]): Promise<SegmentRow | null> {
    this.#buildsRunning++
    try {
      // The id is taken before any row is read: a tombstone made while this build yields counts it among the
      // segments that may hold the deleted article (#addTombstone). An empty build leaves its id unused.
      const id = this.#meta('next_segment_id') + 1
      this.#setMeta('next_segment_id', id)
      const merged = run === undefined ? undefined : await this.#mergeFromSegments(id, seqFrom, seqTo, run)
      if (merged !== undefined) {
        this.#merges.fromSegments++
        return merged
      }
      if (run !== undefined) this.#merges.fromRows++
      return await this.#buildSegment(id, seqFrom, seqTo)
    } finally {
      this.#buildsRunning--
    }
  }

  /**
   * A merge from the segments themselves (segment-merge.ts): their documents whose copy is still their article's
   * latest, with their postings as stored, so nothing is analysed again. Rebuilt from rows, a merge analysed every
   * article again: in a CPU profile of the writer while 250,000 archive articles came in, builds were the writer's
   * largest cost, and analysis most of them (README). Undefined when an input is not in KV or cannot be opened (the
   * caller rebuilds from rows).
   */
  async #mergeFromSegments(
    id: number,
    seqFrom: number,
    seqTo: number,
    run: readonly SegmentRow[],
  ): Promise<SegmentRow | null | undefined> {
    // Each live article's latest change in the range: a segment's copy of it is kept only if that change is in the
    // segment's own range (an older copy was updated later, and a deleted article has no live row).
    const latest = new Map<string, number>()
    for (const row of this.#sql.exec<{ id: string; seq: number }>(
      'SELECT id, seq FROM articles WHERE seq > ? AND seq <= ? AND deleted = 0',
      seqFrom,
      seqTo,
    )) {
      latest.set(row.id, row.seq)
    }
    if (latest.size === 0) return null
    const inputs: MergeInput[] = []
    let docs = 0
    for (const r of run) {
      const bytes = await this.#readSegment(r)
      if (bytes === null) return undefined
      let segment: Segment
      try {
        segment = Segment.open(bytes)
      } catch {
        return undefined
      }
      const kept = new Uint8Array(segment.docCount)
      for (let doc = 0; doc < segment.docCount; doc++) {
        const seq = latest.get(segment.docId(doc))
        if (seq !== undefined && seq > r.seq_from && seq <= r.seq_to) {
          kept[doc] = 1
          docs++
        }
      }
      inputs.push({ segment, keep: (doc) => kept[doc] === 1 })
    }
    if (docs === 0) return null
    const steps = mergeSegmentsInSteps(inputs)
    let step = steps.next()
    while (!step.done) {
      await yieldToRequests()
      step = steps.next()
    }
    return this.#putSegment(id, seqFrom, seqTo, docs, step.value)
  }

  /** A segment's whole bytes from KV (its head's parts, then its joined bodies), or null when a part is missing. */
  async #readSegment(r: SegmentRow): Promise<Uint8Array | null> {
    const ref = toRef(r)
    const keys = Array.from({ length: r.parts }, (_, i) => segmentPartKey(r.id, i))
    if (r.body_blocks > 0) keys.push(segmentPartKey(r.id, bodiesPart(ref)))
    const values = await Promise.all(keys.map((key) => this.env.ARTICLES.get(key, 'arrayBuffer')))
    let length = 0
    for (const value of values) {
      if (value === null) return null
      length += value.byteLength
    }
    const bytes = new Uint8Array(length)
    let at = 0
    for (const value of values) {
      bytes.set(new Uint8Array(value as ArrayBuffer), at)
      at += (value as ArrayBuffer).byteLength
    }
    return bytes
  }

  async #buildSegment(id: number, seqFrom: number, seqTo: number): Promise<SegmentRow | null> {
    const builder = new SegmentBuilder()
    let docs = 0
    // Page by page (the builder analyses each document as it is added), letting readers' calls and webhooks in
    // between: a merge of thousands of articles would otherwise hold the writer's one thread for seconds, and every
    // reader's freshness with it. A row changed meanwhile has moved past seqTo: its new version is in the tail, which
    // wins over this segment.
    for (let after = seqFrom; ; ) {
      const end = this.#buildPageEnd(after, seqTo)
      if (end === null) break
      const rows = this.#sql
        .exec<{ article: string }>(
          'SELECT article FROM articles WHERE seq > ? AND seq <= ? AND deleted = 0 ORDER BY seq',
          after,
          end,
        )
        .toArray()
      let chars = 0
      for (const row of rows) {
        chars += row.article.length
        builder.add(toIndexDoc(JSON.parse(row.article) as Article))
      }
      buildPageCharsPeak = Math.max(buildPageCharsPeak, chars)
      docs += rows.length
      after = end
      await yieldToRequests()
    }
    if (docs === 0) return null
    // Packing is let out in steps too (segment-builder.ts: finishInSteps), for the same reason as the pages above.
    const steps = builder.finishInSteps()
    let step = steps.next()
    while (!step.done) {
      await yieldToRequests()
      step = steps.next()
    }
    // The head in KV-sized parts, then one value per body block, then the blocks joined in one more value: a reader
    // holds the head, loads the joined blocks when it swaps the segment in (one read from KV, or one call to this
    // writer per location while KV does not show them: block by block was a call per 32 KiB from every location),
    // and reads a block when a hit needs one it no longer holds.
    return this.#putSegment(id, seqFrom, seqTo, docs, step.value)
  }

  /** Writes a built segment's values to KV, before any table points at them; its row, to be inserted. */
  async #putSegment(id: number, seqFrom: number, seqTo: number, docs: number, bytes: Uint8Array): Promise<SegmentRow> {
    const { head, bodyBlocks, bodies } = splitSegment(bytes)
    const parts = splitParts(head)
    const values = [...parts, ...bodyBlocks, ...(bodyBlocks.length > 0 ? [bodies] : [])]
    for (let i = 0; i < values.length; i += SEGMENT_PUTS_AT_ONCE) {
      const batch = values.slice(i, i + SEGMENT_PUTS_AT_ONCE)
      await Promise.all(batch.map((value, j) => this.env.ARTICLES.put(segmentPartKey(id, i + j), value, writtenNow())))
    }
    return {
      id,
      seq_from: seqFrom,
      seq_to: seqTo,
      docs,
      bytes: head.length,
      parts: parts.length,
      body_bytes: bodies.length,
      body_blocks: bodyBlocks.length,
      format: SEGMENT_FORMAT,
    }
  }

  /**
   * The last seq of a build's next page after `after`: BUILD_PAGE_ROWS live articles, or the last before their JSON
   * passes BUILD_PAGE_CHARS characters, whichever comes first (at least one); null when none is left up to `seqTo`.
   */
  #buildPageEnd(after: number, seqTo: number): number | null {
    const rows = this.#sql
      .exec<{ seq: number; size: number }>(
        'SELECT seq, length(article) AS size FROM articles WHERE seq > ? AND seq <= ? AND deleted = 0 ORDER BY seq LIMIT ?',
        after,
        seqTo,
        BUILD_PAGE_ROWS,
      )
      .toArray()
    return lastWithinChars(rows, BUILD_PAGE_CHARS).last
  }

  #insertSegment(row: SegmentRow): void {
    this.#sql.exec(
      'INSERT INTO segments (id, seq_from, seq_to, docs, bytes, parts, body_bytes, body_blocks, format) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      row.id,
      row.seq_from,
      row.seq_to,
      row.docs,
      row.bytes,
      row.parts,
      row.body_bytes,
      row.body_blocks,
      row.format,
    )
  }

  #publish(): void {
    this.#setMeta('manifest_version', this.#meta('manifest_version') + 1)
    this.#setMeta('manifest_at', Date.now())
  }

  /** Moves every change not yet in a segment into a new one, and publishes the manifest. */
  async #flushSegment(): Promise<boolean> {
    const from = this.#meta('manifest_seq')
    // At most MAX_MERGE_DOCS changes and FLUSH_MAX_CHARS of articles per flush (after an outage the backlog
    // can be large, and a few long articles weigh as much as thousands of briefs): the rest, next round.
    const cut = this.#flushCut(from)
    const to = Math.min(this.#headSeq(), cut ?? Number.POSITIVE_INFINITY)
    if (to <= from) return false
    const row = await this.#writeSegment(from, to)
    this.ctx.storage.transactionSync(() => {
      if (row) this.#insertSegment(row)
      this.#setMeta('manifest_seq', to)
      this.#publish()
    })
    return true
  }

  /**
   * The last seq the next flush takes: the MAX_MERGE_DOCS-th change after `from`, or the last before their articles
   * pass FLUSH_MAX_CHARS characters, whichever comes first (at least one change); null when all that wait fit.
   */
  #flushCut(from: number): number | null {
    const rows = this.#sql
      .exec<{ seq: number; size: number }>(
        'SELECT seq, coalesce(length(article), 0) AS size FROM articles WHERE seq > ? ORDER BY seq LIMIT ?',
        from,
        MAX_MERGE_DOCS,
      )
      .toArray()
    const { last, cut } = lastWithinChars(rows, FLUSH_MAX_CHARS)
    return cut || rows.length === MAX_MERGE_DOCS ? last : null
  }

  /** Merges the run of segments the tiered policy picks into one, rebuilt from the current articles. */
  async #mergeSegments(): Promise<boolean> {
    const segments = this.#sql.exec<SegmentRow>('SELECT * FROM segments ORDER BY seq_from').toArray()
    // After a deploy that changed the format or the analyzer, or after reindex(): the oldest segment of another kind,
    // rebuilt alone (each round's build stays the size of one segment; a crash resumes with the next one).
    const stale = segments.findIndex((r) => r.format !== SEGMENT_FORMAT)
    // A build holds the whole segment, its bodies too.
    const sized = segments.map((r) => ({ docs: r.docs, bytes: r.bytes + r.body_bytes }))
    const plan = stale >= 0 ? { from: stale, to: stale + 1 } : planMerge(sized, MAX_MERGE_DOCS, MAX_BUILD_BYTES)
    if (!plan) return false
    const run = segments.slice(plan.from, plan.to)
    const first = run[0]
    const last = run[run.length - 1]
    if (!first || !last) return false
    // A planned merge reads the run's own segments; a segment of another format is rebuilt from its rows.
    const row = await this.#writeSegment(first.seq_from, last.seq_to, stale >= 0 ? undefined : run)
    const replaced = run.flatMap((r) =>
      Array.from({ length: segmentValues(toRef(r)) }, (_, i) => segmentPartKey(r.id, i)),
    )
    this.ctx.storage.transactionSync(() => {
      for (const r of run) this.#sql.exec('DELETE FROM segments WHERE id = ?', r.id)
      if (row) this.#insertSegment(row)
      // Tombstones from before from_seq/segments_upto were kept: once the oldest segments are rebuilt, no copy
      // older than seq_to is left to hide.
      if (plan.from === 0) {
        this.#sql.exec('DELETE FROM tombstones WHERE segments_upto IS NULL AND seq <= ?', last.seq_to)
      }
      this.#dropUnneededTombstones()
      for (const key of replaced) {
        this.#sql.exec('INSERT OR REPLACE INTO garbage (key, after) VALUES (?, ?)', key, Date.now() + GARBAGE_GRACE_MS)
      }
      this.#publish()
    })
    return true
  }

  async #collectGarbage(): Promise<void> {
    // A round deletes a bounded number: a merge replaces hundreds of body blocks.
    const due = this.#sql
      .exec<{ key: string }>('SELECT key FROM garbage WHERE after <= ? LIMIT ?', Date.now(), GARBAGE_STEP_KEYS)
      .toArray()
    await Promise.all(due.map((g) => this.env.ARTICLES.delete(g.key)))
    for (const g of due) this.#sql.exec('DELETE FROM garbage WHERE key = ?', g.key)
  }

  /**
   * Admin: writes every article to KV again, and has maintenance rebuild every segment, one per round (bounded like
   * any merge, resumed after a crash from what is left to rebuild, searches answering from the others meanwhile).
   */
  async reindex(): Promise<{ documents: number; headSeq: number }> {
    this.#sql.exec('UPDATE articles SET kv_pending = 1')
    this.#sql.exec("UPDATE segments SET format = 'reindex'")
    await this.#scheduleMaintenance(0)
    return { documents: this.#liveCount(), headSeq: this.#headSeq() }
  }

  /** Where the writer stands (see WriterHead). */
  async head(): Promise<WriterHead> {
    this.#readerCalls.head++
    return {
      epoch: this.#epoch(),
      manifestVersion: this.#meta('manifest_version'),
      manifestAt: this.#meta('manifest_at'),
      manifestSeq: this.#meta('manifest_seq'),
      headSeq: this.#headSeq(),
      readAt: Date.now(),
    }
  }

  /**
   * One block of changes (see ChangeBlock). Every location's relay asks for the newest block about four times a
   * second, so it reads by index only (the seq index, at most CHANGE_BLOCK_SEQS rows).
   */
  async changeBlock(index: number, after?: number): Promise<ChangeBlock> {
    this.#readerCalls.changeBlock++
    const from = index * CHANGE_BLOCK_SEQS
    const rows = this.#sql
      .exec<ArticleRow>(
        'SELECT id, seq, deleted, article FROM articles WHERE seq > ? AND seq <= ? ORDER BY seq',
        Math.max(from, after ?? from),
        from + CHANGE_BLOCK_SEQS,
      )
      .toArray()
    // Cut short past CHANGE_BLOCK_MAX_CHARS (one change at least): the same rows always cut at the same change, so
    // every reader of a location still shares one copy of each answer.
    let chars = 0
    let kept = rows.length
    for (const [i, row] of rows.entries()) {
      chars += row.article?.length ?? 0
      if (i > 0 && chars > CHANGE_BLOCK_MAX_CHARS) {
        kept = i
        break
      }
    }
    const changes = rows.slice(0, kept).map((r) => ({
      seq: r.seq,
      id: r.id,
      article: r.deleted || !r.article ? null : (JSON.parse(r.article) as Article),
    }))
    const last = changes.at(-1)
    if (kept < rows.length && last) return { index, changes, headSeq: last.seq, more: true }
    return { index, changes, headSeq: this.#headSeq() }
  }

  /** A random name for this object's storage, made once: readers tell a writer started anew from one that moved on. */
  #epoch(): string {
    const row = this.#sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'epoch'").toArray()[0]
    if (row) return row.value
    const epoch = crypto.randomUUID()
    this.#sql.exec("INSERT INTO meta (key, value) VALUES ('epoch', ?)", epoch)
    return epoch
  }

  /**
   * One part of a segment, read from KV here, where the writer wrote it: for a reader whose location does not see
   * the key yet (KV takes up to a minute to propagate; a cold reader must not wait for it).
   */
  async segmentPart(segmentId: number, part: number): Promise<ArrayBuffer | null> {
    this.#readerCalls.segmentPart++
    return this.env.ARTICLES.get(segmentPartKey(segmentId, part), 'arrayBuffer')
  }

  /** The current version of one article straight from the writer (KV may lag by a moment). */
  async getArticle(id: string): Promise<Article | null> {
    this.#readerCalls.getArticle++
    const row = this.#sql
      .exec<{ article: string | null }>('SELECT article FROM articles WHERE id = ? AND deleted = 0', id)
      .toArray()[0]
    return row?.article ? (JSON.parse(row.article) as Article) : null
  }

  async stats(): Promise<WriterStats> {
    const kvPending = this.#kvPendingCount()
    const seg = this.#sql
      .exec<{ n: number; b: number | null }>('SELECT count(*) AS n, sum(bytes + body_bytes) AS b FROM segments')
      .one()
    return {
      documents: this.#liveCount(),
      headSeq: this.#headSeq(),
      kvPending,
      kvStepRows: this.#kvStepRows,
      manifestSeq: this.#meta('manifest_seq'),
      segments: seg.n,
      segmentBytes: seg.b ?? 0,
      readerCalls: { ...this.#readerCalls },
      merges: { ...this.#merges },
      upSeconds: (Date.now() - this.#startedAt) / 1000,
    }
  }

  /**
   * Writes pending articles to KV. One flush runs at a time and always writes the latest stored state, so a
   * slow older write can never land after a newer one; a row stays pending if it changed during the flush.
   */
  #flushToKv(): Promise<void> {
    if (!this.#flushing) {
      this.#flushing = this.#flushOnce()
        .catch(async (err: unknown) => {
          console.error(JSON.stringify({ level: 'warn', msg: 'kv flush failed; alarm will retry', error: String(err) }))
          await this.#scheduleMaintenance(RETRY_MS)
        })
        .finally(() => {
          this.#flushing = null
        })
      return this.#flushing
    }
    // A flush is running with an older snapshot of pending rows: run another after it.
    return this.#flushing.then(() => this.#flushToKv())
  }

  /**
   * A burst is on: the current run of changes (or one not yet flushed into a segment) has at least BURST_MIN_CHANGES
   * changes arriving at BURST_MIN_RATE a second or more. Then the index's work comes first.
   */
  #inBurst(): boolean {
    const now = this.clock()
    if (now - this.#meta('last_change_at') >= BURST_QUIET_MS && this.#headSeq() === this.#meta('manifest_seq'))
      return false
    // A steady feed (an upsert a second, or fifty) is not a burst: KV and merges keep up with it as they come.
    const changes = this.#meta('run_changes')
    const seconds = Math.max(1, (this.#meta('last_change_at') - this.#meta('run_started_at')) / 1000)
    return changes >= BURST_MIN_CHANGES && changes / seconds >= BURST_MIN_RATE
  }

  async #flushOnce(): Promise<void> {
    for (let written = 0; ; ) {
      // The index comes first: during a burst KV waits, at most KV_MAX_WAIT_MS, and then gets a bounded share of
      // each round; the alarm comes back for the rest once the burst pauses. Every article is durable in SQLite
      // meanwhile, and /articles/:id answers from the writer when KV does not have it yet. (Local KV writes cost
      // about 1.5 ms of CPU each on the writer's thread: a burst of thousands would otherwise halve the ingest rate.)
      if (this.#inBurst()) {
        const waited = this.clock() - this.#meta('kv_waiting_since')
        if (waited < KV_MAX_WAIT_MS || written >= KV_ROWS_PER_ROUND) {
          await this.#scheduleMaintenance(waited < KV_MAX_WAIT_MS ? BURST_QUIET_MS : FLUSH_DELAY_MS)
          return
        }
      }
      const asked = this.#kvStepRows
      const rows = this.#kvStep(asked)
      if (rows.length === 0) {
        this.#setMeta('kv_waiting_since', 0)
        return
      }
      written += rows.length
      const waited = await this.#writeStep(rows)
      this.#kvStepRows = nextStepRows(asked, rows.length, waited)
      for (const r of rows) {
        this.#sql.exec('UPDATE articles SET kv_pending = 0 WHERE id = ? AND seq = ?', r.id, r.seq)
      }
      // Without a turn of the event loop between steps, the writer answered nothing while the outbox drained: after
      // a 21,578-article burst its calls (heads, change blocks, /admin/writer) were computed at once but their answers
      // arrived only when the drain was done, 142–207 s later, and every reader stood still that long (a sync is
      // taken for lost after 20 s and started over, to hang again). With this yield they are answered within a step.
      await yieldToRequests()
    }
  }

  /**
   * Writes one step's rows to KV, all at once. Answers how long a timer set as the step began waited to run: as long
   * as a call that arrived then waited for the writer's thread (both are taken when it is free), which is the step's
   * whole time where KV writes are work on this thread, and almost nothing where they are I/O.
   */
  async #writeStep(rows: Pick<ArticleRow, 'id' | 'deleted' | 'article'>[]): Promise<number> {
    const began = this.clock()
    const waited = new Promise<number>((resolve) => setTimeout(() => resolve(this.clock() - began), 0))
    await Promise.all(
      rows.map((r) =>
        r.deleted || !r.article
          ? this.env.ARTICLES.delete(articleKey(r.id))
          : this.env.ARTICLES.put(articleKey(r.id), r.article, writtenNow()),
      ),
    )
    return waited
  }

  /**
   * The rows of the outbox's next step: at most `limit` pending, and while their articles stay within
   * KV_STEP_CHARS (one at least). Sizes are read first, so an article past the step is not read at all.
   */
  #kvStep(limit: number): Pick<ArticleRow, 'id' | 'seq' | 'deleted' | 'article'>[] {
    const pending = this.#sql
      .exec<{ id: string; seq: number; deleted: number; size: number }>(
        'SELECT id, seq, deleted, coalesce(length(article), 0) AS size FROM articles WHERE kv_pending = 1 LIMIT ?',
        limit,
      )
      .toArray()
    const step: typeof pending = []
    let chars = 0
    for (const row of pending) {
      if (step.length > 0 && chars + row.size > KV_STEP_CHARS) break
      chars += row.size
      step.push(row)
    }
    return step.map(({ id, seq, deleted, size }) => ({
      id,
      seq,
      deleted,
      article:
        deleted || size === 0
          ? null
          : (this.#sql.exec<{ article: string | null }>('SELECT article FROM articles WHERE id = ?', id).one()
              .article ?? null),
    }))
  }

  /**
   * Maintenance, off the webhook's path: the KV outbox (I/O, in parallel), pending changes into a segment, at most one merge
   * (another alarm follows soon if more work waits, so webhooks interleave), then garbage and old deliveries.
   */
  override async alarm(): Promise<void> {
    try {
      // The KV outbox runs beside the index work (it yields to it, see flushOnce), not before it.
      this.ctx.waitUntil(this.#flushToKv())
      const started = Date.now()
      const flushed = await this.#flushSegment()
      // Merges rebuild whole runs of segments: during a burst they wait (unless segments pile up past the bound),
      // so the writer's thread goes to taking changes and flushing them, and the merge runs once in the pause.
      const mergeWaits = this.#inBurst() && this.#segmentCount() < MAX_SEGMENTS_IN_BURST
      const merged = mergeWaits ? false : await this.#mergeSegments()
      if (mergeWaits) await this.#scheduleMaintenance(BURST_QUIET_MS)
      if (flushed || merged) {
        // Not stats(): its live count reads every article's row, after every flush (5 % of the writer's thread in a
        // steady feed at Reuters, more at an archive's size); these three read an index and two small tables.
        console.log(
          JSON.stringify({
            level: 'info',
            msg: 'index maintenance',
            flushed,
            merged,
            ms: Date.now() - started,
            segments: this.#segmentCount(),
            manifestSeq: this.#meta('manifest_seq'),
            // At most KV_PENDING_LOGGED: "at least" past it; GET /admin/writer counts them all.
            kvPending: this.#kvPendingCount(KV_PENDING_LOGGED),
          }),
        )
      }
      if (merged) {
        await this.#scheduleMaintenance(0)
        return
      }
      await this.#collectGarbage()
      if (Date.now() - this.#meta('pruned_at') > PRUNE_EVERY_MS) {
        const before = Date.now() - DELIVERY_TTL_MS
        this.#sql.exec('DELETE FROM delivery_parts WHERE id IN (SELECT id FROM deliveries WHERE at < ?)', before)
        this.#sql.exec('DELETE FROM deliveries WHERE at < ?', before)
        this.#setMeta('pruned_at', Date.now())
      }
      if (this.#headSeq() > this.#meta('manifest_seq')) await this.#scheduleMaintenance(FLUSH_DELAY_MS)
      // The outbox drains beside the alarm (waitUntil): if the object is evicted mid-drain, this brings it back.
      if (this.#sql.exec('SELECT 1 FROM articles WHERE kv_pending = 1 LIMIT 1').toArray().length > 0) {
        await this.#scheduleMaintenance(KV_WATCHDOG_MS)
      }
    } catch (err) {
      console.error(JSON.stringify({ level: 'warn', msg: 'index maintenance failed; retrying', error: String(err) }))
      await this.#scheduleMaintenance(RETRY_MS)
    }
  }
}

/**
 * The seq of the last of `rows` (in seq order) before their sizes together pass `maxChars`, the first row at least
 * (null for no rows); `cut` when the budget, not the end of the rows, stopped it. A flush and a build page are both
 * cut this way.
 */
function lastWithinChars(
  rows: readonly { seq: number; size: number }[],
  maxChars: number,
): { last: number | null; cut: boolean } {
  let chars = 0
  let last: number | null = null
  for (const row of rows) {
    if (last !== null && chars + row.size > maxChars) return { last, cut: true }
    chars += row.size
    last = row.seq
  }
  return { last, cut: false }
}
