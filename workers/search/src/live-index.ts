import { ProblemError } from '@edgewire/shared/http'
import { joinParts, type Manifest, type SegmentRef, segmentPartKey, toIndexDoc } from '@edgewire/shared/lifecycle'
import { SearchIndex, Segment } from '@edgewire/shared/search'
import type { Change } from '@edgewire/shared/writer-rpc'
import { type SearchEnv, writerStub } from './context'

/** A search finding the index older than this asks the writer for changes first. */
export const SYNC_INTERVAL_MS = 100
/** Older than this, a search waits for the sync (at most SYNC_WAIT_MS) instead of answering beside it. */
export const MAX_STALENESS_MS = 1000
/** How long a search waits for that sync before answering from the state it has (the sync goes on). */
export const SYNC_WAIT_MS = 250

/**
 * This isolate's copy of the index: the writer's published segments (immutable, from KV) plus the changes made
 * after them (in the index's memtable), kept in step with the writer by sequence number.
 */
export class LiveIndex {
  index = new SearchIndex()
  /** Highest change applied: the index version searches report. */
  seq = 0
  /** Version of the manifest the segments came from (-1: none loaded yet). */
  manifestVersion = -1
  syncedAt = 0
  updatedAt: string | null = null
  /** Segments opened so far, by id: a new manifest reuses the ones it keeps. */
  private segments = new Map<number, Segment>()
  private syncing: Promise<void> | null = null

  /** The segments this isolate holds, as the manifest describes them. */
  segmentRefs: SegmentRef[] = []

  constructor(private readonly env: SearchEnv) {}

  /** Brings the index up to the writer's head. One sync runs at a time; callers share it. */
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
    let batch = await writer.changesSince(this.seq)
    if (batch.manifestVersion !== this.manifestVersion || batch.headSeq < this.seq) {
      // A new snapshot (or a writer that went back in time): load it and replay what came after it.
      await this.load(await writer.manifest())
      batch = await writer.changesSince(this.seq)
    }
    for (;;) {
      this.apply(this.index, batch.changes)
      if (batch.changes.length === 0 || this.seq >= batch.headSeq) break
      batch = await writer.changesSince(this.seq)
    }
    this.syncedAt = started
  }

  private apply(index: SearchIndex, changes: Change[]): void {
    for (const change of changes) {
      if (change.article) index.upsert(toIndexDoc(change.article))
      else index.delete(change.id)
      this.seq = change.seq
      this.updatedAt = change.article?.updatedAt ?? this.updatedAt
    }
  }

  /** Opens a manifest's segments (reusing those already open), hides its tombstones, and swaps it in. */
  private async load(manifest: Manifest): Promise<void> {
    const started = performance.now()
    const opened = await Promise.all(manifest.segments.map((ref) => this.segments.get(ref.id) ?? this.open(ref)))
    // Workers clocks advance only across I/O, so this measures the KV reads, not the CPU of opening.
    const fetchMs = Math.round(performance.now() - started)
    const index = new SearchIndex(opened)
    for (const id of manifest.tombstones) index.delete(id)
    console.log(
      JSON.stringify({
        level: 'info',
        msg: 'index snapshot loaded',
        version: manifest.version,
        segments: manifest.segments.length,
        bytes: manifest.segments.reduce((n, s) => n + s.bytes, 0),
        tombstones: manifest.tombstones.length,
        fetchMs,
      }),
    )
    this.segments = new Map(manifest.segments.map((ref, i) => [ref.id, opened[i] as Segment]))
    this.segmentRefs = manifest.segments
    this.index = index
    this.seq = manifest.seq
    this.manifestVersion = manifest.version
    this.updatedAt ??= manifest.createdAt || null
  }

  private async open(ref: SegmentRef): Promise<Segment> {
    const parts = await Promise.all(
      Array.from({ length: ref.parts }, async (_, i) => {
        const value = await this.env.ARTICLES.get(segmentPartKey(ref.id, i), 'arrayBuffer')
        if (!value) throw new Error(`segment ${ref.id} part ${i} is missing from KV`)
        return new Uint8Array(value)
      }),
    )
    return Segment.open(joinParts(parts))
  }

  /**
   * Makes the index fresh enough to answer. A cold isolate waits for its first load. A warm one older than
   * SYNC_INTERVAL_MS starts a sync beside the request; past MAX_STALENESS_MS it waits for it, at most SYNC_WAIT_MS:
   * if the writer is slow or down, searches still answer from what this isolate has.
   */
  async ready(ctx: { waitUntil(promise: Promise<unknown>): void }): Promise<void> {
    if (this.syncedAt === 0) {
      try {
        await this.sync()
      } catch (err) {
        // Never answer "no results" for an index that could not load: say so, and when to try again.
        console.error(JSON.stringify({ level: 'error', msg: 'index load failed', error: String(err) }))
        throw new ProblemError(503, 'index-unavailable', 'The search index is loading or unavailable. Retry.', {
          headers: { 'retry-after': '1' },
        })
      }
      return
    }
    const age = Date.now() - this.syncedAt
    if (age <= SYNC_INTERVAL_MS) return
    const sync = this.sync().catch((err: unknown) => {
      console.error(JSON.stringify({ level: 'warn', msg: 'index sync failed', error: String(err) }))
    })
    ctx.waitUntil(sync)
    // Recently synced: answer now, the sync runs beside this request (a busy isolate syncs every interval, so
    // changes still show within about SYNC_INTERVAL_MS). Stale: wait for it, within bounds.
    if (age <= MAX_STALENESS_MS) return
    await Promise.race([sync, new Promise((resolve) => setTimeout(resolve, SYNC_WAIT_MS))])
  }
}

let live: LiveIndex | undefined

/** The isolate-wide live index (one per isolate, created on first use). */
export function liveIndex(env: SearchEnv): LiveIndex {
  live ??= new LiveIndex(env)
  return live
}
