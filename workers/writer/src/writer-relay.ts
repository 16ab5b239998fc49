import { DurableObject } from 'cloudflare:workers'
import type { Manifest } from '@edgewire/shared/lifecycle'
import { writerShards } from '@edgewire/shared/shards'
import {
  type ChangeBlock,
  headTick,
  type IndexWriterRpc,
  type WriterHead,
  type WriterRelayRpc,
} from '@edgewire/shared/writer-rpc'
import { type WriterEnv, writerStub } from './context'

/** Sealed blocks kept for the location's readers that catch up behind the others (a block is 256 changes). */
const SEALED_BLOCKS_KEPT = 64
/**
 * Most bytes of sealed blocks kept per writer, as blockBytes counts them; the oldest go first past it, and a block
 * larger alone is passed on to its callers but not kept. A block holds up to 256 articles of up to 1.8 MB each, so
 * SEALED_BLOCKS_KEPT alone let the relay keep gigabytes of the 128 MB its isolate has. About 20 blocks of news of
 * ordinary length (1.5 KB of article each) fit: readers up to 5,000 changes behind the others still share them.
 */
export const SEALED_BLOCKS_MAX_BYTES = 16 * 1024 * 1024
/** What blockBytes adds for each change beside its text: the objects and their fields. */
const CHANGE_OVERHEAD_BYTES = 256

/**
 * The memory a change block holds, from the length of its text: two bytes a character (V8 keeps text of Latin-1 in
 * one byte a character, other text in two), plus CHANGE_OVERHEAD_BYTES a change. An estimate, read without walking
 * anything but the articles' own fields.
 */
export function blockBytes(block: ChangeBlock): number {
  let chars = 0
  for (const change of block.changes) {
    chars += change.id.length
    if (!change.article) continue
    for (const value of Object.values(change.article)) {
      if (typeof value === 'string') chars += value.length
      else if (Array.isArray(value)) for (const item of value) chars += String(item).length
    }
  }
  return 2 * chars + CHANGE_OVERHEAD_BYTES * block.changes.length
}

/**
 * The writer's relay in one location. The search worker's readers reach the writer through it whenever their
 * location's cache misses: at the start of a head tick every isolate of a busy location misses at once (the Cache API
 * has no request coalescing), and without the relay each of them would call the writer. Here they share one call:
 * a call in flight is joined, and an answer is kept for the rest of its tick (head, newest block) or, for what never
 * changes under its name (sealed blocks, manifests), while it is among the newest.
 *
 * Nothing is stored: a relay evicted or restarted starts empty and asks the writer again. It lives in the ingest
 * worker's script beside the writers, is named by the reader's location and the shard it relays (every call names
 * the shard too), and runs where it was first asked for (near that location's readers). See DESIGN.md, "Readers".
 */
export class WriterRelay extends DurableObject<WriterEnv> implements WriterRelayRpc {
  /** What is kept per writer (shard): a relay is named by location and shard, so it normally holds one. */
  readonly #writers = new Map<number, RelayedWriter>()

  #writer(shard: number): RelayedWriter {
    // A search worker older than shards calls without one (head()) or with the epoch first: refused, so that it falls
    // back to calling its one writer directly (see relayFeed) instead of being answered for another.
    const shards = writerShards(this.env)
    if (!Number.isInteger(shard) || shard < 0 || shard >= shards) {
      throw new TypeError(`WriterRelay calls name the shard (0 to ${shards - 1}), got ${String(shard)}`)
    }
    let writer = this.#writers.get(shard)
    if (!writer) {
      writer = new RelayedWriter(() => writerStub(this.env, shard))
      this.#writers.set(shard, writer)
    }
    return writer
  }

  async head(shard: number): Promise<WriterHead> {
    return this.#writer(shard).head()
  }

  async manifest(shard: number, epoch: string, version: number): Promise<Manifest> {
    return this.#writer(shard).manifest(epoch, version)
  }

  async changeBlock(
    shard: number,
    epoch: string,
    index: number,
    sealed: boolean,
    after?: number,
  ): Promise<ChangeBlock> {
    return this.#writer(shard).changeBlock(epoch, index, sealed, after)
  }

  async segmentPart(shard: number, epoch: string, segmentId: number, part: number): Promise<ArrayBuffer | null> {
    return this.#writer(shard).segmentPart(epoch, segmentId, part)
  }
}

