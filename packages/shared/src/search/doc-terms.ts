import type { Analyzer } from './analyzer'
import { indexOfSorted } from './fuzzy'
import type { IndexDoc } from './types'

/** Term frequencies are capped: BM25 saturates long before, and a byte each keeps postings small. */
export const MAX_TF = 255

/**
 * Body positions start this many positions after the title's last word, so no phrase and no proximity window
 * joins the end of a title to the start of its body.
 */
export const FIELD_POSITION_GAP = 8

/**
 * One spelling per term across many documents: analysis makes a new string for every occurrence, and a document
 * that keeps its own copies holds about 100 of them. The memtable and the segment builder each keep one pool.
 */
export class TermPool {
  private readonly terms = new Map<string, string>()

  /** The pool's copy of `term` (added if new). */
  intern(term: string): string {
    const known = this.terms.get(term)
    if (known !== undefined) return known
    this.terms.set(term, term)
    return term
  }

  get size(): number {
    return this.terms.size
  }
}

/**
 * The analysed fields of one document: its distinct terms, sorted, each with its title and body frequency and its
 * positions (title first, body after FIELD_POSITION_GAP; see `TermSink`).
 *
 * Packed in one Uint32Array because the memtable keeps one per recent document and the segment builder one per
 * document it will pack: two Maps of small arrays cost 13.2 KiB per Reuters article in the builder and 14.3 KiB in the
 * memtable (V8 heap and ArrayBuffers, measured in Node over 20,000 articles); packed, 2.0 and 3.1 KiB.
 */
export class DocTerms {
  /**
   * `[tf of term 0 … n−1 | starts 0 … n | positions]`: a tf word is title tf << 8 | body tf; term i's positions are
   * `positions[starts[i]] … positions[starts[i + 1] − 1]`, ascending.
   */
  private readonly data: Uint32Array

  constructor(
    /** distinct terms in code-unit order (segments' order) */
    readonly terms: readonly string[],
    data: Uint32Array,
    readonly titleLength: number,
    readonly bodyLength: number,
  ) {
    this.data = data
  }

  /** Number of distinct terms. */
  get size(): number {
    return this.terms.length
  }

  /** Index of `term` in `terms`, or −1 (binary search). */
  indexOf(term: string): number {
    return indexOfSorted(this.terms, term)
  }

  titleTf(i: number): number {
    return (this.data[i] ?? 0) >>> 8
  }

  bodyTf(i: number): number {
    return (this.data[i] ?? 0) & 0xff
  }

  /** The positions of term `i`, as a new array. */
  positionsAt(i: number): number[] {
    return Array.from(this.positionsView(i))
  }

  /**
   * The positions of term `i` as a view of this document's packed array, without a copy (the segment builder reads
   * them as it encodes each term; copies of every document's positions, at once, were most of a build's heap).
   */
  positionsView(i: number): Uint32Array {
    const n = this.terms.length
    const base = 2 * n + 1
    return this.data.subarray(base + (this.data[n + i] ?? 0), base + (this.data[n + i + 1] ?? 0))
  }

  /** The positions of `term`, or undefined when the document lacks it. */
  positionsOf(term: string): number[] | undefined {
    const i = this.indexOf(term)
    return i < 0 ? undefined : this.positionsAt(i)
  }
}

/** Analyses the indexed fields (title and body) of a document; `pool`, when given, spells its terms. */
export function analyzeDoc(analyzer: Analyzer, doc: IndexDoc, pool?: TermPool): DocTerms {
  // First-seen slots while scanning; packed in term order at the end.
  const slotOf = new Map<string, number>()
  const terms: string[] = []
  const tf: number[] = []
  const positions: number[][] = []
  let titleLength = 0
  let bodyLength = 0
  let positionCount = 0
  const count = (term: string, position: number, inTitle: boolean): void => {
    let slot = slotOf.get(term)
    if (slot === undefined) {
      slot = terms.length
      slotOf.set(term, slot)
      terms.push(term)
      tf.push(0)
      positions.push([position])
      positionCount++
    } else {
      const list = positions[slot] as number[]
      // A compound's parts may repeat a term at one position (co-co → coco, co, co): one position is enough.
      if (list[list.length - 1] !== position) {
        list.push(position)
        positionCount++
      }
    }
    const word = tf[slot] ?? 0
    const title = word >>> 8
    const body = word & 0xff
    tf[slot] = inTitle ? (Math.min(MAX_TF, title + 1) << 8) | body : (title << 8) | Math.min(MAX_TF, body + 1)
  }
  const titleEnd = analyzer.scan(doc.title, (term, _start, _end, position) => {
    titleLength++
    count(term, position, true)
  })
  const bodyStart = titleEnd === 0 ? 0 : titleEnd + FIELD_POSITION_GAP
  analyzer.scan(
    doc.body,
    (term, _start, _end, position) => {
      bodyLength++
      count(term, position, false)
    },
    undefined,
    bodyStart,
  )
  const n = terms.length
  // The default sort compares strings by code units, the segments' order, and runs faster than any comparator.
  const sorted = terms.slice().sort()
  const data = new Uint32Array(2 * n + 1 + positionCount)
  let at = 0
  for (let i = 0; i < n; i++) {
    const term = sorted[i] as string
    const slot = slotOf.get(term) as number
    if (pool !== undefined) sorted[i] = pool.intern(term)
    data[i] = tf[slot] ?? 0
    data[n + i] = at
    for (const p of positions[slot] as number[]) data[2 * n + 1 + at++] = p
  }
  data[2 * n] = at
  return new DocTerms(sorted, data, titleLength, bodyLength)
}
