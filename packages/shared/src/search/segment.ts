import { DEFAULT_ANALYZER } from './analyzer'
import {
  FORMAT_VERSION,
  HEADER_BYTES,
  SECTION_ALIGN,
  SECTION_COUNT,
  SEGMENT_MAGIC,
  Section,
  SegmentFormatError,
  type SegmentMeta,
  TERM_SEPARATOR,
} from './segment-format'
import { TermList } from './term-list'
import type { IndexDoc } from './types'

const decoder = new TextDecoder()

/**
 * Every this many terms, a segment keeps the term's first four code units packed in 32 bits (`packedUnits`), and a
 * lookup narrows its binary search by those numbers before it compares any term's bytes: 4 bytes per 16 terms, where
 * each of a plain binary search's ~16 steps read another term's bytes (and decoded a non-ASCII one).
 */
export const TERM_SAMPLE_EVERY = 16

/** Options for opening a segment. */
export interface SegmentOpenOptions {
  /** `Analyzer.id` the segment must have been built with (default: the default analyzer's). */
  analyzerId?: string
}

/**
 * An immutable, packed segment opened over its bytes: typed-array views, no per-posting objects, no string per term
 * (its terms stay UTF-8 in the term section, found by binary search over them), so opening costs milliseconds and
 * the heap holds little beyond the bytes: where each term starts, 4 bytes a term.
 *
 * Opened over the whole segment, it holds its bodies. Opened over its head alone (see `splitSegment`), it answers
 * everything but a document's url and body (its `StoredText`): `bodyBlockOf` names the block that holds them, and
 * `storedIn` reads them from that block.
 */
export class Segment {
  readonly meta: SegmentMeta
  readonly docCount: number
  readonly termCount: number
  readonly termPostingOffsets: Uint32Array
  readonly termDocFreq: Uint32Array
  readonly termMaxImpact: Uint8Array
  /** per term: (varint doc gap, impact byte) pairs, then positions (positions.ts: writeTermPostings) */
  readonly postings: Uint8Array
  readonly published: Float64Array
  readonly lang: Uint32Array
  readonly source: Uint32Array
  readonly author: Uint32Array
  readonly tagOffsets: Uint32Array
  readonly tagValues: Uint32Array
  readonly titleLength: Uint32Array
  readonly bodyLength: Uint32Array
  /** the bytes this segment reads from */
  readonly bytes: Uint8Array
  /** per document: where its id starts in idBytes (one more entry: the end) */
  readonly idOffsets: Uint32Array
  /** the documents' ids, UTF-8, one after another */
  readonly idBytes: Uint8Array
  /** the terms, UTF-8, sorted in UTF-16 code unit order (JS `<`), each but the last followed by TERM_SEPARATOR */
  private readonly termBytes: Uint8Array
  /** term i is termBytes[termStarts[i], termStarts[i + 1] − 1): one more entry, one past the end */
  private readonly termStarts: Uint32Array
  private readonly titleOffsets: Uint32Array
  private readonly titles: Uint8Array
  private readonly bodyOffsets: Uint32Array
  /** null when opened over the head alone */
  private readonly bodies: Uint8Array | null
  /** per body block, its first document, then docCount */
  private readonly bodyBlockFirst: Uint32Array
  /** `packedUnits` of every TERM_SAMPLE_EVERY-th term, built at the first lookup */
  #termSamples: Uint32Array | null = null

