import { type Analyzer, DEFAULT_ANALYZER } from './analyzer'
import { type Bm25Params, DEFAULT_BM25, quantizeImpact, termImpact } from './bm25'
import { ByteBuffer, ChunkedBytes, StringColumnWriter } from './byte-buffer'
import { analyzeDoc, type DocTerms, TermPool } from './doc-terms'
import { BitWriter, positionSpan, WINDOW_PADDING, writeTermPostings } from './positions'
import {
  BODY_BLOCK_BYTES,
  FORMAT_VERSION,
  HEADER_BYTES,
  SECTION_ALIGN,
  SECTION_COUNT,
  SEGMENT_MAGIC,
  Section,
  type SegmentMeta,
  TERM_SEPARATOR,
} from './segment-format'
import type { IndexDoc } from './types'

/** How a segment is built; the same analyzer must be used to query it. */
export interface SegmentBuilderOptions {
  analyzer?: Analyzer
  bm25?: Bm25Params
}

/**
 * Work between two pauses of finishInSteps(), in postings inverted or encoded (or documents stored): about 10 ms of
 * one core here. It counts work, not time: a Worker's clock stands still while it computes.
 */
export const FINISH_STEP_WORK = 20_000

/** Collects documents and writes them as one immutable, packed segment (see segment-format.ts). */
export class SegmentBuilder {
  private readonly analyzer: Analyzer
  private readonly bm25: Bm25Params
  /** by id, analysed as they were added; a later add of the same id replaces the earlier one */
  private readonly docs = new Map<string, { doc: IndexDoc; analysed: DocTerms }>()
  /** one spelling per term while documents wait here (doc-terms.ts) */
  private pool = new TermPool()

  constructor(options: SegmentBuilderOptions = {}) {
    this.analyzer = options.analyzer ?? DEFAULT_ANALYZER
    this.bm25 = options.bm25 ?? DEFAULT_BM25
  }

  /**
   * Adds a document (replacing an earlier one with the same id), analysing it now: the analysis is most of a
   * build's work, and doing it here lets a caller spread it over many steps (the index writer yields between pages
   * of documents), so that finish() only packs.
   */
  add(doc: IndexDoc): void {
    this.docs.delete(doc.id)
    this.docs.set(doc.id, { doc, analysed: analyzeDoc(this.analyzer, doc, this.pool) })
  }

  /** Number of distinct documents added (0 once packed: a builder packs once). */
  get size(): number {
    return this.docs.size
  }

  /** Inverts the analysed documents and returns the segment bytes, in one go. */
  finish(): Uint8Array {
    const steps = this.finishInSteps()
    for (;;) {
      const step = steps.next()
      if (step.done) return step.value
    }
  }

  /**
   * finish() as steps of at most about FINISH_STEP_WORK postings each: the caller may pause at every yield. Packing
   * 8,000 articles in one go held the index writer's thread for 2.8–3.7 s (DESIGN.md), and every webhook and reader
   * call waited behind it; between steps, they are let in.
   */
  *finishInSteps(): Generator<void, Uint8Array, void> {
    // A builder packs once: it hands its documents over, and each step lets go of what the next no longer needs (a
    // document's analysis once its last term is encoded, a term's list once encoded, a document once its body is in
    // the segment), so a build at the ceiling (MAX_BUILD_BYTES) does not hold its analysis, its inverted lists, its
    // packed postings and its stored text all at once (DESIGN.md, "The writer's memory at the ceiling").
    const docs: (IndexDoc | null)[] = []
    const analysed: (DocTerms | null)[] = []
    for (const entry of this.docs.values()) {
      docs.push(entry.doc)
      analysed.push(entry.analysed)
    }
    this.docs.clear()
    // The analyses hold their terms' one spelling; the pool's table of them is no longer needed.
    this.pool = new TermPool()
    const inverted = yield* invert(analysed)
    const postings = yield* encodePostings(inverted, analysed, this.bm25)
    return yield* packSegment(this.analyzer.id, this.bm25, postings, inverted, docs)
  }
}

/**
 * Steps 3 to 5, shared by the builder and the merge of segments (segment-merge.ts): the stored fields and facet
 * columns of `docs` (in doc-number order; each let go once its body is in the segment), then the whole segment.
 */
