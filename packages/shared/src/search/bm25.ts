/**
 * BM25F over two fields. Term frequencies are length-normalised per field, weighted, summed, then saturated once
 * (Robertson & Zaragoza, "The Probabilistic Relevance Framework: BM25 and Beyond", 2009, §3.2), so a word in the
 * title and the body counts more than in one, but never more than the saturation allows.
 */
export interface Bm25Params {
  /** saturation: how fast extra occurrences stop adding */
  k1: number
  /** length normalisation of the title (0 = none, 1 = full) */
  bTitle: number
  /** length normalisation of the body */
  bBody: number
  /** weight of an occurrence in the title relative to one in the body */
  titleWeight: number
  bodyWeight: number
}

/** Chosen on CISI/Cranfield/cjk-dev as a whole, near the textbook values (see DESIGN.md). */
export const DEFAULT_BM25: Bm25Params = {
  k1: 1.2,
  bTitle: 0.5,
  bBody: 0.75,
  titleWeight: 3,
  bodyWeight: 1,
}

/** Impacts are stored as one byte: 1..255 stands for (0, 1]. */
export const IMPACT_SCALE = 255

/** Average field lengths (in terms) of the collection the impacts are computed against. */
export interface FieldStats {
  avgTitle: number
  avgBody: number
}

/** The saturated, length-normalised term weight of one term in one document, in [0, 1). */
export function termImpact(
  p: Bm25Params,
  stats: FieldStats,
  tfTitle: number,
  tfBody: number,
  titleLen: number,
  bodyLen: number,
): number {
  const normTitle = 1 - p.bTitle + (p.bTitle * titleLen) / Math.max(stats.avgTitle, 1)
  const normBody = 1 - p.bBody + (p.bBody * bodyLen) / Math.max(stats.avgBody, 1)
  const tf = (p.titleWeight * tfTitle) / normTitle + (p.bodyWeight * tfBody) / normBody
  return tf / (p.k1 + tf)
}

/** `termImpact` quantised to a byte (never 0, so a stored posting always scores). */
export function quantizeImpact(impact: number): number {
  return Math.min(IMPACT_SCALE, Math.max(1, Math.round(impact * IMPACT_SCALE)))
}

/** Robertson–Spärck Jones IDF, kept positive for terms in more than half of the documents. */
export function idf(docCount: number, docFreq: number): number {
  return Math.log(1 + (docCount - docFreq + 0.5) / (docFreq + 0.5))
}