  private constructor(bytes: Uint8Array, options: SegmentOpenOptions) {
    // Typed-array views need aligned offsets; bytes sliced out of a larger buffer may not be.
    const aligned = bytes.byteOffset % SECTION_ALIGN === 0 ? bytes : bytes.slice()
    this.bytes = aligned
    const view = checkedHeader(aligned)
    const section = (i: number): Uint8Array => {
      const { offset, length } = sectionAt(view, i)
      if (offset % SECTION_ALIGN !== 0 || offset + length > aligned.byteLength) {
        throw new SegmentFormatError(`section ${i} out of bounds`)
      }
      return aligned.subarray(offset, offset + length)
    }
    const u32 = (i: number): Uint32Array => {
      const s = section(i)
      return new Uint32Array(s.buffer, s.byteOffset, s.byteLength >>> 2)
    }
    this.meta = JSON.parse(decoder.decode(section(Section.meta))) as SegmentMeta
    const expected = options.analyzerId ?? DEFAULT_ANALYZER.id
    if (this.meta.analyzer !== expected) {
      throw new SegmentFormatError(`segment built with analyzer ${this.meta.analyzer}, expected ${expected}`)
    }
    this.docCount = this.meta.docCount
    this.termCount = this.meta.termCount
    this.termBytes = section(Section.terms)
    this.termStarts = termStarts(this.termBytes, this.termCount)
    this.termPostingOffsets = u32(Section.termPostingOffsets)
    this.termDocFreq = u32(Section.termDocFreq)
    this.termMaxImpact = section(Section.termMaxImpact)
    this.postings = section(Section.postings)
    this.idOffsets = u32(Section.idOffsets)
    this.idBytes = section(Section.ids)
    this.titleOffsets = u32(Section.titleOffsets)
    this.titles = section(Section.titles)
    this.bodyOffsets = u32(Section.bodyOffsets)
    // The head ends where the bodies start (they come last). Bodies of no bytes are there in any case.
    const bodies = sectionAt(view, Section.bodies)
    this.bodies = bodies.length > 0 && bodies.offset === aligned.byteLength ? null : section(Section.bodies)
    this.bodyBlockFirst = u32(Section.bodyBlocks)
    const p = section(Section.published)
    this.published = new Float64Array(p.buffer, p.byteOffset, p.byteLength >>> 3)
    this.lang = u32(Section.lang)
    this.source = u32(Section.source)
    this.author = u32(Section.author)
    this.tagOffsets = u32(Section.tagOffsets)
    this.tagValues = u32(Section.tagValues)
    this.titleLength = u32(Section.titleLength)
    this.bodyLength = u32(Section.bodyLength)
    const n = this.docCount
    for (const [name, column] of [
      ['ids', this.idOffsets],
      ['titles', this.titleOffsets],
      ['bodies', this.bodyOffsets],
      ['tags', this.tagOffsets],
    ] as const) {
      if (column.length !== n + 1) throw new SegmentFormatError(`${name} column has ${column.length - 1} rows`)
    }
    if (this.termPostingOffsets.length !== this.termCount + 1) throw new SegmentFormatError('posting offsets')
    const blocks = this.bodyBlockFirst
    if (n > 0 && (blocks[0] !== 0 || blocks[blocks.length - 1] !== n)) throw new SegmentFormatError('body blocks')
  }

  /** Opens segment bytes made by `SegmentBuilder.finish()`; throws `SegmentFormatError` on another format. */
  static open(bytes: Uint8Array, options: SegmentOpenOptions = {}): Segment {
    return new Segment(bytes, options)
  }

  /** The term's number in this segment, or -1. */
  findTerm(term: string): number {
    const at = this.lowerBound(term)
    return at < this.termCount && this.compareTerm(at, term) === 0 ? at : -1
  }