export function* packSegment(
  analyzer: string,
  bm25: Bm25Params,
  postings: EncodedPostings,
  lengths: FieldLengths,
  docs: (IndexDoc | null)[],
): Generator<void, Uint8Array, void> {
  const stored = yield* storeFields(docs)
  const meta: SegmentMeta = {
    analyzer,
    bm25,
    docCount: docs.length,
    termCount: postings.terms.length,
    totalTitleTerms: lengths.totalTitleTerms,
    totalBodyTerms: lengths.totalBodyTerms,
    langs: stored.langs.values,
    sources: stored.sources.values,
    authors: stored.authors.values,
    tags: stored.tags.values,
  }
  return yield* assemble(sectionsOf(meta, postings, stored, lengths, docs))
}

/** Packs title and body tf of one posting with its doc number into one float64-safe integer. */
const DOC_SHIFT = 65536

/** Each document's title and body length in terms, and their sums. */
export interface FieldLengths {
  titleLength: Uint32Array
  bodyLength: Uint32Array
  totalTitleTerms: number
  totalBodyTerms: number
}

/** The documents analysed and inverted: per term its postings; the field lengths. */
interface Inverted extends FieldLengths {
  /**
   * per term, two numbers per posting: doc number · DOC_SHIFT + title tf · 256 + body tf, then the term's index in
   * that document's analysis, where its positions stay until they are encoded (one flat array per term: most terms
   * of long articles have one posting, and an object of arrays per term cost more than the term)
   */
  terms: Map<string, number[]>
}

/** Counts work done and says when a step's worth is done (then it starts counting again). */
export class StepMeter {
  private done = 0

  /** Adds `work` units; true once FINISH_STEP_WORK have been done since the last true. */
  add(work: number): boolean {
    this.done += work
    if (this.done < FINISH_STEP_WORK) return false
    this.done = 0
    return true
  }
}

/**
 * Step 1: invert the analysed documents into per-term postings. Positions are not copied: each posting names the
 * term's index in its document's packed analysis, read when the term is encoded.
 */
function* invert(docs: readonly (DocTerms | null)[]): Generator<void, Inverted, void> {
  const n = docs.length
  const terms = new Map<string, number[]>()
  const titleLength = new Uint32Array(n)
  const bodyLength = new Uint32Array(n)
  let totalTitleTerms = 0
  let totalBodyTerms = 0
  const meter = new StepMeter()
  for (let i = 0; i < n; i++) {
    const analysed = docs[i]
    if (analysed === undefined || analysed === null) continue
    titleLength[i] = analysed.titleLength
    bodyLength[i] = analysed.bodyLength
    totalTitleTerms += analysed.titleLength
    totalBodyTerms += analysed.bodyLength
    analysed.terms.forEach((term, t) => {
      const posting = i * DOC_SHIFT + analysed.titleTf(t) * 256 + analysed.bodyTf(t)
      const list = terms.get(term)
      // A literal of two is allocated at its size; an empty array pushed to would reserve 17 slots.
      if (list === undefined) terms.set(term, [posting, t])
      else list.push(posting, t)
    })
    if (meter.add(analysed.size)) yield
  }
  return { terms, titleLength, bodyLength, totalTitleTerms, totalBodyTerms }
}

/** The term dictionary and postings as stored. */
export interface EncodedPostings {
  terms: string[]
  termPostingOffsets: Uint32Array
  termDocFreq: Uint32Array
  termMaxImpact: Uint8Array
  bytes: ChunkedBytes
}

/**
 * Step 2: sort the terms and encode each one's postings: its (varint doc gap, impact byte) pairs, then their
 * positions (positions.ts: writeTermPostings). Impacts are BM25F (bm25.ts) against this segment's average lengths.
 * Each term's list leaves `inverted` as it is encoded, and each document's analysis leaves `analysed` once its last
 * term (its terms are sorted as these are) is encoded.
 */
