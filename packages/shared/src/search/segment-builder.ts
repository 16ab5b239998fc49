import { type Analyzer, DEFAULT_ANALYZER } from './analyzer'
import { type Bm25Params, DEFAULT_BM25, quantizeImpact, termImpact } from './bm25'
import { ByteBuffer, StringColumnWriter } from './byte-buffer'
import { analyzeDoc, type DocTerms, TermPool } from './doc-terms'
import { BitWriter, positionSpan, WINDOW_PADDING, writeTermPostings } from './positions'
import {
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

/** Packs title and body tf of one posting with its doc number into one float64-safe integer. */
const DOC_SHIFT = 65536

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
  private readonly pool = new TermPool()

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
    // document's analysis once inverted, a term's lists once encoded), so a build at the ceiling (MAX_BUILD_BYTES)
    // does not hold its analysis, its inverted lists and its packed postings all at once.
    const docs: (IndexDoc | null)[] = []
    const analysed: (DocTerms | null)[] = []
    for (const entry of this.docs.values()) {
      docs.push(entry.doc)
      analysed.push(entry.analysed)
    }
    this.docs.clear()
    const inverted = yield* invert(analysed)
    const postings = yield* encodePostings(inverted, this.bm25)
    const stored = yield* storeFields(docs)
    const meta: SegmentMeta = {
      analyzer: this.analyzer.id,
      bm25: this.bm25,
      docCount: docs.length,
      termCount: postings.terms.length,
      totalTitleTerms: inverted.totalTitleTerms,
      totalBodyTerms: inverted.totalBodyTerms,
      langs: stored.langs.values,
      sources: stored.sources.values,
      authors: stored.authors.values,
      tags: stored.tags.values,
    }
    return assemble(sectionsOf(meta, postings, stored, inverted))
  }
}

/** Per term, its postings while the segment is built. */
interface TermList {
  /** per document: doc number · DOC_SHIFT + title tf · 256 + body tf */
  docs: number[]
  /** per document: the term's positions in it */
  positions: number[][]
}

/** The documents analysed and inverted: per term its documents with tf and positions; the field lengths. */
interface Inverted {
  terms: Map<string, TermList>
  titleLength: Uint32Array
  bodyLength: Uint32Array
  totalTitleTerms: number
  totalBodyTerms: number
}

/** Counts work done and says when a step's worth is done (then it starts counting again). */
class StepMeter {
  private done = 0

  /** Adds `work` units; true once FINISH_STEP_WORK have been done since the last true. */
  add(work: number): boolean {
    this.done += work
    if (this.done < FINISH_STEP_WORK) return false
    this.done = 0
    return true
  }
}

/** Step 1: invert the analysed documents into per-term lists, letting go of each document's analysis once done. */
function* invert(docs: (DocTerms | null)[]): Generator<void, Inverted, void> {
  const n = docs.length
  const terms = new Map<string, TermList>()
  const titleLength = new Uint32Array(n)
  const bodyLength = new Uint32Array(n)
  let totalTitleTerms = 0
  let totalBodyTerms = 0
  const meter = new StepMeter()
  for (let i = 0; i < n; i++) {
    const analysed = docs[i]
    // Its positions now live in the term lists; its packed analysis is garbage.
    docs[i] = null
    if (analysed === undefined || analysed === null) continue
    titleLength[i] = analysed.titleLength
    bodyLength[i] = analysed.bodyLength
    totalTitleTerms += analysed.titleLength
    totalBodyTerms += analysed.bodyLength
    analysed.terms.forEach((term, t) => {
      let list = terms.get(term)
      if (list === undefined) {
        list = { docs: [], positions: [] }
        terms.set(term, list)
      }
      list.docs.push(i * DOC_SHIFT + analysed.titleTf(t) * 256 + analysed.bodyTf(t))
      list.positions.push(analysed.positionsAt(t))
    })
    if (meter.add(analysed.size)) yield
  }
  return { terms, titleLength, bodyLength, totalTitleTerms, totalBodyTerms }
}

/** The term dictionary and postings as stored. */
interface EncodedPostings {
  terms: string[]
  termPostingOffsets: Uint32Array
  termDocFreq: Uint32Array
  termMaxImpact: Uint8Array
  bytes: Uint8Array
}

/**
 * Step 2: sort the terms and encode each one's postings: its (varint doc gap, impact byte) pairs, then their
 * positions (positions.ts: writeTermPostings). Impacts are BM25F (bm25.ts) against this segment's average lengths.
 * Each term's lists leave `inverted` as they are encoded.
 */
function* encodePostings(inverted: Inverted, bm25: Bm25Params): Generator<void, EncodedPostings, void> {
  const n = inverted.titleLength.length
  const stats = {
    avgTitle: n > 0 ? inverted.totalTitleTerms / n : 0,
    avgBody: n > 0 ? inverted.totalBodyTerms / n : 0,
  }
  const terms = [...inverted.terms.keys()].sort()
  const termPostingOffsets = new Uint32Array(terms.length + 1)
  const termDocFreq = new Uint32Array(terms.length)
  const termMaxImpact = new Uint8Array(terms.length)
  const out = new ByteBuffer(1 << 16)
  const pairs = new ByteBuffer(1 << 12)
  const bits = new BitWriter()
  const meter = new StepMeter()
  for (let t = 0; t < terms.length; t++) {
    const term = terms[t] ?? ''
    const list = inverted.terms.get(term) ?? { docs: [], positions: [] }
    // Encoded below; the lists and their positions are garbage after that.
    inverted.terms.delete(term)
    termDocFreq[t] = list.docs.length
    pairs.length = 0
    const spans: number[] = []
    let previous = -1
    let maxImpact = 0
    for (const packed of list.docs) {
      const doc = Math.floor(packed / DOC_SHIFT)
      const tfTitle = (packed >> 8) & 0xff
      const tfBody = packed & 0xff
      const impact = quantizeImpact(
        termImpact(bm25, stats, tfTitle, tfBody, inverted.titleLength[doc] ?? 0, inverted.bodyLength[doc] ?? 0),
      )
      pairs.varint(doc - previous - 1)
      pairs.byte(impact)
      spans.push(positionSpan(inverted.titleLength[doc] ?? 0, inverted.bodyLength[doc] ?? 0))
      if (impact > maxImpact) maxImpact = impact
      previous = doc
    }
    writeTermPostings(out, pairs.view(), spans, list.positions, bits)
    termMaxImpact[t] = maxImpact
    termPostingOffsets[t + 1] = out.length
    // A term costs a little even with one posting (its dictionary entry, its position block).
    if (meter.add(list.docs.length + 1)) yield
  }
  for (let i = 0; i < WINDOW_PADDING; i++) out.byte(0)
  return { terms, termPostingOffsets, termDocFreq, termMaxImpact, bytes: out.view() }
}

