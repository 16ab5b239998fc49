import type { Article, ArticleResult } from '@edgewire/shared'
import { DurableObject } from 'cloudflare:workers'
import type { SearchEnv } from './context'

/**
 * The single writer of the index. Every accepted change goes through here, one at a time, so there is
 * no read-modify-write race: SQLite in this object is the durable record of what was accepted, in order.
 * Search isolates follow it by sequence number (`changesSince`); KV receives the articles through an
 * outbox that the alarm retries until KV has them.
 */

/** How long a webhook-id is remembered for idempotency. Senders retry for hours; replays beyond this are refused by the signature's 5-minute window anyway. */
export const DELIVERY_TTL_MS = 72 * 60 * 60 * 1000
/** Most changes returned by one `changesSince` call; callers loop. */
export const MAX_CHANGES_PER_CALL = 2000
/** KV writes in flight at once when flushing the outbox. */
const KV_CONCURRENCY = 50
/** Delay before the alarm retries a failed KV flush. */
const KV_RETRY_MS = 2000

export const articleKey = (id: string) => `article:${id}`

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

export interface ChangeBatch {
  changes: Change[]
  /** the highest sequence number the writer has assigned */
  headSeq: number
  /** the articles that are live now */
  documents: number
}

interface ArticleRow extends Record<string, SqlStorageValue> {
  id: string
  seq: number
  deleted: number
  record_hash: string | null
  published_ms: number | null
  event_ms: number
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
`

/** What identifies one version of an article's content and metadata: equal hashes mean `unchanged`. */
function recordHash(a: Article): string {
  return JSON.stringify([a.contentHash, a.url, a.title, a.byline, a.author, a.published, a.source, a.lang, a.tags])
}

function publishedMs(a: Article): number | null {
  if (!a.published) return null
  const ms = Date.parse(a.published)
  return Number.isFinite(ms) ? ms : null
}

/** True when the incoming version is older than the stored one: by `published` first, then by event time. */
export function isOlderVersion(
  incoming: { publishedMs: number | null; eventMs: number },
  stored: { publishedMs: number | null; eventMs: number },
): boolean {
  if (incoming.publishedMs !== null && stored.publishedMs !== null && incoming.publishedMs !== stored.publishedMs) {
    return incoming.publishedMs < stored.publishedMs
  }
  return incoming.eventMs < stored.eventMs
}

export class IndexWriter extends DurableObject<SearchEnv> {
  private readonly sql: SqlStorage
  private flushing: Promise<void> | null = null

  constructor(ctx: DurableObjectState, env: SearchEnv) {
    super(ctx, env)
    this.sql = ctx.storage.sql
    this.sql.exec(SCHEMA)
  }

  private headSeq(): number {
    const row = this.sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'head_seq'`).toArray()[0]
    return row ? Number(row.value) : 0
  }

  private liveCount(): number {
    return this.sql.exec<{ n: number }>('SELECT count(*) AS n FROM articles WHERE deleted = 0').one().n
  }

  /** The stored answer to a delivery seen before, or null. */
  lookupDelivery(id: string): ArticleResult[] | null {
    const row = this.sql.exec<{ results: string }>('SELECT results FROM deliveries WHERE id = ?', id).toArray()[0]
    return row ? (JSON.parse(row.results) as ArticleResult[]) : null
  }

  /** Applies one delivery atomically and answers one result per op, in order. */
  async apply(delivery: Delivery): Promise<ArticleResult[]> {
    const results = this.ctx.storage.transactionSync(() => {
      const seen = this.sql
        .exec<{ results: string }>('SELECT results FROM deliveries WHERE id = ?', delivery.id)
        .toArray()[0]
      if (seen) return JSON.parse(seen.results) as ArticleResult[]
      let seq = this.headSeq()
      const out: ArticleResult[] = []
      for (const op of delivery.ops) {
        if (op.kind === 'rejected') {
          out.push(op.result)
          continue
        }
        const id = op.kind === 'upsert' ? op.article.id : op.id
        const stored = this.sql.exec<ArticleRow>('SELECT * FROM articles WHERE id = ?', id).toArray()[0]
        if (op.kind === 'delete') {
          if (!stored || stored.deleted) {
            out.push({ id, ...(op.url ? { url: op.url } : {}), status: 'unchanged' })
            continue
          }
          seq++
          this.sql.exec(
            'UPDATE articles SET seq = ?, deleted = 1, article = NULL, record_hash = NULL, event_ms = ?, kv_pending = 1 WHERE id = ?',
            seq,
            delivery.eventTime,
            id,
          )
          out.push({ id, ...(op.url ? { url: op.url } : {}), status: 'deleted' })
          continue
        }
        const article = op.article
        const hash = recordHash(article)
        const incoming = { publishedMs: publishedMs(article), eventMs: delivery.eventTime }
        const base = { id, ...(article.url ? { url: article.url } : {}) }
        if (stored && !stored.deleted) {
          if (stored.record_hash === hash) {
            out.push({ ...base, status: 'unchanged' })
            continue
          }
          if (isOlderVersion(incoming, { publishedMs: stored.published_ms, eventMs: stored.event_ms })) {
            out.push({ ...base, status: 'unchanged' })
            continue
          }
          const previous = stored.article ? (JSON.parse(stored.article) as Article) : null
          if (previous) article.ingestedAt = previous.ingestedAt
        }
        seq++
        this.sql.exec(
          `INSERT INTO articles (id, seq, deleted, record_hash, published_ms, event_ms, article, kv_pending)
           VALUES (?, ?, 0, ?, ?, ?, ?, 1)
           ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, deleted = 0, record_hash = excluded.record_hash,
             published_ms = excluded.published_ms, event_ms = excluded.event_ms, article = excluded.article, kv_pending = 1`,
          id,
          seq,
          hash,
          incoming.publishedMs,
          delivery.eventTime,
          JSON.stringify(article),
        )
        out.push({ ...base, status: stored && !stored.deleted ? 'updated' : 'created' })
      }
      this.sql.exec(`INSERT OR REPLACE INTO meta (key, value) VALUES ('head_seq', ?)`, String(seq))
      this.sql.exec(
        'INSERT INTO deliveries (id, at, results) VALUES (?, ?, ?)',
        delivery.id,
        Date.now(),
        JSON.stringify(out),
      )
      return out
    })
    await this.flushToKv()
    return results
  }

  /** Changes after `seq`, oldest first, each the latest state of its article. */
  async changesSince(seq: number, limit: number = MAX_CHANGES_PER_CALL): Promise<ChangeBatch> {
    const rows = this.sql
      .exec<ArticleRow>(
        'SELECT id, seq, deleted, article FROM articles WHERE seq > ? ORDER BY seq LIMIT ?',
        seq,
        Math.min(limit, MAX_CHANGES_PER_CALL),
      )
      .toArray()
    return {
      changes: rows.map((r) => ({
        seq: r.seq,
        id: r.id,
        article: r.deleted || !r.article ? null : (JSON.parse(r.article) as Article),
      })),
      headSeq: this.headSeq(),
      documents: this.liveCount(),
    }
  }

  /** The current version of one article straight from the writer (KV may lag by a moment). */
  async getArticle(id: string): Promise<Article | null> {
    const row = this.sql
      .exec<{ article: string | null }>('SELECT article FROM articles WHERE id = ? AND deleted = 0', id)
      .toArray()[0]
    return row?.article ? (JSON.parse(row.article) as Article) : null
  }

  async stats(): Promise<{ documents: number; headSeq: number; kvPending: number }> {
    const kvPending = this.sql.exec<{ n: number }>('SELECT count(*) AS n FROM articles WHERE kv_pending = 1').one().n
    return { documents: this.liveCount(), headSeq: this.headSeq(), kvPending }
  }

  /**
   * Writes pending articles to KV. One flush runs at a time and always writes the latest stored state, so a
   * slow older write can never land after a newer one; a row stays pending if it changed during the flush.
   */
  private flushToKv(): Promise<void> {
    if (!this.flushing) {
      this.flushing = this.flushOnce()
        .catch(async (err: unknown) => {
          console.error(JSON.stringify({ level: 'warn', msg: 'kv flush failed; alarm will retry', error: String(err) }))
          await this.ctx.storage.setAlarm(Date.now() + KV_RETRY_MS)
        })
        .finally(() => {
          this.flushing = null
        })
      return this.flushing
    }
    // A flush is running with an older snapshot of pending rows: run another after it.
    return this.flushing.then(() => this.flushToKv())
  }

  private async flushOnce(): Promise<void> {
    for (;;) {
      const rows = this.sql
        .exec<ArticleRow>('SELECT id, seq, deleted, article FROM articles WHERE kv_pending = 1 LIMIT 500')
        .toArray()
      if (rows.length === 0) return
      for (let i = 0; i < rows.length; i += KV_CONCURRENCY) {
        await Promise.all(
          rows
            .slice(i, i + KV_CONCURRENCY)
            .map((r) =>
              r.deleted || !r.article
                ? this.env.ARTICLES.delete(articleKey(r.id))
                : this.env.ARTICLES.put(articleKey(r.id), r.article),
            ),
        )
      }
      for (const r of rows) {
        this.sql.exec('UPDATE articles SET kv_pending = 0 WHERE id = ? AND seq = ?', r.id, r.seq)
      }
    }
  }

  override async alarm(): Promise<void> {
    this.sql.exec('DELETE FROM deliveries WHERE at < ?', Date.now() - DELIVERY_TTL_MS)
    await this.flushToKv()
  }
}