function* encodePostings(
  inverted: Inverted,
  analysed: (DocTerms | null)[],
  bm25: Bm25Params,
): Generator<void, EncodedPostings, void> {
  const n = inverted.titleLength.length
  const stats = {
    avgTitle: n > 0 ? inverted.totalTitleTerms / n : 0,
    avgBody: n > 0 ? inverted.totalBodyTerms / n : 0,
  }
  const terms = [...inverted.terms.keys()].sort()
  const termPostingOffsets = new Uint32Array(terms.length + 1)
  const termDocFreq = new Uint32Array(terms.length)
  const termMaxImpact = new Uint8Array(terms.length)
  // In chunks, not doubling: the postings of a build at the ceiling are megabytes (ChunkedBytes).
  const out = new ChunkedBytes()
  const pairs = new ByteBuffer(1 << 12)
  const bits = new BitWriter()
  const meter = new StepMeter()
  for (let t = 0; t < terms.length; t++) {
    const term = terms[t] ?? ''
    const list = inverted.terms.get(term) ?? []
    // Encoded below; the list is garbage after that.
    inverted.terms.delete(term)
    const count = list.length >> 1
    termDocFreq[t] = count
    pairs.length = 0
    const spans: number[] = []
    const positions: Uint32Array[] = []
    let previous = -1
    let maxImpact = 0
    for (let p = 0; p < count; p++) {
      const packed = list[2 * p] ?? 0
      const doc = Math.floor(packed / DOC_SHIFT)
      const tfTitle = (packed >> 8) & 0xff
      const tfBody = packed & 0xff
      const impact = quantizeImpact(
        termImpact(bm25, stats, tfTitle, tfBody, inverted.titleLength[doc] ?? 0, inverted.bodyLength[doc] ?? 0),
      )
      pairs.varint(doc - previous - 1)
      pairs.byte(impact)
      spans.push(positionSpan(inverted.titleLength[doc] ?? 0, inverted.bodyLength[doc] ?? 0))
      const docTerms = analysed[doc]
      const slot = list[2 * p + 1] ?? 0
      positions.push(docTerms ? docTerms.positionsView(slot) : new Uint32Array(0))
      // Its last term: nothing of this document's analysis is read again.
      if (docTerms && slot === docTerms.size - 1) analysed[doc] = null
      if (impact > maxImpact) maxImpact = impact
      previous = doc
    }
    writeTermPostings(out, pairs.view(), spans, positions, bits)
    termMaxImpact[t] = maxImpact
    termPostingOffsets[t + 1] = out.length
    // A term costs a little even with one posting (its dictionary entry, its position block).
    if (meter.add(count + 1)) yield
  }
  for (let i = 0; i < WINDOW_PADDING; i++) out.byte(0)
  return { terms, termPostingOffsets, termDocFreq, termMaxImpact, bytes: out }
}

/** The stored fields and facet columns, with the dictionaries the columns number into; the bodies' bytes apart. */
interface StoredFields {
  ids: StringColumnWriter
  titles: StringColumnWriter
  /** per document, where its entry (url, then body) starts in the bodies section (`count + 1` offsets) */
  bodyOffsets: Uint32Array
  /** per body block, its first document, then the document count (see BODY_BLOCK_BYTES) */
  bodyBlocks: number[]
  published: Float64Array
  lang: Uint32Array
  source: Uint32Array
  author: Uint32Array
  tagOffsets: Uint32Array
  tagValues: number[]
  langs: Dictionary
  sources: Dictionary
  authors: Dictionary
  tags: Dictionary
}

/**
 * Step 3: the fields a hit shows, and the facet columns as numbers into their dictionaries. Bodies are only measured
 * here (their UTF-8 length): assemble() encodes each straight into the segment, so that the stored text is never
 * held as a section of its own beside the segment it is copied into.
 */