  /**
   * The number of the first term not before `term` (termCount when every term is), where its completions start. The
   * samples bound it first (a sampled term packed below the key sorts before it, one packed above sorts after it); a
   * binary search over the term bytes finds it between the bounds.
   */
  lowerBound(term: string): number {
    const samples = this.#termSamples ?? this.#sampleTerms()
    const key = packedUnits(term)
    let below = 0 // samples packed below the key
    let hi = samples.length
    while (below < hi) {
      const mid = (below + hi) >>> 1
      if ((samples[mid] ?? 0) < key) below = mid + 1
      else hi = mid
    }
    let above = below // the first sample packed above the key
    hi = samples.length
    while (above < hi) {
      const mid = (above + hi) >>> 1
      if ((samples[mid] ?? 0) <= key) above = mid + 1
      else hi = mid
    }
    let lo = below === 0 ? 0 : (below - 1) * TERM_SAMPLE_EVERY + 1
    hi = Math.min(this.termCount, above * TERM_SAMPLE_EVERY)
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.compareTerm(mid, term) < 0) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  #sampleTerms(): Uint32Array {
    const samples = new Uint32Array(Math.ceil(this.termCount / TERM_SAMPLE_EVERY))
    const bytes = this.termBytes
    for (let j = 0; j < samples.length; j++) {
      const from = this.termStarts[j * TERM_SAMPLE_EVERY] ?? 0
      const end = (this.termStarts[j * TERM_SAMPLE_EVERY + 1] ?? 1) - 1
      let ascii = true
      for (let k = from; k < end && k < from + 4; k++) if ((bytes[k] ?? 0) >= 0x80) ascii = false
      samples[j] = ascii ? packedBytes(bytes, from, end) : packedUnits(this.term(j * TERM_SAMPLE_EVERY))
    }
    this.#termSamples = samples
    return samples
  }

  /** Term number i. */
  term(i: number): string {
    return decoder.decode(this.termBytes.subarray(this.termStarts[i] ?? 0, (this.termStarts[i + 1] ?? 1) - 1))
  }

  /** All the terms, decoded, for a dictionary of several segments (see mergeSorted). */
  termList(): TermList {
    return TermList.ofSeparated(decoder.decode(this.termBytes), TERM_SEPARATOR, this.termCount)
  }

  /**
   * Sign of term i compared with `key` in UTF-16 code unit order. ASCII is compared byte against code unit, in place;
   * from the first byte that is not, the rest of the term is decoded and compared as a string.
   */
  private compareTerm(i: number, key: string): number {
    const bytes = this.termBytes
    const from = this.termStarts[i] ?? 0
    const end = (this.termStarts[i + 1] ?? 1) - 1
    for (let k = 0; ; k++) {
      const at = from + k
      if (at === end) return k === key.length ? 0 : -1
      if (k === key.length) return 1
      const b = bytes[at] ?? 0
      const unit = key.charCodeAt(k)
      if (b >= 0x80) {
        // A UTF-8 lead byte of 0x80 or more starts a code point of U+0080 or more, whose first code unit is too.
        if (unit < 0x80) return 1
        const rest = decoder.decode(bytes.subarray(at, end))
        const keyRest = key.slice(k)
        return rest < keyRest ? -1 : rest === keyRest ? 0 : 1
      }
      const d = b - unit
      if (d !== 0) return d
    }
  }

  /** Document id of doc number `doc`. */
  docId(doc: number): string {
    return stringAt(this.idBytes, this.idOffsets, doc)
  }

  title(doc: number): string {
    return stringAt(this.titles, this.titleOffsets, doc)
  }

  /** Whether the bodies are in memory (opened over the whole segment), or in blocks to read (over its head). */
  get hasBodies(): boolean {
    return this.bodies !== null
  }

  /** How many body blocks the segment's bodies are cut into. */
  get bodyBlockCount(): number {
    return Math.max(0, this.bodyBlockFirst.length - 1)
  }

  /** The url and body, decoded from UTF-8 only when asked; throws if the segment was opened without its bodies. */
  stored(doc: number): StoredText {
    if (this.bodies === null) throw new Error('segment opened without its bodies: read the body block (storedIn)')
    return storedText(this.bodies, this.bodyOffsets[doc] ?? 0, this.bodyOffsets[doc + 1] ?? 0)
  }

  /** The body block that holds doc's body. */
  bodyBlockOf(doc: number): number {
    // The last block whose first document is at or before doc.
    let lo = 0
    let hi = this.bodyBlockCount - 1
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1
      if ((this.bodyBlockFirst[mid] ?? 0) <= doc) lo = mid
      else hi = mid - 1
    }
    return lo
  }

  /** Bytes of all the bodies: the blocks' bytes summed. */
  get bodyBytes(): number {
    return this.bodyOffsets[this.docCount] ?? 0
  }

  /** Bytes of body block `block`. */
  bodyBlockBytes(block: number): number {
    const from = this.bodyOffsets[this.bodyBlockFirst[block] ?? 0] ?? 0
    return (this.bodyOffsets[this.bodyBlockFirst[block + 1] ?? 0] ?? from) - from
  }

  /** The url and body of doc, read from the bytes of its block (`bodyBlockOf`), as `splitSegment` cut them. */
  storedIn(doc: number, block: Uint8Array): StoredText {
    const from = this.bodyOffsets[this.bodyBlockFirst[this.bodyBlockOf(doc)] ?? 0] ?? 0
    const start = (this.bodyOffsets[doc] ?? 0) - from
    const end = (this.bodyOffsets[doc + 1] ?? 0) - from
    if (end > block.length) throw new SegmentFormatError(`body block of doc ${doc} is ${block.length} bytes short`)
    return storedText(block, start, end)
  }

  sourceOf(doc: number): string | null {
    const s = this.source[doc] ?? 0
    return s === 0 ? null : (this.meta.sources[s - 1] ?? null)
  }

  authorOf(doc: number): string | null {
    const a = this.author[doc] ?? 0
    return a === 0 ? null : (this.meta.authors[a - 1] ?? null)
  }

  langOf(doc: number): string {
    return this.meta.langs[this.lang[doc] ?? 0] ?? ''
  }

  tagsOf(doc: number): string[] {
    const out: string[] = []
    for (let i = this.tagOffsets[doc] ?? 0; i < (this.tagOffsets[doc + 1] ?? 0); i++) {
      out.push(this.meta.tags[this.tagValues[i] ?? 0] ?? '')
    }
    return out
  }

  publishedOf(doc: number): number | null {
    const p = this.published[doc] ?? Number.NaN
    return Number.isNaN(p) ? null : p
  }

  /** The stored fields a hit shows that the head holds: all but the url and body. */
  fields(doc: number): Omit<IndexDoc, 'body' | 'url'> {
    return {
      id: this.docId(doc),
      title: this.title(doc),
      source: this.sourceOf(doc),
      author: this.authorOf(doc),
      lang: this.langOf(doc),
      tags: this.tagsOf(doc),
      published: this.publishedOf(doc),
    }
  }

  /** The whole stored document; throws if the segment was opened without its bodies. */
  document(doc: number): IndexDoc {
    return { ...this.fields(doc), ...this.stored(doc) }
  }
}

