/**
 * What one query may cost, set by the server and not by the client: longer input is cut, more terms are dropped,
 * fuzzy and prefix expansion are bounded.
 */
export const QUERY_LIMITS = {
  /** Longest query text (contract: the worker answers 400 above it; the engine cuts, to be safe). */
  maxQueryChars: 256,
  /** Largest page. */
  maxLimit: 100,
  /** Deepest offset: deep paging costs a selection of offset + limit. */
  maxOffset: 10_000,
  /** Most distinct query terms scored; the rest are ignored. */
  maxTerms: 64,
  /** Most phrases, and most exclusions, one query checks; the rest are ignored. */
  maxPhrases: 16,
  /** Most dictionary terms one query word may expand into (fuzzy and prefix each). */
  maxExpansionsPerTerm: 16,
  /** Shortest word that gets typo tolerance (edit distance 1). */
  minFuzzyChars: 4,
  /** Shortest word that gets edit distance 2. */
  minFuzzy2Chars: 8,
  /** Largest edit distance ever used. */
  maxEditDistance: 2,
  /** Shortest last word completed as a prefix. */
  minPrefixChars: 3,
  /** Most facet values returned per field. */
  maxFacetValues: 20,
  /** Most suggestions. */
  maxSuggestions: 20,
} as const

/** The cost limits a live index enforces; a server may set its own. */
export type QueryLimits = { -readonly [K in keyof typeof QUERY_LIMITS]: number }

/** Defaults of the optional query switches, the same for the API and the relevance evaluation. */
export const DEFAULT_QUERY_OPTIONS = {
  fuzzy: true,
  prefix: true,
} as const
