import { type Article, type IndexDoc, SearchIndex } from '@edgewire/shared'
import type { SearchEnv } from './context'
import { writerStub } from './context'

/** A search finding the index older than this asks the writer for changes first. */
export const SYNC_INTERVAL_MS = 100
/** How long a search waits for that sync before answering from the state it has (the sync goes on). */
export const SYNC_WAIT_MS = 250

/** The fields of an Article that search indexes and shows in hits. */
export function toIndexDoc(article: Article): IndexDoc {
  const published = article.published ? Date.parse(article.published) : Number.NaN
  return {
    id: article.id,
    title: article.title,
    body: article.body,
    url: article.url,
    source: article.source,
    author: article.author ?? article.byline,
    lang: article.lang,
    tags: article.tags,
    published: Number.isFinite(published) ? published : null,
  }
}

/**
 * This isolate's copy of the index, kept in step with the writer by sequence number. Searches never wait
 * for it unless it is older than MAX_STALENESS_MS; otherwise a background sync brings it up to date.
 */
export class LiveIndex {
  index = new SearchIndex()
  /** Highest change applied: the index version searches report. */
  seq = 0
  syncedAt = 0
  updatedAt: string | null = null
  private syncing: Promise<void> | null = null

  constructor(private readonly env: SearchEnv) {}

  /** Applies every change the writer has after `seq`. One sync runs at a time; callers share it. */
  sync(): Promise<void> {
    if (!this.syncing) {
      this.syncing = this.pull().finally(() => {
        this.syncing = null
      })
    }
    return this.syncing
  }

  private async pull(): Promise<void> {
    const writer = writerStub(this.env)
    const started = Date.now()
    for (;;) {
      const batch = await writer.changesSince(this.seq)
      if (batch.headSeq < this.seq) {
        // The writer is behind us (its storage was restored or reset): start over from its state.
        this.index = new SearchIndex()
        this.seq = 0
        continue
      }
      for (const change of batch.changes) {
        if (change.article) this.index.upsert(toIndexDoc(change.article))
        else this.index.delete(change.id)
        this.seq = change.seq
        this.updatedAt = change.article?.updatedAt ?? new Date().toISOString()
      }
      if (batch.changes.length === 0 || this.seq >= batch.headSeq) break
    }
    this.syncedAt = started
  }

  /**
   * Makes the index fresh enough to answer. A cold isolate waits for its first load. A warm one older than
   * SYNC_INTERVAL_MS syncs first but waits at most SYNC_WAIT_MS: if the writer is slow or down, searches
   * still answer from what this isolate has, and the sync finishes in the background.
   */
  async ready(ctx: { waitUntil(promise: Promise<unknown>): void }): Promise<void> {
    if (this.syncedAt === 0) {
      await this.sync()
      return
    }
    if (Date.now() - this.syncedAt <= SYNC_INTERVAL_MS) return
    const sync = this.sync().catch((err: unknown) => {
      console.error(JSON.stringify({ level: 'warn', msg: 'index sync failed', error: String(err) }))
    })
    ctx.waitUntil(sync)
    await Promise.race([sync, new Promise((resolve) => setTimeout(resolve, SYNC_WAIT_MS))])
  }
}

let live: LiveIndex | undefined

/** The isolate-wide live index (one per isolate, created on first use). */
export function liveIndex(env: SearchEnv): LiveIndex {
  live ??= new LiveIndex(env)
  return live
}
