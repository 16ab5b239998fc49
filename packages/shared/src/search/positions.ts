import { ByteBuffer } from './byte-buffer'
import { FIELD_POSITION_GAP } from './doc-terms'
import type { Segment } from './segment'

/**
 * Word positions: how they are stored, read, matched as phrases and scored for proximity.
 *
 * Stored per term right after its (doc gap, impact) pairs (see segment-format.ts) as one bit stream, most significant
 * bit first, padded to a byte at its end. Per posting: its number of positions n (Elias gamma), then each position as
 * its gap from the previous one minus 1 (the first from -1, so the first is the position itself) in a Rice code
 * whose parameter is k = ⌊log2(0.8 · span / n)⌋, span being the document's length in terms plus
 * FIELD_POSITION_GAP: positions are spread over their document, so the expected gap is about span / n. This is the
 * local Golomb code of Witten, Moffat & Bell ("Managing Gigabytes", 2nd ed. 1999, §3.3) with their per-document
 * parameter, in its Rice form (a power of two); 0.8 measured best on Reuters (0.69 = ln 2, theirs, is within
 * 0.3 %). Nothing per term is stored for it: a reader knows n before the gaps and the span from the segment's
 * length columns. Reuters: 1.94 M positions in 2.08 MB, 8.6 bits each (varints of format 2: 2.76 MB).
 *
 * A bit code cannot be stepped over a byte at a time, so readers keep a skip index per term (TermSkips), made at
 * the term's first read in a segment; later reads decode only the few postings before each wanted document.
 */

/** Postings between two entries of a term's skip index. */
export const SKIP_INTERVAL = 8

/** The Rice parameter of a posting with `count` positions in a document of `span` positions. */
export function riceParameter(span: number, count: number): number {
  const m = Math.floor((span * 4) / (count * 5))
  return m < 2 ? 0 : 31 - Math.clz32(m)
}

/** How many positions a document of these field lengths spreads over, for riceParameter. */
export function positionSpan(titleLength: number, bodyLength: number): number {
  return titleLength + bodyLength + FIELD_POSITION_GAP
}

/** Appends bits, most significant first, to a byte buffer. */
export class BitWriter {
  readonly out = new ByteBuffer(1 << 10)
  /** bits not yet written out: the low `filled` bits (fewer than 8 between calls) */
  private pending = 0
  private filled = 0

  /** Bits written so far. */
  get bitLength(): number {
    return this.out.length * 8 + this.filled
  }

  /** Appends the low `n` bits of `value` (n ≤ 24). */
  bits(value: number, n: number): void {
    if (n === 0) return
    this.pending = (this.pending << n) | (value & ((1 << n) - 1))
    this.filled += n
    while (this.filled >= 8) {
      this.filled -= 8
      this.out.byte((this.pending >>> this.filled) & 0xff)
    }
    this.pending &= (1 << this.filled) - 1
  }

  /** `n` ones. */
  ones(n: number): void {
    for (let left = n; left > 0; left -= 24) this.bits(0xffffff, Math.min(24, left))
  }

  /** `value` ≥ 0 as `value >> k` ones, a zero, then its low k bits (k ≤ 24). */
  rice(value: number, k: number): void {
    this.ones(Math.floor(value / 2 ** k))
    this.bits(0, 1)
    this.bits(value, k)
  }

  /**
   * `value` ≥ 1 in Elias gamma with ones for its length (L = ⌊log2 value⌋ ones, a zero, its low L bits), so that
   * reading past the end (zeros) ends a code rather than looping.
   */
  gamma(value: number): void {
    const length = 31 - Math.clz32(value)
    this.ones(length)
    this.bits(0, 1)
    this.bits(value, length)
  }

  /** Starts over, keeping the buffer. */
  clear(): void {
    this.out.length = 0
    this.pending = 0
    this.filled = 0
  }

  /** Pads the last byte with zeros; returns the bytes (a view; copy before writing more). */
  finish(): Uint8Array {
    if (this.filled > 0) this.bits(0, 8 - this.filled)
    return this.out.view()
  }
}

/**
 * Appends one term's postings as stored: its (doc gap, impact) pairs, then the positions' bit stream. `spans[i]` and
 * `positions[i]` belong to the i-th posting; `bits` is scratch space.
 */
export function writeTermPostings(
  out: { bytes(data: Uint8Array): void },
  pairs: Uint8Array,
  spans: readonly number[],
  positions: readonly ArrayLike<number>[],
  bits: BitWriter,
): void {
  bits.clear()
  positions.forEach((list, i) => {
    const k = riceParameter(spans[i] ?? 0, list.length)
    bits.gamma(list.length)
    let previous = -1
    for (let j = 0; j < list.length; j++) {
      const p = list[j] ?? 0
      bits.rice(p - previous - 1, k)
      previous = p
    }
  })
  out.bytes(pairs)
  out.bytes(bits.finish())
}

