import { type Analyzer, SHARED_PREFIX_CHARS, type SpanFilter, type TokenSpan, tokenAt } from './analyzer'
import type { Phrase } from './positions'

/** Target length of a snippet, in characters of body text. */
export const SNIPPET_CHARS = 180
/** Characters of context kept before the first match in the passage. */
export const SNIPPET_LEAD_CHARS = 40
/** Only this much of a long body is analysed for the best passage (cost bound per hit). */
export const SNIPPET_SCAN_CHARS = 20_000

const CJK_TERM_RE = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u
const WORD_CHAR_RE = /[\p{L}\p{N}\p{M}]/u
const ASCII_TERM_RE = /^[a-z0-9]+$/
const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }
/** What `show` replaces: a character to escape, or a whitespace run other than one plain space. */
const SHOW_RE = /[&<>"']|\s{2,}|[^\S ]/g
const SPACE_RE = /\s/

/** Display form of a body passage: whitespace runs (newlines, tabs) become one space, and the text is escaped. */
function show(text: string): string {
  return text.replace(SHOW_RE, (c) => ESCAPES[c] ?? ' ')
}

interface Range {
  start: number
  end: number
  weight: number
  /** the query terms inside, by number (QueryTerms) */
  terms: number[]
}

/**
 * The query's terms, numbered: ranges name their terms by number, so that the window counts the distinct terms it
 * holds with one mark per term rather than a Map per position.
 */
class QueryTerms {
  readonly numbers = new Map<string, number>()
  readonly weights: number[] = []

  constructor(termWeights: ReadonlyMap<string, number>) {
    for (const [term, weight] of termWeights) {
      this.numbers.set(term, this.weights.length)
      this.weights.push(weight)
    }
  }

  /** The range of a span: its query terms and the highest weight among them; null if it holds none. */
  range(span: TokenSpan): Range | null {
    let terms: number[] | null = null
    let weight = 0
    for (const term of span.terms) {
      const n = this.numbers.get(term)
      if (n === undefined) continue
      terms ??= []
      terms.push(n)
      weight = Math.max(weight, this.weights[n] ?? 0)
    }
    return terms === null || !(weight > 0) ? null : { start: span.start, end: span.end, weight, terms }
  }

  /** The ranges of the spans that hold a query term, in their order. */
  ranges(spans: readonly TokenSpan[]): Range[] {
    const out: Range[] = []
    for (const span of spans) {
      const r = this.range(span)
      if (r !== null) out.push(r)
    }
    return out
  }
}

/** Where the query's words are in a text: their ranges, not yet merged. */
type MatchFinder = (text: string) => Range[]

/**
 * A short passage of `body` around the densest cluster of query terms, HTML-escaped, with matches in `<mark>`;
 * the start of the body when nothing matches.
 */
export function makeSnippet(body: string, termWeights: ReadonlyMap<string, number>, analyzer: Analyzer): string {
  return snippetMaker(termWeights, analyzer)(body)
}

/**
 * `makeSnippet` for many bodies and one query: the term lookup is prepared once. With phrases of two or more words,
 * each occurrence is marked as a whole (stop words inside it too), which needs word positions: the scanned text is
 * then analysed in full rather than only its candidate words. `scan: 'full'` analyses it in full in any case: the
 * straightforward path, which the candidate scan must agree with (snippet.test.ts).
 */
export function snippetMaker(
  termWeights: ReadonlyMap<string, number>,
  analyzer: Analyzer,
  phrases: readonly Phrase[] = [],
  scan: 'candidates' | 'full' = 'candidates',
): (body: string) => string {
  const terms = new QueryTerms(termWeights)
  const multiWord = phrases.filter((p) => p.slots.length > 1)
  const find: MatchFinder =
    multiWord.length > 0 || scan === 'full'
      ? (text) => {
          const spans = analyzer.spans(text)
          return [...terms.ranges(spans), ...phraseRanges(spans, multiWord, terms)]
        }
      : candidateFinder(terms, analyzer)
  return (body) => snippetOf(body, terms, find)
}

function snippetOf(body: string, terms: QueryTerms, find: MatchFinder): string {
  if (body.length === 0) return ''
  const scanned = body.length > SNIPPET_SCAN_CHARS ? body.slice(0, SNIPPET_SCAN_CHARS) : body
  const matches = mergeRanges(find(scanned))
  if (matches.length === 0) return passage(body, 0, [])

  // Slide a window of SNIPPET_CHARS over the matches; score = weight of the distinct terms inside, added in the order
  // they first appear in it. A term counts once per window: `seenIn[term]` is the window that last counted it.
  const weights = terms.weights
  const seenIn = new Int32Array(weights.length).fill(-1)
  let best = 0
  let bestScore = -1
  let j = 0
  for (let i = 0; i < matches.length; i++) {
    const first = matches[i]
    if (first === undefined) continue
    if (j < i) j = i
    while (j + 1 < matches.length && (matches[j + 1]?.end ?? 0) - first.start <= SNIPPET_CHARS - SNIPPET_LEAD_CHARS) j++
    let score = 0
    for (let k = i; k <= j; k++) {
      for (const t of matches[k]?.terms ?? []) {
        if (seenIn[t] === i) continue
        seenIn[t] = i
        score += weights[t] ?? 0
      }
    }
    if (score > bestScore + 1e-9) {
      bestScore = score
      best = i
    }
  }
  const anchor = matches[best]?.start ?? 0
  let start = Math.max(0, anchor - SNIPPET_LEAD_CHARS)
  if (start > 0) {
    // Begin at a word boundary, never inside the first match.
    const space = body.slice(start, anchor).search(/\s/)
    start = space < 0 ? anchor : start + space + 1
  }
  return passage(body, start, matches)
}

/**
 * Finds the words of a text that hold a query term. Without Japanese/Chinese terms, one plain regex finds the words
 * that begin like a term (its first SHARED_PREFIX_CHARS letters) and only those are analysed: a fraction of the cost
 * of analysing the whole body. (Three letters found a quarter as many candidates on Reuters, but missed flying → fli,
 * co-founder → cofounder, and accents outside Latin.)
 */
function candidateFinder(terms: QueryTerms, analyzer: Analyzer): MatchFinder {
  const list = [...terms.numbers.keys()]
  const prefixes = [...new Set(list.map((t) => [...t].slice(0, SHARED_PREFIX_CHARS).join('')))]
  if (prefixes.length === 0) return () => []
  if (list.some((t) => CJK_TERM_RE.test(t))) {
    const filter: SpanFilter = {
      cjkNeedles: list.filter((t) => CJK_TERM_RE.test(t)),
      asciiPrefixes: new Set(prefixes.filter((p) => ASCII_TERM_RE.test(p))),
    }
    return (text) => terms.ranges(analyzer.spans(text, filter))
  }
  // No `u` flag and no lookbehind: this regex is new for every query, and those make compiling it cost more than
  // running it. The word-start check is done by hand.
  const starts = new RegExp(prefixes.map(prefixPattern).join('|'), 'gi')
  // The hits of one query share most of their words (the, said, company…): each word's ranges are found once, from
  // spans the analyser keeps across queries. Most candidates hold no query term (an empty list).
  const byToken = new Map<string, Range[]>()
  return (text) => {
    const out: Range[] = []
    starts.lastIndex = 0
    for (let m = starts.exec(text); m !== null; m = starts.exec(text)) {
      const at = m.index
      if (at > 0 && isWordChar(text, at - 1)) {
        starts.lastIndex = at + 1
        continue
      }
      const token = tokenAt(text, at)
      if (token === null) {
        starts.lastIndex = at + 1
        continue
      }
      let ranges = byToken.get(token)
      if (ranges === undefined) {
        ranges = terms.ranges(analyzer.tokenSpans(token))
        byToken.set(token, ranges)
      }
      for (const r of ranges) out.push({ start: r.start + at, end: r.end + at, weight: r.weight, terms: r.terms })
      starts.lastIndex = at + token.length
    }
    return out
  }
}

/** Whether the code unit at `i` is part of a word (letter, digit or mark); ASCII without a regex. */
function isWordChar(text: string, i: number): boolean {
  const c = text.charCodeAt(i)
  if (c < 0x80) return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x7a)
  return WORD_CHAR_RE.test(text.charAt(i))
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/**
 * A term's prefix as the body may write it: each Latin letter after the first also as any accented Latin letter
 * (À–ɏ), since terms are folded (Zürich → zurich) and the body is not; what that lets through, the analyser still
 * checks. The first letter stays literal: a class there made the scan 2.5× slower (words accented on their first
 * letter get no mark).
 */
function prefixPattern(prefix: string): string {
  let out = ''
  let first = true
  for (const c of prefix) {
    out += !first && c >= 'a' && c <= 'z' ? `[${c}\u00c0-\u024f]` : escapeRegExp(c)
    first = false
  }
  return out
}

/** Escaped text from `start` for about SNIPPET_CHARS, cut at a word boundary, with marks around `matches`. */
function passage(body: string, start: number, matches: Range[]): string {
  let end = Math.min(body.length, start + SNIPPET_CHARS)
  if (end < body.length) {
    const cut = lastSpace(body, start, end) - start
    if (cut > SNIPPET_CHARS / 2) end = start + cut
    // Never cut a match in two.
    for (const m of matches) if (m.start < end && m.end > end) end = m.end
  }
  let out = start > 0 ? '… ' : ''
  let pos = start
  for (const m of matches) {
    if (m.end <= start || m.start < pos) continue
    if (m.start >= end) break
    out += show(body.slice(pos, m.start))
    out += `<mark>${show(body.slice(m.start, m.end))}</mark>`
    pos = m.end
  }
  out += show(body.slice(pos, end))
  out = out.trim()
  if (end < body.length) out += ' …'
  return out
}

/** Index of the last whitespace character in `text[from, to)`, or -1. */
function lastSpace(text: string, from: number, to: number): number {
  for (let i = to - 1; i >= from; i--) if (SPACE_RE.test(text.charAt(i))) return i
  return -1
}

/**
 * Each occurrence of a phrase in the analysed spans, as one range from its first word to its last: merged with the
 * words' own ranges, the whole phrase becomes one mark.
 */
function phraseRanges(spans: readonly TokenSpan[], phrases: readonly Phrase[], queryTerms: QueryTerms): Range[] {
  if (phrases.length === 0) return []
  const byPosition = new Map<number, TokenSpan[]>()
  for (const span of spans) {
    const list = byPosition.get(span.position)
    if (list === undefined) byPosition.set(span.position, [span])
    else list.push(span)
  }
  const at = (position: number, terms: readonly string[]): TokenSpan | undefined =>
    byPosition.get(position)?.find((span) => span.terms.some((t) => terms.includes(t)))
  const out: Range[] = []
  for (const phrase of phrases) {
    const first = phrase.slots[0]
    const last = phrase.slots[phrase.slots.length - 1]
    if (first === undefined || last === undefined) continue
    // A phrase word the query does not score (none: phrase words are query terms) would add nothing to a window.
    const terms = phrase.slots.flatMap((slot) => slot.terms.flatMap((t) => queryTerms.numbers.get(t) ?? []))
    const weight = Math.max(0, ...terms.map((t) => queryTerms.weights[t] ?? 0))
    for (const span of spans) {
      if (!span.terms.some((t) => first.terms.includes(t))) continue
      const start = span.position - first.offset
      if (!phrase.slots.every((slot) => at(start + slot.offset, slot.terms) !== undefined)) continue
      const end = at(start + last.offset, last.terms)?.end ?? span.end
      out.push({ start: span.start, end, weight, terms })
    }
  }
  return out
}

/** Sorts ranges and merges overlapping or touching ones (CJK bigrams overlap the words they came from). */
function mergeRanges(ranges: Range[]): Range[] {
  ranges.sort((a, b) => a.start - b.start || b.end - a.end)
  const out: Range[] = []
  for (const r of ranges) {
    const last = out[out.length - 1]
    // Touching ranges merge too: 宮城 + 県 is marked as one 宮城県.
    if (last !== undefined && r.start <= last.end) {
      last.end = Math.max(last.end, r.end)
      last.weight = Math.max(last.weight, r.weight)
      last.terms.push(...r.terms)
    } else {
      out.push({ ...r, terms: [...r.terms] })
    }
  }
  return out
}
