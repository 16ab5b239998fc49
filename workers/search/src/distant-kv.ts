import type { WrittenAt } from '@edgewire/shared/lifecycle'

/**
 * KV as a distant location of the edge sees it. Workers KV is eventually consistent: a value written in one
 * location can stay invisible elsewhere for 60 s or more, and a miss is cached there as well. Locally Miniflare's KV
 * is instant, which hides every bug of that kind; with `KV_PROPAGATION_MS = N` the search worker reads KV through
 * this view instead, which shows a key only N ms after it was written and remembers a miss for N ms.
 *
 * The writer stamps every value with `WrittenAt` metadata (see `writtenNow`); the view reads it with
 * `getWithMetadata`. With N = 0 (production, and the default) the view is KV itself.
 */

/** Misses remembered per isolate (the edge caches them per location); the oldest go first past this many. */
const MAX_REMEMBERED_MISSES = 10_000

/** The read side of KV the search worker uses. */
export interface KvReader {
  get(key: string, type: 'arrayBuffer'): Promise<ArrayBuffer | null>
  get(key: string, type: 'text'): Promise<string | null>
}

type ReadType = 'arrayBuffer' | 'text'

/** Reads through KV as a location `propagationMs` away from the writer would (see the module comment). */
export class DistantKv implements KvReader {
  /** key → epoch ms until which a miss is remembered */
  readonly #misses = new Map<string, number>()

  constructor(
    private readonly kv: KVNamespace,
    private readonly propagationMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(key: string, type: 'arrayBuffer'): Promise<ArrayBuffer | null>
  get(key: string, type: 'text'): Promise<string | null>
  async get(key: string, type: ReadType): Promise<ArrayBuffer | string | null> {
    const now = this.now()
    const until = this.#misses.get(key)
    if (until !== undefined) {
      if (until > now) return null
      this.#misses.delete(key)
    }
    const { value, metadata } =
      type === 'text'
        ? await this.kv.getWithMetadata<WrittenAt>(key, 'text')
        : await this.kv.getWithMetadata<WrittenAt>(key, 'arrayBuffer')
    // A value with no stamp was written before stamps existed (or by hand): it has long arrived.
    const arrivesAt = value === null ? now : (metadata?.writtenAt ?? 0) + this.propagationMs
    if (value !== null && arrivesAt <= now) return value
    this.#remember(key, now + this.propagationMs)
    return null
  }

  #remember(key: string, until: number): void {
    if (this.#misses.size >= MAX_REMEMBERED_MISSES) {
      const oldest = this.#misses.keys().next()
      if (!oldest.done) this.#misses.delete(oldest.value)
    }
    this.#misses.set(key, until)
  }
}

const views = new WeakMap<KVNamespace, Map<number, DistantKv>>()

/**
 * KV as this worker should read it: `propagationMs` 0 (or unset, or invalid) gives KV itself; otherwise one
 * DistantKv per namespace, distance and isolate, so its remembered misses last across requests as the edge's cache
 * does (and a test that reads from another distance than the suite's gets its own view).
 */
export function kvReader(kv: KVNamespace, propagationMs: string | number | undefined): KvReader {
  const ms = Number(propagationMs ?? 0)
  if (!Number.isFinite(ms) || ms <= 0) return kv
  let byDistance = views.get(kv)
  if (!byDistance) {
    byDistance = new Map()
    views.set(kv, byDistance)
  }
  let view = byDistance.get(ms)
  if (!view) {
    view = new DistantKv(kv, ms)
    byDistance.set(ms, view)
  }
  return view
}