/** Reads a varint at `at` of `bytes`; returns its value, and sets `cursor.at` past it. */
function readVarint(bytes: Uint8Array, cursor: { at: number }): number {
  let value = 0
  let shift = 0
  let byte = 0
  do {
    byte = bytes[cursor.at++] ?? 0
    value |= (byte & 0x7f) << shift
    shift += 7
  } while (byte & 0x80)
  return value
}

/**
 * Reads bits of a term's positions, most significant first, from a 32-bit window (the builder pads the postings with
 * WINDOW_PADDING bytes, so a window never reads past them).
 */
class BitReader {
  private readonly view: DataView

  constructor(
    bytes: Uint8Array,
    /** the bit to read next, from the start of `bytes` */
    public bit: number,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  /** The 32 bits from the current one on; at least 25 of them are the stream's. */
  private window(): number {
    return this.view.getUint32(this.bit >>> 3) << (this.bit & 7)
  }

  /** Ones up to the next zero, which is consumed too. */
  private ones(): number {
    let n = 0
    for (;;) {
      const available = 32 - (this.bit & 7)
      const run = Math.clz32(~this.window())
      if (run < available) {
        this.bit += run + 1
        return n + run
      }
      n += available
      this.bit += available
    }
  }

  /** The next `n` bits (n ≤ 25) as a number. */
  private read(n: number): number {
    if (n === 0) return 0
    const value = this.window() >>> (32 - n)
    this.bit += n
    return value
  }

  /** An Elias gamma code (ones for the length; see BitWriter.gamma). */
  gamma(): number {
    const w = this.window()
    const length = Math.clz32(~w)
    // Usual case: the whole code lies in the window's first 25 bits.
    if (length <= 12) {
      this.bit += 2 * length + 1
      return length === 0 ? 1 : (1 << length) | ((w << (length + 1)) >>> (32 - length))
    }
    const long = this.ones()
    return (1 << long) | this.read(long)
  }

  /** A Rice code with parameter k. */
  rice(k: number): number {
    const w = this.window()
    const q = Math.clz32(~w)
    if (q + 1 + k <= 25) {
      this.bit += q + 1 + k
      return k === 0 ? q : (q << k) | ((w << (q + 1)) >>> (32 - k))
    }
    const long = this.ones()
    return long * 2 ** k + this.read(k)
  }

  /** Steps over a Rice code with parameter k. */
  skipRice(k: number): void {
    const q = Math.clz32(~this.window())
    if (q + 1 + k <= 25) {
      this.bit += q + 1 + k
    } else {
      this.ones()
      this.bit += k
    }
  }
}

/** Bytes after the postings, so that a 32-bit window at any bit of them stays inside the section. */
export const WINDOW_PADDING = 4

/** Steps over the positions of one posting of document `doc`. */
function skipPositions(seg: Segment, reader: BitReader, doc: number): void {
  const count = reader.gamma()
  const k = riceParameter(positionSpan(seg.titleLength[doc] ?? 0, seg.bodyLength[doc] ?? 0), count)
  for (let c = 0; c < count; c++) reader.skipRice(k)
}

/** Reads the positions of one posting of document `doc`. */
function readPositions(seg: Segment, reader: BitReader, doc: number): number[] {
  const count = reader.gamma()
  const k = riceParameter(positionSpan(seg.titleLength[doc] ?? 0, seg.bodyLength[doc] ?? 0), count)
  const positions = new Array<number>(count)
  let position = -1
  for (let c = 0; c < count; c++) {
    position += reader.rice(k) + 1
    positions[c] = position
  }
  return positions
}

/**
 * A term's skip index in a segment: every SKIP_INTERVAL postings, the byte of that posting's pair, the doc number
 * before it (-1 for the first) and the first bit of its positions.
 */
interface TermSkips {
  at: Uint32Array
  docBefore: Int32Array
  /** from `firstBit` */
  bit: Uint32Array
  /** the first bit of the term's positions in the postings section */
  firstBit: number
}

/**
 * The skip indexes of the terms read so far, per segment: 12 bytes per SKIP_INTERVAL postings (1.5 bytes per posting
 * of the terms read), kept for the segment's life, as segments are immutable.
 */
const skipCache = new WeakMap<Segment, Map<number, TermSkips>>()

/** The term's skip index: made by one walk over its pairs and positions, then kept (see skipCache). */
function termSkips(seg: Segment, termNo: number): TermSkips {
  let bySegment = skipCache.get(seg)
  if (bySegment === undefined) {
    bySegment = new Map()
    skipCache.set(seg, bySegment)
  }
  const cached = bySegment.get(termNo)
  if (cached !== undefined) return cached
  const bytes = seg.postings
  const df = seg.termDocFreq[termNo] ?? 0
  const entries = Math.max(1, Math.ceil(df / SKIP_INTERVAL))
  const out: TermSkips = {
    at: new Uint32Array(entries),
    docBefore: new Int32Array(entries),
    bit: new Uint32Array(entries),
    firstBit: 0,
  }
  const docs = new Int32Array(df)
  const cursor = { at: seg.termPostingOffsets[termNo] ?? 0 }
  let doc = -1
  for (let i = 0; i < df; i++) {
    if (i % SKIP_INTERVAL === 0) {
      out.at[i / SKIP_INTERVAL] = cursor.at
      out.docBefore[i / SKIP_INTERVAL] = doc
    }
    doc += readVarint(bytes, cursor) + 1
    cursor.at++ // impact
    docs[i] = doc
  }
  // The positions start after the last pair.
  out.firstBit = cursor.at * 8
  const reader = new BitReader(bytes, out.firstBit)
  for (let i = 0; i < df; i++) {
    if (i % SKIP_INTERVAL === 0) out.bit[i / SKIP_INTERVAL] = reader.bit - out.firstBit
    skipPositions(seg, reader, docs[i] ?? 0)
  }
  bySegment.set(termNo, out)
  return out
}

/**
 * Calls `visit` with the positions of each document of the term that is in `wanted` (ascending doc numbers; null =
 * every document), in doc order. From the skip entry before each wanted document: the pairs up to it and the
 * positions of the postings between (fewer than SKIP_INTERVAL). This walk is what proximity and phrases cost.
 */
export function forEachPositions(
  seg: Segment,
  termNo: number,
  wanted: readonly number[] | null,
  visit: (doc: number, positions: number[]) => void,
): void {
  const bytes = seg.postings
  const df = seg.termDocFreq[termNo] ?? 0
  if (df === 0) return
  if (df <= SKIP_INTERVAL) {
    walkShortTerm(seg, termNo, df, wanted, visit)
    return
  }
  const skips = termSkips(seg, termNo)
  const reader = new BitReader(bytes, skips.firstBit)
  const pair = { at: skips.at[0] ?? 0 }
  if (wanted === null) {
    // Every document: pairs and positions in order.
    let doc = -1
    for (let i = 0; i < df; i++) {
      doc += readVarint(bytes, pair) + 1
      pair.at++ // impact
      visit(doc, readPositions(seg, reader, doc))
    }
    return
  }
  const entries = skips.at.length
  // Docs of the current interval, to know the Rice parameter of a posting stepped over.
  const intervalDocs = new Int32Array(SKIP_INTERVAL)
  let entry = -1
  /** pairs read, counted from the term's first */
  let read = 0
  /** postings whose positions the reader has passed */
  let decoded = 0
  let intervalEnd = 0
  let doc = -1
  for (const target of wanted) {
    // The interval that may hold the target: the last one that starts after a doc below it.
    let next = Math.max(entry, 0)
    while (next + 1 < entries && (skips.docBefore[next + 1] ?? 0) < target) next++
    if (next !== entry) {
      entry = next
      read = entry * SKIP_INTERVAL
      decoded = read
      intervalEnd = Math.min(df, read + SKIP_INTERVAL)
      pair.at = skips.at[entry] ?? 0
      doc = skips.docBefore[entry] ?? -1
      reader.bit = skips.firstBit + (skips.bit[entry] ?? 0)
    }
    while (doc < target && read < intervalEnd) {
      doc += readVarint(bytes, pair) + 1
      pair.at++ // impact
      intervalDocs[read % SKIP_INTERVAL] = doc
      read++
    }
    if (doc !== target || decoded >= read) continue
    for (; decoded < read - 1; decoded++) skipPositions(seg, reader, intervalDocs[decoded % SKIP_INTERVAL] ?? 0)
    decoded++
    visit(doc, readPositions(seg, reader, doc))
  }
}

/**
 * forEachPositions for a term of at most SKIP_INTERVAL postings: its pairs, then its positions, in one pass. A skip
 * index would have one entry, the term's start, and cost some 500 bytes of objects per term kept: most terms are
 * that rare, and proximity reads every query word.
 */
function walkShortTerm(
  seg: Segment,
  termNo: number,
  df: number,
  wanted: readonly number[] | null,
  visit: (doc: number, positions: number[]) => void,
): void {
  const bytes = seg.postings
  const cursor = { at: seg.termPostingOffsets[termNo] ?? 0 }
  const docs = new Int32Array(df)
  let doc = -1
  for (let i = 0; i < df; i++) {
    doc += readVarint(bytes, cursor) + 1
    cursor.at++ // impact
    docs[i] = doc
  }
  const reader = new BitReader(bytes, cursor.at * 8)
  let w = 0
  for (let i = 0; i < df; i++) {
    const d = docs[i] ?? 0
    if (wanted !== null) {
      while (w < wanted.length && (wanted[w] ?? 0) < d) w++
      if (w === wanted.length) return
      if (wanted[w] !== d) {
        skipPositions(seg, reader, d)
        continue
      }
    }
    visit(d, readPositions(seg, reader, d))
  }
}

/**
 * Calls `visit` for every posting of the term, in doc order: its document, its impact byte and its positions. One
 * pass over the pairs, then one over the positions, without a skip index (a merge reads each term once).
 */
export function forEachPosting(
  seg: Segment,
  termNo: number,
  visit: (doc: number, impact: number, positions: number[]) => void,
): void {
  const bytes = seg.postings
  const df = seg.termDocFreq[termNo] ?? 0
  const cursor = { at: seg.termPostingOffsets[termNo] ?? 0 }
  const docs = new Int32Array(df)
  const impacts = new Uint8Array(df)
  let doc = -1
  for (let i = 0; i < df; i++) {
    doc += readVarint(bytes, cursor) + 1
    docs[i] = doc
    impacts[i] = bytes[cursor.at++] ?? 0
  }
  const reader = new BitReader(bytes, cursor.at * 8)
  for (let i = 0; i < df; i++) {
    const d = docs[i] ?? 0
    visit(d, impacts[i] ?? 0, readPositions(seg, reader, d))
  }
}

/** Calls `visit` for each document of the term, in doc order (no positions read). */
export function forEachDoc(seg: Segment, termNo: number, visit: (doc: number) => void): void {
  const bytes = seg.postings
  const df = seg.termDocFreq[termNo] ?? 0
  const cursor = { at: seg.termPostingOffsets[termNo] ?? 0 }
  let doc = -1
  for (let i = 0; i < df; i++) {
    doc += readVarint(bytes, cursor) + 1
    cursor.at++
    visit(doc)
  }
}

/** One word of a phrase: where it sits relative to the phrase's first word, and the terms it may appear as. */
export interface PhraseSlot {
  /** word positions after the first word (stop words inside the phrase count) */
  offset: number
  /** alternatives: the terms of the word (a Korean word and its stem), any of which matches */
  terms: string[]
}

/** A phrase after analysis: its words in order, with their relative positions. */
export interface Phrase {
  slots: PhraseSlot[]
  /** the phrase as typed, for messages and snippets */
  text: string
}

/** Positions of any of `terms` in a document (sorted, distinct), from a per-term lookup. */
function unionPositions(terms: readonly string[], lookup: (term: string) => readonly number[] | undefined): number[] {
  let out: number[] | undefined
  for (const term of terms) {
    const list = lookup(term)
    if (list === undefined || list.length === 0) continue
    out = out === undefined ? [...list] : [...new Set([...out, ...list])].sort((a, b) => a - b)
  }
  return out ?? []
}

/** Whether `sorted` contains `value` (binary search). */
function includesSorted(sorted: readonly number[], value: number): boolean {
  let lo = 0
  let hi = sorted.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    const v = sorted[mid] ?? 0
    if (v < value) lo = mid + 1
    else if (v > value) hi = mid - 1
    else return true
  }
  return false
}