/**
 * Cuts whole segment bytes (as `SegmentBuilder` makes them) into its head, which `Segment.open` reads without the
 * bodies, and its body blocks, each the UTF-8 bodies of the documents from one block's first to the next's; `bodies`
 * is all the blocks one after another. Views of `bytes`, no copy.
 */
export function splitSegment(bytes: Uint8Array): { head: Uint8Array; bodyBlocks: Uint8Array[]; bodies: Uint8Array } {
  const view = checkedHeader(bytes)
  const bodies = sectionAt(view, Section.bodies)
  const u32 = (i: number): Uint32Array => {
    const { offset, length } = sectionAt(view, i)
    // Copied: bytes sliced out of a larger buffer may not be aligned for a view.
    return new Uint32Array(bytes.slice(offset, offset + length).buffer)
  }
  const bodyOffsets = u32(Section.bodyOffsets)
  const first = u32(Section.bodyBlocks)
  if (bodies.offset + bodies.length > bytes.length) throw new SegmentFormatError('segment has no bodies to split')
  const bodyBlocks: Uint8Array[] = []
  for (let k = 0; k + 1 < first.length; k++) {
    const from = bodyOffsets[first[k] ?? 0] ?? 0
    const to = bodyOffsets[first[k + 1] ?? 0] ?? 0
    bodyBlocks.push(bytes.subarray(bodies.offset + from, bodies.offset + to))
  }
  return {
    head: bytes.subarray(0, bodies.offset),
    bodyBlocks,
    bodies: bytes.subarray(bodies.offset, bodies.offset + bodies.length),
  }
}

