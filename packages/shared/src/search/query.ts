import type { Analyzer, TokenSpan } from './analyzer'
import { QUERY_LIMITS, type QueryLimits } from './limits'
import type { Phrase, PhraseSlot } from './positions'
import { parseQuerySyntax } from './query-syntax'

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

/** The analysed query: what to score, what must and must not match, and which terms to highlight. */
export interface ParsedQuery {
  terms: WeightedTerm[]
  /** phrases every match must contain (a one-word phrase: the word, exact) */
  phrases: Phrase[]
  /** words and phrases no match may contain */
  excluded: Phrase[]
  /** the query's words as spelled (each with the terms it analyses to), for proximity scoring */
  words: string[][]
  /** nothing asked, only excluded: every document without the exclusions matches, as for the empty query */
  listsAll: boolean
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
  const syntax = parseQuerySyntax(q.slice(0, limits.maxQueryChars))
  const text = syntax.words
  const spans = analyzer.spans(text)
  const phrases = syntax.phrases.slice(0, limits.maxPhrases).map((p) => toPhrase(p, analyzer))
  const excluded = syntax.excluded.slice(0, limits.maxPhrases).map((p) => toPhrase(p, analyzer))
  const counts = countTerms(spans, phrases, limits.maxTerms)
  const weights = new TermWeights()
  for (const [term, count] of counts) weights.put(term, count, true)
  const neighbours = options.fuzzy ? expandTypos(counts, spans, source, limits, weights) : new Map<string, string[]>()
  const last = completeLastWord(spans, text, neighbours, source, options, limits, weights)
  return {
    terms: weights.list(),
    phrases: phrases.filter((p) => p.slots.length > 0),
    excluded: excluded.filter((p) => p.slots.length > 0),
    words: queryWords([...wordsOf(spans), ...phrases.flatMap((p) => p.slots)]),
    listsAll: !syntax.positive,
    ...last,
  }
}

/**
 * How often the query names each term, its first `maxTerms` distinct terms only. Phrase words are scored like the
 * other words (and count as often as they are written), but never expanded.
 */
function countTerms(spans: readonly TokenSpan[], phrases: readonly Phrase[], maxTerms: number): Map<string, number> {
  const counts = new Map<string, number>()
  const count = (term: string): void => {
    if (counts.size >= maxTerms && !counts.has(term)) return
    counts.set(term, (counts.get(term) ?? 0) + 1)
  }
  for (const span of spans) for (const term of span.terms) count(term)
  for (const phrase of phrases) for (const slot of phrase.slots) for (const term of slot.terms) count(term)
  return counts
}

/** The terms a query scores, each with its highest weight and whether the query names it as written. */
class TermWeights {
  readonly #byTerm = new Map<string, WeightedTerm>()

  put(term: string, weight: number, exact: boolean): void {
    const old = this.#byTerm.get(term)
    if (old === undefined || old.weight < weight)
      this.#byTerm.set(term, { term, weight, exact: exact || old?.exact === true })
  }

  get(term: string): WeightedTerm | undefined {
    return this.#byTerm.get(term)
  }

  list(): WeightedTerm[] {
    return [...this.#byTerm.values()]
  }
}

/**
 * Adds the typo neighbours of the query's rare words (not phrase words, digits or short words), nearest and most
 * frequent first, weighted down by distance; returns each expanded term's neighbours.
 */
function expandTypos(
  counts: ReadonlyMap<string, number>,
  spans: readonly TokenSpan[],
  source: TermSource,
  limits: QueryLimits,
  weights: TermWeights,
): Map<string, string[]> {
  const expandable = new Set<string>()
  for (const span of spans) for (const term of span.terms) expandable.add(term)
  const neighbours = new Map<string, string[]>()
  const rare = source.docCount() * FUZZY_MAX_DOC_SHARE
  for (const [term, count] of counts) {
    const chars = [...term].length
    if (!expandable.has(term)) continue
    if (chars < limits.minFuzzyChars || /^\d+$/.test(term) || source.docFreq(term) > rare) continue
    const distance = chars >= limits.minFuzzy2Chars ? limits.maxEditDistance : 1
    const candidates = [...source.fuzzy(term, distance)]
      .filter(([candidate]) => !counts.has(candidate))
      .map(([candidate, d]) => ({ candidate, d, df: source.docFreq(candidate) }))
      .sort((a, b) => a.d - b.d || b.df - a.df)
      .slice(0, limits.maxExpansionsPerTerm)
    for (const { candidate, d } of candidates) weights.put(candidate, count * FUZZY_WEIGHT ** d, false)
    neighbours.set(
      term,
      candidates.map((c) => c.candidate),
    )
  }
  return neighbours
}

/**
 * The last word, when the query does not end in a space: its terms and typo neighbours (for suggestions), and, with
 * `prefix`, its completions, added at PREFIX_WEIGHT. While typing, the word as written weighs no more than a
 * completion.
 */
function completeLastWord(
  spans: readonly TokenSpan[],
  text: string,
  neighbours: ReadonlyMap<string, string[]>,
  source: TermSource,
  options: QueryOptions,
  limits: QueryLimits,
  weights: TermWeights,
): Pick<ParsedQuery, 'lastWordTerms' | 'completions' | 'neighbours'> {
  const lastWordTerms = new Set<string>()
  const completions = new Set<string>()
  const lastNeighbours = new Set<string>()
  const last = spans[spans.length - 1]
  // A query ending in a space has a finished last word: nothing to complete.
  if (last === undefined || last.end !== text.length) {
    return { lastWordTerms, completions, neighbours: lastNeighbours }
  }
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
        weights.put(candidate, PREFIX_WEIGHT * (term.length / candidate.length), false)
      }
    }
  }
  return { lastWordTerms, completions, neighbours: lastNeighbours }
}

/**
 * The words of an analysed text, one slot per position: the terms of its widest token there (a compound's joined
 * form, not its parts; a Korean word with its stem), offsets counted from the first word.
 */
function wordsOf(spans: readonly TokenSpan[]): PhraseSlot[] {
  const widest = new Map<number, TokenSpan>()
  for (const span of spans) {
    const old = widest.get(span.position)
    if (old === undefined || span.end - span.start > old.end - old.start) widest.set(span.position, span)
  }
  const first = spans[0]?.position ?? 0
  return [...widest.values()]
    .sort((a, b) => a.position - b.position)
    .map((span) => ({ offset: span.position - first, terms: [...span.terms] }))
}

/** A phrase as typed, analysed into slots; stop words drop out but keep their place. */
function toPhrase(text: string, analyzer: Analyzer): Phrase {
  return { text, slots: wordsOf(analyzer.spans(text)) }
}

/** Distinct query words (by their terms), for proximity. */
function queryWords(slots: readonly PhraseSlot[]): string[][] {
  const seen = new Map<string, string[]>()
  for (const slot of slots) {
    const key = slot.terms.join('\u0000')
    if (!seen.has(key)) seen.set(key, slot.terms)
  }
  return [...seen.values()]
}