/** One writer as the relay reaches it, with the calls in flight and the answers kept for it. */
class RelayedWriter {
  #head: { tick: number; value: Promise<WriterHead> } | null = null
  readonly #openBlocks = new Map<string, { tick: number; value: Promise<ChangeBlock> }>()
  /** Sealed blocks by epoch and index, oldest first, with their bytes once answered (0 while in flight). */
  readonly #sealedBlocks = new Map<string, { value: Promise<ChangeBlock>; bytes: number }>()
  /** The bytes of every answered block in #sealedBlocks (see SEALED_BLOCKS_MAX_BYTES). */
  #sealedBytes = 0
  #manifest: { epoch: string; version: number; value: Promise<Manifest> } | null = null
  readonly #parts = new Map<string, Promise<ArrayBuffer | null>>()

  constructor(private readonly writer: () => DurableObjectStub<IndexWriterRpc>) {}

  head(): Promise<WriterHead> {
    const tick = headTick()
    if (this.#head?.tick !== tick) {
      const value = forgetOnFailure(this.writer().head(), () => {
        if (this.#head?.value === value) this.#head = null
      })
      this.#head = { tick, value }
    }
    return this.#head.value
  }

  manifest(epoch: string, version: number): Promise<Manifest> {
    // A newer manifest than the one asked for is a correct answer (see WriterFeed.manifest); an older one is not.
    const kept = this.#manifest
    if (!kept || kept.epoch !== epoch || kept.version < version) {
      const value = forgetOnFailure(this.writer().manifest(), () => {
        if (this.#manifest?.value === value) this.#manifest = null
      })
      this.#manifest = { epoch, version, value }
      value.then((m) => {
        if (this.#manifest?.value === value) this.#manifest = { epoch, version: m.version, value }
      }, ignore)
      return value
    }
    return kept.value
  }

  changeBlock(epoch: string, index: number, sealed: boolean, after?: number): Promise<ChangeBlock> {
    const key = after === undefined ? `${epoch}/${index}` : `${epoch}/${index}/after/${after}`
    if (sealed) {
      const kept = this.#sealedBlocks.get(key)
      if (kept) return kept.value
      const entry = { value: this.writer().changeBlock(index, after), bytes: 0 }
      this.#sealedBlocks.set(key, entry)
      entry.value.then(
        (block) => this.#keepSealed(key, entry, blockBytes(block)),
        () => this.#forgetSealed(key, entry),
      )
      this.#evictSealed(key)
      return entry.value
    }
    const tick = headTick()
    const open = this.#openBlocks.get(key)
    if (open?.tick === tick) return open.value
    for (const [k, block] of this.#openBlocks) if (block.tick !== tick) this.#openBlocks.delete(k)
    const value = forgetOnFailure(this.writer().changeBlock(index, after), () => {
      if (this.#openBlocks.get(key)?.value === value) this.#openBlocks.delete(key)
    })
    this.#openBlocks.set(key, { tick, value })
    return value
  }

  /** An answered sealed block counts its bytes, or goes when it alone is over the bound; older ones go past it. */
  #keepSealed(key: string, entry: { bytes: number }, bytes: number): void {
    if (this.#sealedBlocks.get(key) !== entry) return
    if (bytes > SEALED_BLOCKS_MAX_BYTES) {
      this.#sealedBlocks.delete(key)
      return
    }
    entry.bytes = bytes
    this.#sealedBytes += bytes
    this.#evictSealed(key)
  }

  #forgetSealed(key: string, entry: { bytes: number }): void {
    if (this.#sealedBlocks.get(key) !== entry) return
    this.#sealedBlocks.delete(key)
    this.#sealedBytes -= entry.bytes
  }

  /** Drops the oldest sealed blocks (never `newest`) until they are within both bounds. */
  #evictSealed(newest: string): void {
    for (const [key, entry] of this.#sealedBlocks) {
      if (this.#sealedBlocks.size <= SEALED_BLOCKS_KEPT && this.#sealedBytes <= SEALED_BLOCKS_MAX_BYTES) break
      if (key !== newest) this.#forgetSealed(key, entry)
    }
  }

  segmentPart(epoch: string, segmentId: number, part: number): Promise<ArrayBuffer | null> {
    // Parts are large: only a call in flight is shared (the readers' cache keeps the bytes).
    const key = `${epoch}/${segmentId}/${part}`
    const inFlight = this.#parts.get(key)
    if (inFlight) return inFlight
    const value = this.writer().segmentPart(segmentId, part)
    this.#parts.set(key, value)
    value.finally(() => this.#parts.delete(key)).catch(ignore)
    return value
  }
}

const ignore = () => undefined

/** A failed writer call is not kept: `forget` drops it, so the next caller asks again. */
function forgetOnFailure<T>(value: Promise<T>, forget: () => void): Promise<T> {
  value.catch(forget)
  return value
}