function* storeFields(docs: readonly (IndexDoc | null)[]): Generator<void, StoredFields, void> {
  const n = docs.length
  const s: StoredFields = {
    ids: new StringColumnWriter(),
    titles: new StringColumnWriter(),
    bodyOffsets: new Uint32Array(n + 1),
    bodyBlocks: n > 0 ? [0] : [],
    published: new Float64Array(n),
    lang: new Uint32Array(n),
    source: new Uint32Array(n),
    author: new Uint32Array(n),
    tagOffsets: new Uint32Array(n + 1),
    tagValues: [],
    langs: new Dictionary(),
    sources: new Dictionary(),
    authors: new Dictionary(),
    tags: new Dictionary(),
  }
  const meter = new StepMeter()
  let bodyBytes = 0
  for (let i = 0; i < n; i++) {
    const doc = docs[i]
    if (doc === undefined || doc === null) continue
    s.ids.add(doc.id)
    s.titles.add(doc.title)
    // A new block when this entry would take the block past its size (a block always holds one entry at least).
    const blockFrom = s.bodyOffsets[s.bodyBlocks[s.bodyBlocks.length - 1] ?? 0] ?? 0
    const bodyEnd = bodyBytes + entryLength(doc)
    if (bodyEnd - blockFrom > BODY_BLOCK_BYTES && bodyBytes > blockFrom) s.bodyBlocks.push(i)
    bodyBytes = bodyEnd
    s.bodyOffsets[i + 1] = bodyBytes
    s.published[i] = doc.published ?? Number.NaN
    s.lang[i] = s.langs.index(doc.lang)
    s.source[i] = doc.source === null ? 0 : s.sources.index(doc.source) + 1
    s.author[i] = doc.author === null ? 0 : s.authors.index(doc.author) + 1
    for (const tag of new Set(doc.tags)) s.tagValues.push(s.tags.index(tag))
    s.tagOffsets[i + 1] = s.tagValues.length
    // Measuring a body costs less than copying it: count a posting's worth per 256 characters.
    if (meter.add(1 + (doc.body.length >> 8))) yield
  }
  if (n > 0) s.bodyBlocks.push(n)
  return s
}

/** Bytes of a document's entry in the bodies section: its url's length as a varint, its url, its body. */
function entryLength(doc: IndexDoc): number {
  const url = utf8Length(doc.url ?? '')
  return varintLength(url) + url + utf8Length(doc.body)
}

function varintLength(value: number): number {
  let n = 1
  for (let v = value >>> 7; v > 0; v >>>= 7) n++
  return n
}

/** Writes a document's entry (see entryLength) into `into`, exactly its size. */
function writeEntry(encoder: TextEncoder, doc: IndexDoc, into: Uint8Array): boolean {
  const url = doc.url ?? ''
  let at = 0
  let v = utf8Length(url)
  for (; v > 0x7f; v >>>= 7) into[at++] = (v & 0x7f) | 0x80
  into[at++] = v
  const u = encoder.encodeInto(url, into.subarray(at))
  at += u.written
  const b = encoder.encodeInto(doc.body, into.subarray(at))
  return u.read === url.length && b.read === doc.body.length && at + b.written === into.length
}

/**
 * Bytes of `text` in UTF-8 as TextEncoder writes it: a surrogate pair is 4 bytes, a lone surrogate 3 (U+FFFD).
 */
export function utf8Length(text: string): number {
  // Every code unit is one byte, and more for what follows: below 0x800 two bytes, above three (a lone surrogate
  // too, as U+FFFD); a surrogate pair's two code units make four bytes, two more.
  let bytes = text.length
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x80) continue
    if (c < 0x800) {
      bytes += 1
      continue
    }
    bytes += 2
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) i++
    }
  }
  return bytes
}

/**
 * One section as assemble() writes it into the segment: its length, known beforehand, and what writes it into its
 * place (a view of exactly `length` bytes): at once, or in steps when it returns them.
 */
interface SectionSource {
  length: number
  write(into: Uint8Array): Generator<void, void, void> | undefined
}

function bytesSection(bytes: Uint8Array): SectionSource {
  return {
    length: bytes.length,
    write(into) {
      into.set(bytes)
      return undefined
    },
  }
}

