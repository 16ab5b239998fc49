/**
 * V8's own report of every garbage collection of every workerd isolate (`--trace-gc`, `--trace-gc-verbose`), read
 * from the workers' output. It sees what the inspector cannot: the heap inside synchronous steps (a segment build's
 * packing, a JSON parse), where an inspector call waits until the step is over. The JS heap only grows between two
 * collections, so its largest figure at the start of one is its true peak, garbage included; JS heap and ArrayBuffer
 * backing stores at the end of a collection are what the isolate held then.
 */

/** `[pid:isolate]  N ms: Mark-Compact 45.2 (48.0) -> 30.1 (33.0) MB, …`: used (reserved) MB before -> after. */
const GC_LINE =
  /\[(\d+):(0x[0-9a-f]+)\]\s+\d+ ms: ([A-Za-z][A-Za-z -]*?(?: \(reduce\))?) ([\d.]+) \(([\d.]+)\) -> ([\d.]+) \(([\d.]+)\) MB/
/** After each collection: `[pid:isolate] All spaces, used: N KB, …` and `Backing store memory: N KB`. */
const GC_VERBOSE = /\[(\d+):(0x[0-9a-f]+)\]\s+(All spaces,\s+used|Backing store memory):\s+(\d+) KB/

/**
 * Turns V8's collection report on for the workerd processes started after this call (Miniflare passes
 * MINIFLARE_WORKERD_V8_FLAGS to workerd), and has wrangler hand workerd's own lines on (EDGEWIRE_LOG_LEVEL=log, read
 * by startDevServers), where `onOutput` gets them.
 */
export function traceGarbageCollections(): void {
  process.env.MINIFLARE_WORKERD_V8_FLAGS =
    `${process.env.MINIFLARE_WORKERD_V8_FLAGS ?? ''} --trace-gc --trace-gc-verbose`.trim()
  process.env.EDGEWIRE_LOG_LEVEL = 'log'
}

/** Per isolate, since the last reset: the largest figures V8's collections reported (bytes). */
export interface GcPeaks {
  collections: number
  fullCollections: number
  /** used before a collection began (garbage included): where the heap stood when V8 had to collect */
  beforeCollection: number
  /** used after a full (mark-compact) collection: live at that moment */
  afterFull: number
  /** reserved by V8 for the heap, at any collection */
  reserved: number
  /** ArrayBuffer backing stores at the end of a collection, at most */
  backingStores: number
  /** JS heap in use plus ArrayBuffer backing stores at the end of a collection, at most */
  heapAndBuffers: number
  /** the same at the end of a full collection only, at most: what the isolate held live then */
  liveAfterFull: number
  /** the JS heap in use at the end of the last collection (its backing stores follow on the next lines) */
  lastUsed: number
  /** whether the last collection was a full one */
  lastFull: boolean
}

const noPeaks = (): GcPeaks => ({
  collections: 0,
  fullCollections: 0,
  beforeCollection: 0,
  afterFull: 0,
  reserved: 0,
  backingStores: 0,
  heapAndBuffers: 0,
  liveAfterFull: 0,
  lastUsed: 0,
  lastFull: false,
})

/** The collections of one workerd process's isolates, as its output reports them (feed it every line). */
export class GcTrace {
  readonly #isolates = new Map<string, GcPeaks>()

  /** Takes one line of the process's output; true when it was one of V8's collection lines. */
  read(line: string): boolean {
    const verbose = GC_VERBOSE.exec(line)
    if (verbose) {
      const [, pid, isolate, what = '', kb] = verbose
      const peaks = this.#isolates.get(`${pid}:${isolate}`)
      if (!peaks) return true
      const bytes = Number(kb) * 1024
      if (what.startsWith('All spaces')) peaks.lastUsed = bytes
      else {
        peaks.backingStores = Math.max(peaks.backingStores, bytes)
        peaks.heapAndBuffers = Math.max(peaks.heapAndBuffers, peaks.lastUsed + bytes)
        if (peaks.lastFull) peaks.liveAfterFull = Math.max(peaks.liveAfterFull, peaks.lastUsed + bytes)
      }
      return true
    }
    const m = GC_LINE.exec(line)
    if (!m) return false
    const [, pid, isolate, kind = '', before, reservedBefore, after, reservedAfter] = m
    const key = `${pid}:${isolate}`
    const peaks = this.#isolates.get(key) ?? noPeaks()
    const bytes = (mb: string | undefined) => Number(mb) * 1024 * 1024
    peaks.collections++
    peaks.beforeCollection = Math.max(peaks.beforeCollection, bytes(before))
    peaks.reserved = Math.max(peaks.reserved, bytes(reservedBefore), bytes(reservedAfter))
    peaks.lastFull = kind.startsWith('Mark-Compact')
    if (peaks.lastFull) {
      peaks.fullCollections++
      peaks.afterFull = Math.max(peaks.afterFull, bytes(after))
    }
    this.#isolates.set(key, peaks)
    return true
  }

  /** Starts a new window: peaks from here on only. */
  reset(): void {
    this.#isolates.clear()
  }

  /**
   * The isolate whose JS heap went highest since the reset: the worker's own (its index, its bodies), not one of
   * Miniflare's simulators, which run as isolates of the same process.
   */
  top(): (GcPeaks & { isolate: string }) | null {
    let top: (GcPeaks & { isolate: string }) | null = null
    for (const [isolate, peaks] of this.#isolates)
      if (!top || peaks.beforeCollection > top.beforeCollection) top = { isolate, ...peaks }
    return top
  }
}
