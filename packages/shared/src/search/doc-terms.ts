import type { Analyzer } from './analyzer'
import type { IndexDoc } from './types'

/** Term frequencies are capped: BM25 saturates long before, and a byte each keeps postings small. */
export const MAX_TF = 255

/**
 * Body positions start this many positions after the title's last word, so no phrase and no proximity window
 * joins the end of a title to the start of its body.
 */
export const FIELD_POSITION_GAP = 8

/** The analysed fields of one document: per term its title and body frequency, its positions, the field lengths. */
export interface DocTerms {
  /** term → [title tf, body tf] */
  tf: Map<string, [number, number]>
  /** term → word positions, ascending (title first, body after FIELD_POSITION_GAP); see `TermSink` */
  positions: Map<string, number[]>
  titleLength: number
  bodyLength: number
}

/** Analyses the indexed fields (title and body) of a document. */
export function analyzeDoc(analyzer: Analyzer, doc: IndexDoc): DocTerms {
  const tf = new Map<string, [number, number]>()
  const positions = new Map<string, number[]>()
  let titleLength = 0
  let bodyLength = 0
  const place = (term: string, position: number): void => {
    const list = positions.get(term)
    if (list === undefined) positions.set(term, [position])
    // A compound's parts may repeat a term at one position (co-co → coco, co, co): one position is enough.
    else if (list[list.length - 1] !== position) list.push(position)
  }
  const titleEnd = analyzer.scan(doc.title, (term, _start, _end, position) => {
    titleLength++
    place(term, position)
    const entry = tf.get(term)
    if (entry === undefined) tf.set(term, [1, 0])
    else entry[0] = Math.min(MAX_TF, entry[0] + 1)
  })
  const bodyStart = titleEnd === 0 ? 0 : titleEnd + FIELD_POSITION_GAP
  analyzer.scan(
    doc.body,
    (term, _start, _end, position) => {
      bodyLength++
      place(term, position)
      const entry = tf.get(term)
      if (entry === undefined) tf.set(term, [0, 1])
      else entry[1] = Math.min(MAX_TF, entry[1] + 1)
    },
    undefined,
    bodyStart,
  )
  return { tf, positions, titleLength, bodyLength }
}