/** Whether the words, at these positions per slot, stand in the phrase's order and distances somewhere. */
function slotsLineUp(slots: readonly PhraseSlot[], positions: readonly (readonly number[])[]): boolean {
  const first = positions[0] ?? []
  const firstOffset = slots[0]?.offset ?? 0
  for (const p of first) {
    const start = p - firstOffset
    let all = true
    for (let k = 1; k < slots.length && all; k++) {
      all = includesSorted(positions[k] ?? [], start + (slots[k]?.offset ?? 0))
    }
    if (all) return true
  }
  return false
}

/** Whether a document whose positions are `lookup` contains the phrase (memtable documents). */
export function docHasPhrase(phrase: Phrase, lookup: (term: string) => readonly number[] | undefined): boolean {
  const positions = phrase.slots.map((slot) => unionPositions(slot.terms, lookup))
  if (positions.some((p) => p.length === 0)) return false
  return phrase.slots.length === 1 || slotsLineUp(phrase.slots, positions)
}

/**
 * The documents of a segment that contain the phrase. The rarest word is read first and the others only for the
 * documents still in question; a one-word phrase reads no positions at all.
 */
export function segmentPhraseDocs(seg: Segment, phrase: Phrase): Set<number> {
  const slotTerms = phrase.slots.map((slot) => slot.terms.map((t) => seg.findTerm(t)).filter((n) => n >= 0))
  if (slotTerms.some((terms) => terms.length === 0)) return new Set()
  if (phrase.slots.length === 1) {
    const docs = new Set<number>()
    for (const termNo of slotTerms[0] ?? []) forEachDoc(seg, termNo, (doc) => docs.add(doc))
    return docs
  }
  const df = (terms: number[]): number => terms.reduce((n, t) => n + (seg.termDocFreq[t] ?? 0), 0)
  const order = slotTerms.map((terms, slot) => ({ slot, terms, df: df(terms) })).sort((a, b) => a.df - b.df)
  // slot number → doc → positions of any of its terms
  const bySlot = new Map<number, Map<number, number[]>>()
  let docs: Set<number> | null = null
  for (const { slot, terms } of order) {
    const found = new Map<number, number[]>()
    const wanted = docs === null ? null : [...docs].sort((a, b) => a - b)
    for (const termNo of terms) {
      forEachPositions(seg, termNo, wanted, (doc, positions) => {
        const old = found.get(doc)
        found.set(doc, old === undefined ? positions : [...new Set([...old, ...positions])].sort((a, b) => a - b))
      })
    }
    bySlot.set(slot, found)
    docs = new Set(found.keys())
    if (docs.size === 0) return docs
  }
  const out = new Set<number>()
  for (const doc of docs ?? []) {
    const positions = phrase.slots.map((_, slot) => bySlot.get(slot)?.get(doc) ?? [])
    if (slotsLineUp(phrase.slots, positions)) out.add(doc)
  }
  return out
}