/**
 * A view of segment bytes whose header is this code's: long enough for the section table, the magic, this format's
 * version and its section count. Throws SegmentFormatError otherwise.
 */
function checkedHeader(bytes: Uint8Array): DataView {
  if (bytes.byteLength < HEADER_BYTES + SECTION_COUNT * 8) throw new SegmentFormatError('segment too short')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (view.getUint32(0, true) !== SEGMENT_MAGIC) throw new SegmentFormatError('not an Edgewire search segment')
  const version = view.getUint32(4, true)
  if (version !== FORMAT_VERSION) {
    throw new SegmentFormatError(`segment format version ${version}, this code reads ${FORMAT_VERSION}`)
  }
  const sectionCount = view.getUint32(8, true)
  if (sectionCount !== SECTION_COUNT) throw new SegmentFormatError(`segment has ${sectionCount} sections`)
  return view
}

/** Where section i lies in the segment, from its table. */
function sectionAt(view: DataView, i: number): { offset: number; length: number } {
  return { offset: view.getUint32(HEADER_BYTES + i * 8, true), length: view.getUint32(HEADER_BYTES + i * 8 + 4, true) }
}

/**
 * The first four UTF-16 code units of a term, one byte each (0 past its end), in 32 bits whose order never
 * contradicts the terms' order. A unit of 0xFF or more sets its byte and all after it to 0xFF, so two terms that
 * differ only from there pack equal: a packed difference is always a difference in units below 0xFF, in place.
 */
export function packedUnits(term: string): number {
  let packed = 0
  let saturated = false
  for (let k = 0; k < 4; k++) {
    const unit = k < term.length ? term.charCodeAt(k) : 0
    if (unit >= 0xff) saturated = true
    packed = packed * 256 + (saturated ? 0xff : unit)
  }
  return packed
}

/** `packedUnits` of an ASCII term in `bytes[from, end)`, without decoding it (its bytes are its code units). */
function packedBytes(bytes: Uint8Array, from: number, end: number): number {
  let packed = 0
  for (let k = 0; k < 4; k++) packed = packed * 256 + (from + k < end ? (bytes[from + k] ?? 0) : 0)
  return packed
}

/** Where each of `count` terms starts in a term section, and one past its end (terms never hold the separator). */
function termStarts(bytes: Uint8Array, count: number): Uint32Array {
  const starts = new Uint32Array(count + 1)
  const separator = TERM_SEPARATOR.charCodeAt(0)
  // One pass over the bytes: with an indexOf call per term, opening a segment of 5,600 archive articles took 2.4–4.9
  // ms in Node, against 1.4–1.6.
  let term = 1
  for (let k = 0; k < bytes.length && term < count; k++) if (bytes[k] === separator) starts[term++] = k + 1
  if (count > 0 && term !== count) throw new SegmentFormatError('term count mismatch')
  starts[count] = bytes.length + 1
  return starts
}

/** A document's url and body, as its segment stores them apart from its head. */
export interface StoredText {
  url: string | null
  body: string
}

/** Reads an entry of the bodies section (`data[from, to)`): the url's byte length (varint), the url, the body. */
function storedText(data: Uint8Array, from: number, to: number): StoredText {
  if (from === to) return { url: null, body: '' }
  let at = from
  let urlBytes = 0
  for (let shift = 0; ; shift += 7) {
    const b = data[at++] ?? 0
    urlBytes += (b & 0x7f) * 2 ** shift
    if (b < 0x80) break
  }
  const urlEnd = at + urlBytes
  if (urlEnd > to) throw new SegmentFormatError('url runs past its entry')
  return {
    url: urlBytes === 0 ? null : decoder.decode(data.subarray(at, urlEnd)),
    body: urlEnd === to ? '' : decoder.decode(data.subarray(urlEnd, to)),
  }
}

function stringAt(data: Uint8Array, offsets: Uint32Array, i: number): string {
  const start = offsets[i] ?? 0
  const end = offsets[i + 1] ?? start
  return start === end ? '' : decoder.decode(data.subarray(start, end))
}
