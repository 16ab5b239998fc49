import { type Analyzer, DEFAULT_ANALYZER } from './analyzer'
import { type Bm25Params, DEFAULT_BM25, quantizeImpact, termImpact } from './bm25'
import { ByteBuffer, StringColumnWriter } from './byte-buffer'
import { analyzeDoc } from './doc-terms'
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

/** Collects documents and writes them as one immutable, packed segment (see segment-format.ts). */
export class SegmentBuilder {
  private readonly analyzer: Analyzer
  private readonly bm25: Bm25Params
  /** by id; a later add of the same id replaces the earlier one */
  private readonly docs = new Map<string, IndexDoc>()

  constructor(options: SegmentBuilderOptions = {}) {
    this.analyzer = options.analyzer ?? DEFAULT_ANALYZER
    this.bm25 = options.bm25 ?? DEFAULT_BM25
  }

  /** Adds a document (replacing an earlier one with the same id). */
  add(doc: IndexDoc): void {
    this.docs.delete(doc.id)
    this.docs.set(doc.id, doc)
  }

  /** Number of distinct documents added. */
  get size(): number {
    return this.docs.size
  }

  /** Analyses all documents and returns the segment bytes. */
  finish(): Uint8Array {
    const docs = [...this.docs.values()]
    const n = docs.length
    const postings = new Map<string, number[]>()
    const titleLength = new Uint32Array(n)
    const bodyLength = new Uint32Array(n)
    let totalTitleTerms = 0
    let totalBodyTerms = 0
    for (let i = 0; i < n; i++) {
      const doc = docs[i]
      if (doc === undefined) continue
      const analysed = analyzeDoc(this.analyzer, doc)
      titleLength[i] = analysed.titleLength
      bodyLength[i] = analysed.bodyLength
      totalTitleTerms += analysed.titleLength
      totalBodyTerms += analysed.bodyLength
      for (const [term, [tfTitle, tfBody]] of analysed.tf) {
        const packed = i * DOC_SHIFT + tfTitle * 256 + tfBody
        const list = postings.get(term)
        if (list === undefined) postings.set(term, [packed])
        else list.push(packed)
      }
    }
    const stats = { avgTitle: n > 0 ? totalTitleTerms / n : 0, avgBody: n > 0 ? totalBodyTerms / n : 0 }

    const terms = [...postings.keys()].sort()
    const termPostingOffsets = new Uint32Array(terms.length + 1)
    const termDocFreq = new Uint32Array(terms.length)
    const termMaxImpact = new Uint8Array(terms.length)
    const postingBytes = new ByteBuffer(1 << 16)
    for (let t = 0; t < terms.length; t++) {
      const list = postings.get(terms[t] ?? '') ?? []
      termDocFreq[t] = list.length
      let previous = -1
      let maxImpact = 0
      for (const packed of list) {
        const doc = Math.floor(packed / DOC_SHIFT)
        const tfTitle = (packed >> 8) & 0xff
        const tfBody = packed & 0xff
        const impact = quantizeImpact(
          termImpact(this.bm25, stats, tfTitle, tfBody, titleLength[doc] ?? 0, bodyLength[doc] ?? 0),
        )
        postingBytes.varint(doc - previous - 1)
        postingBytes.byte(impact)
        if (impact > maxImpact) maxImpact = impact
        previous = doc
      }
      termMaxImpact[t] = maxImpact
      termPostingOffsets[t + 1] = postingBytes.length
    }

    const ids = new StringColumnWriter()
    const titles = new StringColumnWriter()
    const urls = new StringColumnWriter()
    const bodies = new StringColumnWriter()
    const published = new Float64Array(n)
    const lang = new Uint32Array(n)
    const source = new Uint32Array(n)
    const author = new Uint32Array(n)
    const tagOffsets = new Uint32Array(n + 1)
    const tagValues: number[] = []
    const langs = new Dictionary()
    const sources = new Dictionary()
    const authors = new Dictionary()
    const tags = new Dictionary()
    for (let i = 0; i < n; i++) {
      const doc = docs[i]
      if (doc === undefined) continue
      ids.add(doc.id)
      titles.add(doc.title)
      urls.add(doc.url ?? '')
      bodies.add(doc.body)
      published[i] = doc.published ?? Number.NaN
      lang[i] = langs.index(doc.lang)
      source[i] = doc.source === null ? 0 : sources.index(doc.source) + 1
      author[i] = doc.author === null ? 0 : authors.index(doc.author) + 1
      for (const tag of new Set(doc.tags)) tagValues.push(tags.index(tag))
      tagOffsets[i + 1] = tagValues.length
    }

    const meta: SegmentMeta = {
      analyzer: this.analyzer.id,
      bm25: this.bm25,
      docCount: n,
      termCount: terms.length,
      totalTitleTerms,
      totalBodyTerms,
      langs: langs.values,
      sources: sources.values,
      authors: authors.values,
      tags: tags.values,
    }
    const encoder = new TextEncoder()
    const sections: Uint8Array[] = new Array<Uint8Array>(SECTION_COUNT)
    sections[Section.meta] = encoder.encode(JSON.stringify(meta))
    sections[Section.terms] = encoder.encode(terms.join(TERM_SEPARATOR))
    sections[Section.termPostingOffsets] = bytesOf(termPostingOffsets)
    sections[Section.termDocFreq] = bytesOf(termDocFreq)
    sections[Section.termMaxImpact] = termMaxImpact
    sections[Section.postings] = postingBytes.view()
    sections[Section.idOffsets] = bytesOf(Uint32Array.from(ids.offsets))
    sections[Section.ids] = ids.data.view()
    sections[Section.titleOffsets] = bytesOf(Uint32Array.from(titles.offsets))
    sections[Section.titles] = titles.data.view()
    sections[Section.urlOffsets] = bytesOf(Uint32Array.from(urls.offsets))
    sections[Section.urls] = urls.data.view()
    sections[Section.bodyOffsets] = bytesOf(Uint32Array.from(bodies.offsets))
    sections[Section.bodies] = bodies.data.view()
    sections[Section.published] = bytesOf(published)
    sections[Section.lang] = bytesOf(lang)
    sections[Section.source] = bytesOf(source)
    sections[Section.author] = bytesOf(author)
    sections[Section.tagOffsets] = bytesOf(tagOffsets)
    sections[Section.tagValues] = bytesOf(Uint32Array.from(tagValues))
    sections[Section.titleLength] = bytesOf(titleLength)
    sections[Section.bodyLength] = bytesOf(bodyLength)
    return assemble(sections)
  }
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