/** The stored fields and facet columns, with the dictionaries the columns number into. */
interface StoredFields {
  ids: StringColumnWriter
  titles: StringColumnWriter
  urls: StringColumnWriter
  bodies: StringColumnWriter
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
 * Step 3: the fields a hit shows, and the facet columns as numbers into their dictionaries; each document is let go
 * once stored (its body is in the column now).
 */
function* storeFields(docs: (IndexDoc | null)[]): Generator<void, StoredFields, void> {
  const n = docs.length
  const s: StoredFields = {
    ids: new StringColumnWriter(),
    titles: new StringColumnWriter(),
    urls: new StringColumnWriter(),
    bodies: new StringColumnWriter(),
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
  for (let i = 0; i < n; i++) {
    const doc = docs[i]
    docs[i] = null
    if (doc === undefined || doc === null) continue
    s.ids.add(doc.id)
    s.titles.add(doc.title)
    s.urls.add(doc.url ?? '')
    s.bodies.add(doc.body)
    s.published[i] = doc.published ?? Number.NaN
    s.lang[i] = s.langs.index(doc.lang)
    s.source[i] = doc.source === null ? 0 : s.sources.index(doc.source) + 1
    s.author[i] = doc.author === null ? 0 : s.authors.index(doc.author) + 1
    for (const tag of new Set(doc.tags)) s.tagValues.push(s.tags.index(tag))
    s.tagOffsets[i + 1] = s.tagValues.length
    // A stored document costs about as much as copying its body: count a posting's worth per 64 characters.
    if (meter.add(1 + (doc.body.length >> 6))) yield
  }
  return s
}

/** Step 4: every section's bytes, in file order. */
function sectionsOf(meta: SegmentMeta, postings: EncodedPostings, s: StoredFields, inverted: Inverted): Uint8Array[] {
  const encoder = new TextEncoder()
  const sections: Uint8Array[] = new Array<Uint8Array>(SECTION_COUNT)
  sections[Section.meta] = encoder.encode(JSON.stringify(meta))
  sections[Section.terms] = encoder.encode(postings.terms.join(TERM_SEPARATOR))
  sections[Section.termPostingOffsets] = bytesOf(postings.termPostingOffsets)
  sections[Section.termDocFreq] = bytesOf(postings.termDocFreq)
  sections[Section.termMaxImpact] = postings.termMaxImpact
  sections[Section.postings] = postings.bytes
  sections[Section.idOffsets] = bytesOf(Uint32Array.from(s.ids.offsets))
  sections[Section.ids] = s.ids.data.view()
  sections[Section.titleOffsets] = bytesOf(Uint32Array.from(s.titles.offsets))
  sections[Section.titles] = s.titles.data.view()
  sections[Section.urlOffsets] = bytesOf(Uint32Array.from(s.urls.offsets))
  sections[Section.urls] = s.urls.data.view()
  sections[Section.bodyOffsets] = bytesOf(Uint32Array.from(s.bodies.offsets))
  sections[Section.bodies] = s.bodies.data.view()
  sections[Section.published] = bytesOf(s.published)
  sections[Section.lang] = bytesOf(s.lang)
  sections[Section.source] = bytesOf(s.source)
  sections[Section.author] = bytesOf(s.author)
  sections[Section.tagOffsets] = bytesOf(s.tagOffsets)
  sections[Section.tagValues] = bytesOf(Uint32Array.from(s.tagValues))
  sections[Section.titleLength] = bytesOf(inverted.titleLength)
  sections[Section.bodyLength] = bytesOf(inverted.bodyLength)
  return sections
}

/** Values of a facet column, numbered in order of first appearance. */
class Dictionary {
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

/** Lays out the header, the section table and the aligned sections in one byte array. */
function assemble(sections: Uint8Array[]): Uint8Array {
  let offset = align(HEADER_BYTES + SECTION_COUNT * 8)
  const offsets: number[] = []
  for (const section of sections) {
    offsets.push(offset)
    offset = align(offset + section.length)
  }
  const out = new Uint8Array(offset)
  const view = new DataView(out.buffer)
  view.setUint32(0, SEGMENT_MAGIC, true)
  view.setUint32(4, FORMAT_VERSION, true)
  view.setUint32(8, SECTION_COUNT, true)
  sections.forEach((section, i) => {
    view.setUint32(HEADER_BYTES + i * 8, offsets[i] ?? 0, true)
    view.setUint32(HEADER_BYTES + i * 8 + 4, section.length, true)
    out.set(section, offsets[i] ?? 0)
  })
  return out
}