/** Step 4: every section, in table order: the bodies encoded from the documents, the postings moved out of chunks. */
function sectionsOf(
  meta: SegmentMeta,
  postings: EncodedPostings,
  s: StoredFields,
  lengths: FieldLengths,
  docs: (IndexDoc | null)[],
): SectionSource[] {
  const encoder = new TextEncoder()
  const sections: SectionSource[] = new Array<SectionSource>(SECTION_COUNT)
  sections[Section.meta] = bytesSection(encoder.encode(JSON.stringify(meta)))
  sections[Section.terms] = bytesSection(encoder.encode(postings.terms.join(TERM_SEPARATOR)))
  sections[Section.termPostingOffsets] = bytesSection(bytesOf(postings.termPostingOffsets))
  sections[Section.termDocFreq] = bytesSection(bytesOf(postings.termDocFreq))
  sections[Section.termMaxImpact] = bytesSection(postings.termMaxImpact)
  sections[Section.postings] = {
    length: postings.bytes.length,
    write(into) {
      postings.bytes.moveTo(into)
      return undefined
    },
  }
  sections[Section.idOffsets] = bytesSection(bytesOf(Uint32Array.from(s.ids.offsets)))
  sections[Section.ids] = bytesSection(s.ids.data.view())
  sections[Section.titleOffsets] = bytesSection(bytesOf(Uint32Array.from(s.titles.offsets)))
  sections[Section.titles] = bytesSection(s.titles.data.view())
  sections[Section.bodyOffsets] = bytesSection(bytesOf(s.bodyOffsets))
  sections[Section.bodies] = {
    length: s.bodyOffsets[docs.length] ?? 0,
    *write(into) {
      const meter = new StepMeter()
      for (let i = 0; i < docs.length; i++) {
        const doc = docs[i]
        // Its body is in the segment now: the document is garbage.
        docs[i] = null
        if (doc === undefined || doc === null) continue
        const from = s.bodyOffsets[i] ?? 0
        const to = s.bodyOffsets[i + 1] ?? 0
        if (!writeEntry(encoder, doc, into.subarray(from, to))) {
          throw new Error(`the url and body of document ${i} did not take the ${to - from} bytes measured`)
        }
        // A stored document costs about as much as copying its body: count a posting's worth per 64 characters.
        if (meter.add(1 + (doc.body.length >> 6))) yield
      }
    },
  }
  sections[Section.published] = bytesSection(bytesOf(s.published))
  sections[Section.lang] = bytesSection(bytesOf(s.lang))
  sections[Section.source] = bytesSection(bytesOf(s.source))
  sections[Section.author] = bytesSection(bytesOf(s.author))
  sections[Section.tagOffsets] = bytesSection(bytesOf(s.tagOffsets))
  sections[Section.tagValues] = bytesSection(bytesOf(Uint32Array.from(s.tagValues)))
  sections[Section.titleLength] = bytesSection(bytesOf(lengths.titleLength))
  sections[Section.bodyLength] = bytesSection(bytesOf(lengths.bodyLength))
  sections[Section.bodyBlocks] = bytesSection(bytesOf(Uint32Array.from(s.bodyBlocks)))
  return sections
}

/** Values of a facet column, numbered in order of first appearance (a segment's, and an index's: FacetValues). */
export class Dictionary {
  readonly values: string[] = []
  private readonly numbers = new Map<string, number>()

  index(value: string): number {
    let i = this.numbers.get(value)
    if (i === undefined) {
      i = this.values.length
      this.values.push(value)
      this.numbers.set(value, i)
    }
    return i
  }
}

function bytesOf(array: Uint32Array | Float64Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength)
}

function align(offset: number): number {
  return Math.ceil(offset / SECTION_ALIGN) * SECTION_ALIGN
}

/**
 * Step 5: lays out the header, the section table and the aligned sections in one byte array, sized beforehand, and
 * has each section write itself into its place (the bodies in steps, from the documents). The bodies go last: all
 * before them is the segment's head (see FORMAT_VERSION).
 */
function* assemble(sections: readonly SectionSource[]): Generator<void, Uint8Array, void> {
  let offset = align(HEADER_BYTES + SECTION_COUNT * 8)
  const offsets: number[] = []
  const fileOrder = [...sections.keys()].filter((i) => i !== Section.bodies)
  fileOrder.push(Section.bodies)
  for (const i of fileOrder) {
    offsets[i] = offset
    offset = align(offset + (sections[i]?.length ?? 0))
  }
  const out = new Uint8Array(offset)
  const view = new DataView(out.buffer)
  view.setUint32(0, SEGMENT_MAGIC, true)
  view.setUint32(4, FORMAT_VERSION, true)
  view.setUint32(8, SECTION_COUNT, true)
  for (let i = 0; i < sections.length; i++) {
    const section = sections[i]
    if (section === undefined) continue
    const at = offsets[i] ?? 0
    view.setUint32(HEADER_BYTES + i * 8, at, true)
    view.setUint32(HEADER_BYTES + i * 8 + 4, section.length, true)
    const steps = section.write(out.subarray(at, at + section.length))
    if (steps) yield* steps
  }
  return out
}
