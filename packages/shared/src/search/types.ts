/** One document as the index sees it (the worker maps a normalized Article onto this). */
export interface IndexDoc {
  id: string
  title: string
  body: string
  url: string | null
  source: string | null
  author: string | null
  lang: string
  tags: string[]
  /** epoch milliseconds */
  published: number | null
}

/** Facet fields a query may ask counts for. */
export type FacetField = 'source' | 'author' | 'lang' | 'tags'

/** What a search asks; the worker validates it and the engine clamps it again to `QUERY_LIMITS`. */
export interface SearchParams {
  q: string
  limit: number
  offset: number
  /** `relevance` with an empty `q` lists newest first. */
  sort: 'relevance' | 'newest' | 'oldest'
  source?: string[]
  author?: string[]
  lang?: string[]
  tag?: string[]
  /** epoch ms, inclusive */
  from?: number
  /** epoch ms, inclusive */
  to?: number
  facets?: FacetField[]
  /** typo tolerance; default `DEFAULT_QUERY_OPTIONS.fuzzy` */
  fuzzy?: boolean
  /** completes the last word of the query; default `DEFAULT_QUERY_OPTIONS.prefix` */
  prefix?: boolean
}

export interface SearchHit {
  id: string
  url: string | null
  title: string
  source: string | null
  author: string | null
  /** ISO-8601 */
  published: string | null
  lang: string
  tags: string[]
  score: number
  /** HTML-escaped body passage with matches in `<mark>` */
  snippet: string
}

export interface FacetCount {
  value: string
  count: number
}

export interface SearchResult {
  total: number
  hits: SearchHit[]
  facets?: Partial<Record<FacetField, FacetCount[]>>
}

export interface Suggestion {
  text: string
  score: number
}