/**
 * Proximity accumulators (Büttcher, Clarke & Lushman, "Term proximity scoring for ad-hoc retrieval on very large
 * text collections", SIGIR 2006, a refinement of Rasolofo & Savoy's BM25TP): walking a document's occurrences of
 * the query words in position order, each two neighbours of different words d positions apart add idf(other) / d²
 * to each one's accumulator. Only neighbours count (not every pair within a window) and a neighbour counts by its
 * rarity, so common words that happen to stand near a query word add little: long queries are full of them.
 * `positions[w]` holds the sorted positions of query word `w` in one document; `idf[w]` its IDF.
 */
export function proximityAccumulators(positions: readonly (readonly number[])[], idf: readonly number[]): number[] {
  const words = positions.length
  // A plain array, not a Float64Array: the same doubles, and allocating a small typed array cost more than summing a
  // typical document's accumulators (this runs for the head documents of every query).
  const acc = new Array<number>(words).fill(0)
  let count = 0
  let last = 0
  for (const list of positions) {
    count += list.length
    if (list.length > 0) last = Math.max(last, list[list.length - 1] ?? 0)
  }
  if (count < 2) return acc
  // Every occurrence as one number, position · 2^WORD_BITS + word, sorted: the occurrences in position order, and at
  // one position the lower word first, as taking the smallest head of the lists each time would. A sort of these
  // numbers costs half of that scan, which looked at every word's list for each occurrence.
  const shift = 32 - Math.clz32(words)
  const keys = last < 2 ** (31 - shift) ? new Int32Array(count) : new Float64Array(count)
  const scale = 2 ** shift
  let k = 0
  for (let w = 0; w < words; w++) {
    const list = positions[w] ?? []
    for (let i = 0; i < list.length; i++) keys[k++] = (list[i] ?? 0) * scale + w
  }
  keys.sort()
  let previousWord = -1
  let previousPosition = 0
  for (let i = 0; i < count; i++) {
    const key = keys[i] ?? 0
    const word = key % scale
    const position = (key - word) / scale
    const d = position - previousPosition
    // d = 0: two terms of one word (a compound's parts), not two words near each other.
    if (previousWord >= 0 && previousWord !== word && d > 0) {
      acc[previousWord] = (acc[previousWord] ?? 0) + (idf[word] ?? 0) / (d * d)
      acc[word] = (acc[word] ?? 0) + (idf[previousWord] ?? 0) / (d * d)
    }
    previousWord = word
    previousPosition = position
  }
  return acc
}
