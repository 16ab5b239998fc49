import type { Analyzer } from './analyzer'
import { QUERY_LIMITS, type QueryLimits } from './limits'

/** Weight of a dictionary term one edit away from a query word, relative to the word itself; squared for two. */
export const FUZZY_WEIGHT = 0.3
/**
 * A query word gets typo expansion only when the index barely knows it (in at most this share of the documents):
 * a misspelling is rare, while a common word spelled right gains only noise from its neighbours (MiniSearch's
 * blanket fuzzy loses nDCG on CISI and Cranfield; see the corpus README), and the walk costs time.
 */
export const FUZZY_MAX_DOC_SHARE = 1 / 2000

/**
 * The last word is completed only while it is not yet a common word by itself (in at most this share of the
 * documents): "coff" is completed, "oil" is not (its completions would only add cost and noise).
 */
export const PREFIX_MAX_DOC_SHARE = 1 / 100

/** Weight of a completion of the last query word, times the typed share of the completion. */
export const PREFIX_WEIGHT = 0.5

/** One term the evaluator scores, with its weight (query term frequency times expansion penalty). */
export interface WeightedTerm {
  term: string
  weight: number
  /** true for a term the query spelled (not a fuzzy or prefix expansion) */
  exact: boolean
}

/** Where query words find the dictionary terms they may expand into (implemented by the live index). */
export interface TermSource {
  /** dictionary terms within `distance` edits, with their distance (the term itself excluded) */
  fuzzy(term: string, distance: number): Map<string, number>
  /** dictionary terms that start with `prefix` (the prefix itself excluded) */
  completions(prefix: string, limit: number): string[]
  /** documents containing the term, for choosing among expansions */
  docFreq(term: string): number
  /** documents in the index */
  docCount(): number
}

/** How a query is expanded. */
export interface QueryOptions {
  fuzzy: boolean
  prefix: boolean
  /**
   * The last word is still being typed (suggestions): it is completed from SUGGEST_MIN_PREFIX_CHARS, even when it
   * is a common word, and its exact form weighs no more than a completion, so "oil pri" leans to "prices".
   */
  typing?: boolean
}

const WIDE_SCRIPT_RE = /[\p{Script=Hangul}\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u

/** Shortest last word completed while typing (Latin letters; a Hangul or Han character counts two). */
export const SUGGEST_MIN_PREFIX_CHARS = 2

/** The analysed query: what to score, and which terms to highlight. */
export interface ParsedQuery {
  terms: WeightedTerm[]
  /** terms produced by the last word (completed as a prefix), for suggestions */
  lastWordTerms: Set<string>
  /** the last word's completions, for suggestions */
  completions: Set<string>
  /** the last word's typo neighbours, for suggestions */
  neighbours: Set<string>
}

/** Analyses the query with the index's analyzer and adds bounded fuzzy and prefix expansions. */
export function parseQuery(
  q: string,
  analyzer: Analyzer,
  source: TermSource,
  options: QueryOptions,
  limits: QueryLimits = QUERY_LIMITS,
): ParsedQuery {
  const text = q.slice(0, limits.maxQueryChars)
  const spans = analyzer.spans(text)
  const counts = new Map<string, number>()
  for (const span of spans) {
    for (const term of span.terms) {
      if (counts.size >= limits.maxTerms && !counts.has(term)) continue
      counts.set(term, (counts.get(term) ?? 0) + 1)
    }
  }
  const weights = new Map<string, WeightedTerm>()
  const put = (term: string, weight: number, exact: boolean): void => {
    const old = weights.get(term)
    if (old === undefined || old.weight < weight)
      weights.set(term, { term, weight, exact: exact || old?.exact === true })
  }
  for (const [term, count] of counts) put(term, count, true)

  const neighbours = new Map<string, string[]>()
  if (options.fuzzy) {
    const rare = source.docCount() * FUZZY_MAX_DOC_SHARE
    for (const [term, count] of counts) {
      const chars = [...term].length
      if (chars < limits.minFuzzyChars || /^\d+$/.test(term) || source.docFreq(term) > rare) continue
      const distance = chars >= limits.minFuzzy2Chars ? limits.maxEditDistance : 1
      const candidates = [...source.fuzzy(term, distance)]
        .filter(([candidate]) => !counts.has(candidate))
        .map(([candidate, d]) => ({ candidate, d, df: source.docFreq(candidate) }))
        .sort((a, b) => a.d - b.d || b.df - a.df)
        .slice(0, limits.maxExpansionsPerTerm)
      for (const { candidate, d } of candidates) put(candidate, count * FUZZY_WEIGHT ** d, false)
      neighbours.set(
        term,
        candidates.map((c) => c.candidate),
      )
    }
  }

  const lastWordTerms = new Set<string>()
  const completions = new Set<string>()
  const lastNeighbours = new Set<string>()
  const last = spans[spans.length - 1]
  // A query ending in a space has a finished last word: nothing to complete.
  if (last !== undefined && last.end === text.length) {
    for (const term of last.terms) {
      lastWordTerms.add(term)
      for (const n of neighbours.get(term) ?? []) lastNeighbours.add(n)
      if (options.typing === true) {
        const w = weights.get(term)
        if (w !== undefined) w.weight = Math.min(w.weight, PREFIX_WEIGHT)
      }
    }
    // While typing, a Hangul syllable or a Han/kana character says about as much as two Latin letters (일본 방 →
    // 방류). Search itself does not complete two-syllable words: they are usually whole words (measured: ko nDCG
    // 0.960 → 0.950 when it did).
    const surface = text.slice(last.start, last.end)
    const surfaceChars = surface.length * (options.typing === true && WIDE_SCRIPT_RE.test(surface) ? 2 : 1)
    const minChars = options.typing === true ? SUGGEST_MIN_PREFIX_CHARS : limits.minPrefixChars
    if (options.prefix && surfaceChars >= minChars) {
      const common = options.typing === true ? Number.POSITIVE_INFINITY : source.docCount() * PREFIX_MAX_DOC_SHARE
      for (const term of last.terms) {
        if (source.docFreq(term) > common) continue
        const candidates = source
          .completions(term, limits.maxExpansionsPerTerm * 8)
          .map((candidate) => ({ candidate, df: source.docFreq(candidate) }))
          .sort((a, b) => b.df - a.df)
          .slice(0, limits.maxExpansionsPerTerm)
        for (const { candidate } of candidates) {
          completions.add(candidate)
          put(candidate, PREFIX_WEIGHT * (term.length / candidate.length), false)
        }
      }
    }
  }
  return { terms: [...weights.values()], lastWordTerms, completions, neighbours: lastNeighbours }
}
