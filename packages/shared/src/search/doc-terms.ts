import type { Analyzer } from './analyzer'
import type { IndexDoc } from './types'

/** Term frequencies are capped: BM25 saturates long before, and a byte each keeps postings small. */
export const MAX_TF = 255

/** The analysed fields of one document: per term its title and body frequency, and the field lengths. */
export interface DocTerms {
  /** term → [title tf, body tf] */
  tf: Map<string, [number, number]>
  titleLength: number
  bodyLength: number
}

/** Analyses the indexed fields (title and body) of a document. */
export function analyzeDoc(analyzer: Analyzer, doc: IndexDoc): DocTerms {
  const tf = new Map<string, [number, number]>()
  let titleLength = 0
  let bodyLength = 0
  analyzer.scan(doc.title, (term) => {
    titleLength++
    const entry = tf.get(term)
    if (entry === undefined) tf.set(term, [1, 0])
    else entry[0] = Math.min(MAX_TF, entry[0] + 1)
  })
  analyzer.scan(doc.body, (term) => {
    bodyLength++
    const entry = tf.get(term)
    if (entry === undefined) tf.set(term, [0, 1])
    else entry[1] = Math.min(MAX_TF, entry[1] + 1)
  })
  return { tf, titleLength, bodyLength }
}
