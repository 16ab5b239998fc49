import { stem as porter2 } from 'porter2'
import { eng as englishStopWords } from 'stopword'
import { stripKoreanSuffix } from './korean'

/**
 * Term processing, defined once: the index builder, the memtable, the query parser, snippets and suggestions all go
 * through `Analyzer`, so a word is always turned into the same terms.
 */
export interface AnalyzerOptions {
  /**
   * English stemmer applied to ASCII words: Porter2/Snowball English (`porter2`), or none. (Original Porter, from
   * the `stemmer` package, measured no better (DESIGN.md) and was removed: it shipped in both bundles unused.)
   */
  stemmer: 'porter2' | 'none'
  /** Drop English stop words (list from the `stopword` package). */
  stopWords: boolean
  /**
   * Also index overlapping character bigrams of Han/Katakana text, so a query segmented differently still meets the
   * text: `words` inside each segmented word of 3+ characters (原子力発電所 → 原子, 子力, …), `runs` across the whole
   * run of such characters, `off` none.
   */
  cjkBigrams: 'off' | 'words' | 'runs'
  /** Strip Korean particles and noun-verb endings (일본의 → 일본). */
  koreanSuffixes: boolean
}

/** Defaults chosen by measured nDCG on the dev sets (see DESIGN.md). */
export const DEFAULT_ANALYZER_OPTIONS: AnalyzerOptions = {
  stemmer: 'porter2',
  stopWords: true,
  cjkBigrams: 'off',
  koreanSuffixes: true,
}

/**
 * Bumped on any change to what terms a text gives: it is part of `Analyzer.id`, stored in every segment, so a
 * segment built by older term processing is refused on open (and rebuilt) instead of silently missing.
 */
export const ANALYZER_VERSION = 3

/**
 * Stemmed words remembered (cleared when full): most tokens are frequent words, so a small cache saves most of the
 * stemming, while its size stays a few MB of the search isolate's memory.
 */
const STEM_CACHE_SIZE = 50_000

/**
 * Words as written that fold to plain ASCII letters (The, the, Oil, Café) and the one term each gives, or null for
 * a stop word (cleared when full). Most tokens of English news are such words, and one lookup of the token as the
 * text spells it replaces folding, three pattern tests, the stop-word check and the stemmer's cache: analysis of a
 * Reuters article took about a third less time with it (Node; `Analyzer.word`). Each spelling is an entry of its
 * own (The and the), about 70 bytes each: some 3.5 MiB of the search isolate's memory when full. Twice as many
 * entries measured no faster over Reuters (62,868 spellings: this size clears once a pass).
 */
const WORD_CACHE_SIZE = 50_000

/**
 * Tokens whose spans are remembered for snippets (cleared when full): a snippet analyses the words of each hit's body
 * that begin like a query term, and the same words of the same articles come back query after query. A few hundred
 * bytes an entry, so about 1.5 MB of the search isolate's memory at most; more entries measured no faster.
 */
export const TOKEN_CACHE_SIZE = 4096

/** Longest term kept; longer "words" are base64 blobs, hashes or junk. */
export const MAX_TERM_CHARS = 64

/** A run of letters/digits, with inner connectors (Kyung-wha, AT&T, U.S, 7.4, don't, 155,221). */
const TOKEN_RE = /[\p{L}\p{N}\p{M}]+(?:(?:[-‐‑'’.&_＆－]|,(?=\d))[\p{L}\p{N}\p{M}]+)*/gu
const TOKEN_AT_RE = new RegExp(TOKEN_RE.source, 'uy')
const CONNECTOR_RE = /[-‐‑'’.&_＆－,]/u
const POSSESSIVE_RE = /['’][sS]$/u
const CONNECTOR_SPLIT_RE = /([-‐‑'’.&_＆－,])/u
const CJK_RE = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u
const BIGRAM_CHAR_RE = /[\p{Script=Han}\p{Script=Katakana}ー]/u
const HANGUL_RE = /\p{Script=Hangul}/u
const LEADING_DIGITS_RE = /^(\d+)(?=\p{Script=Hangul})/u
const SINGLE_HIRAGANA_RE = /^\p{Script=Hiragana}$/u
// biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range starts at NUL on purpose
const ASCII_RE = /^[\x00-\x7f]*$/
const ASCII_WORD_RE = /^[a-z]+$/
const CAPITALS_ACRONYM_RE = /^[A-Z]{2,3}$/
const ASCII_WORD_CHARS_RE = /^[A-Za-z0-9]+$/
const DIGITS_RE = /^\d+$/
/** Combining marks on Latin, Greek and Cyrillic letters are diacritics to fold; on kana they are not (が ≠ か). */
const FOLDABLE_MARK_RE = /([\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}])\p{M}+/gu

/** Letters that can carry a diacritic after NFKC: Latin-1 to Latin Extended, Greek, Cyrillic, Vietnamese. */
const DIACRITIC_CANDIDATE_RE = /[\u00c0-\u04ff\u1e00-\u1fff]/

/** Case and diacritic folding: NFKC, lower case, and combining marks removed from Latin/Greek/Cyrillic letters. */
export function foldText(text: string): string {
  if (ASCII_RE.test(text)) return text.toLowerCase()
  const lower = text.normalize('NFKC').toLowerCase()
  // NFD + NFC round trips are costly on Hangul; only text with possible diacritics needs them.
  if (!DIACRITIC_CANDIDATE_RE.test(lower)) return lower
  return lower.normalize('NFD').replace(FOLDABLE_MARK_RE, '$1').normalize('NFC')
}

/**
 * Letters a word and the terms it yields nearly always share at their start: stemming changes later letters
 * (flying → fli changes the third), and hyphens and dots that analysis drops (co-founder → cofounder) come later too.
 */
export const SHARED_PREFIX_CHARS = 2

/**
 * Lets snippets skip tokens that cannot produce a wanted term before the costly steps: Japanese/Chinese runs that
 * contain none of `cjkNeedles`, and ASCII words whose first SHARED_PREFIX_CHARS letters begin none of the wanted
 * terms.
 */
export interface SpanFilter {
  cjkNeedles: readonly string[]
  asciiPrefixes: ReadonlySet<string>
}

/**
 * A copy of `text` that holds nothing else: a token cut from a body can hold on to the whole body (V8 keeps
 * substrings as slices of their text), so what a cache keeps is copied first.
 */
function ownCopy(text: string): string {
  return Array.from(text).join('')
}

/** The token (as `Analyzer.scan` sees it) starting exactly at `pos`, or null. */
export function tokenAt(text: string, pos: number): string | null {
  TOKEN_AT_RE.lastIndex = pos
  return TOKEN_AT_RE.exec(text)?.[0] ?? null
}

/**
 * Receives each term with the span of the source text it came from and its word position. Positions count every
 * word, stop words and dropped particles included (so "state of the art" keeps art three words after state); the
 * terms of one word (a compound's joined form and parts, a Korean word and its stem) share its position.
 */
export type TermSink = (term: string, start: number, end: number, position: number) => void

/** One surface token of a text and the terms it produced; used for snippets, suggestions and query phrases. */
export interface TokenSpan {
  start: number
  end: number
  /** word position, as `TermSink` counts it */
  position: number
  terms: string[]
}

/** Term processing for indexing and querying (one instance, `DEFAULT_ANALYZER`, is used everywhere). */
export class Analyzer {
  readonly options: AnalyzerOptions
  /** Stored in every segment; a segment built by another analyzer is refused, since its terms would not match. */
  readonly id: string
  private readonly stopWords: Set<string>
  private readonly stemWord: (word: string) => string
  private readonly stemCache = new Map<string, string>()
  private readonly wordCache = new Map<string, string | null>()
  private readonly tokenCache = new Map<string, readonly TokenSpan[]>()
  private segmenter: Intl.Segmenter | null = null

  constructor(options: Partial<AnalyzerOptions> = {}) {
    this.options = { ...DEFAULT_ANALYZER_OPTIONS, ...options }
    const o = this.options
    this.id = `a${ANALYZER_VERSION}:${o.stemmer}:${o.stopWords ? 's' : '-'}:${o.cjkBigrams}:${o.koreanSuffixes ? 'k' : '-'}`
    this.stopWords = new Set(o.stopWords ? englishStopWords : [])
    this.stemWord = o.stemmer === 'porter2' ? porter2 : (w: string) => w
  }

  /** The terms of a text, in order, with repeats (for term frequencies). */
  terms(text: string): string[] {
    const out: string[] = []
    this.scan(text, (term) => {
      out.push(term)
    })
    return out
  }

  /**
   * The surface tokens of a text with the terms each produced (offsets into `text`); with a filter, only tokens
   * that may produce a wanted term.
   */
  spans(text: string, filter?: SpanFilter): TokenSpan[] {
    const out: TokenSpan[] = []
    let last: TokenSpan | undefined
    this.scan(
      text,
      (term, start, end, position) => {
        if (last !== undefined && last.start === start && last.end === end) {
          last.terms.push(term)
        } else {
          last = { start, end, position, terms: [term] }
          out.push(last)
        }
      },
      filter,
    )
    return out
  }

  /**
   * The spans of one token as `tokenAt` finds it (offsets from its start), as `spans(token)` gives them, remembered
   * (see TOKEN_CACHE_SIZE). They are shared: callers must not modify them.
   */
  tokenSpans(token: string): readonly TokenSpan[] {
    let spans = this.tokenCache.get(token)
    if (spans === undefined) {
      // Kept and analysed as a copy: so are the terms made from it (see ownCopy).
      const copy = ownCopy(token)
      spans = this.spans(copy)
      if (this.tokenCache.size >= TOKEN_CACHE_SIZE) this.tokenCache.clear()
      this.tokenCache.set(copy, spans)
    }
    return spans
  }

  /**
   * Calls `sink` for every term of `text`, with the source span it came from and its word position (counted from
   * `firstPosition`); returns the position after the last word. A filter skips words, so positions are then only
   * meaningful within one word.
   */
  scan(text: string, sink: TermSink, filter?: SpanFilter, firstPosition = 0): number {
    let position = firstPosition
    for (const match of text.matchAll(TOKEN_RE)) {
      const raw = match[0]
      const start = match.index
      if (filter !== undefined && ASCII_WORD_CHARS_RE.test(raw)) {
        if (!filter.asciiPrefixes.has(raw.slice(0, SHARED_PREFIX_CHARS).toLowerCase())) continue
      }
      const known = this.wordCache.get(raw)
      if (known !== undefined) {
        if (known !== null) sink(known, start, start + raw.length, position)
        position++
        continue
      }
      if (CJK_RE.test(raw)) {
        if (filter !== undefined) {
          const folded = foldText(raw)
          if (!filter.cjkNeedles.some((needle) => folded.includes(needle))) continue
        }
        position = this.scanCjk(raw, start, position, sink)
      } else if (CONNECTOR_RE.test(raw)) this.scanCompound(raw, start, position++, sink)
      else this.word(raw, start, start + raw.length, position++, false, sink)
    }
    return position
  }

  /**
   * Japanese/Chinese have no spaces: split into words with the ICU dictionary behind `Intl.Segmenter`, one
   * position per word (a dropped particle keeps its place). Returns the next position.
   */
  private scanCjk(raw: string, start: number, firstPosition: number, sink: TermSink): number {
    this.segmenter ??= new Intl.Segmenter('ja', { granularity: 'word' })
    let position = firstPosition
    for (const seg of this.segmenter.segment(raw)) {
      if (seg.isWordLike !== true) continue
      const s = start + seg.index
      if (CONNECTOR_RE.test(seg.segment)) this.scanCompound(seg.segment, s, position, sink)
      else this.word(seg.segment, s, s + seg.segment.length, position, false, sink)
      if (this.options.cjkBigrams === 'words') this.bigrams(seg.segment, s, position, sink)
      position++
    }
    if (this.options.cjkBigrams === 'runs') this.bigrams(raw, start, firstPosition, sink)
    return position
  }

  /** Overlapping bigrams of each Han/Katakana run: recall when the segmenter splits query and text differently. */
  private bigrams(raw: string, start: number, position: number, sink: TermSink): void {
    let runStart = -1
    for (let i = 0; i <= raw.length; i++) {
      const inRun = i < raw.length && BIGRAM_CHAR_RE.test(raw.charAt(i))
      if (inRun && runStart < 0) runStart = i
      if (!inRun && runStart >= 0) {
        if (i - runStart >= 3) {
          for (let j = runStart; j + 2 <= i; j++) {
            sink(foldText(raw.slice(j, j + 2)), start + j, start + j + 2, position)
          }
        }
        runStart = -1
      }
    }
  }

  /** Hyphenated names and codes: index the joined form and the parts (Kyung-wha → kyungwha, kyung, wha). */
  private scanCompound(raw: string, start: number, position: number, sink: TermSink): void {
    // English possessive: company's → company, O'Neill's → O'Neill
    const possessive = POSSESSIVE_RE.exec(raw)
    if (possessive !== null) {
      const owner = raw.slice(0, possessive.index)
      if (CONNECTOR_RE.test(owner)) this.scanCompound(owner, start, position, sink)
      else this.word(owner, start, start + owner.length, position, false, sink)
      return
    }
    const pieces = raw.split(CONNECTOR_SPLIT_RE)
    const parts: { text: string; offset: number }[] = []
    const connectors = new Set<string>()
    let offset = 0
    for (let i = 0; i < pieces.length; i++) {
      const piece = pieces[i] ?? ''
      if (i % 2 === 1) connectors.add(piece)
      else parts.push({ text: piece, offset })
      offset += piece.length
    }
    const end = start + raw.length
    const numeric = parts.every((p) => DIGITS_RE.test(p.text))
    if (numeric) {
      // 7.4 stays 7.4; 155,221 becomes 155221 (thousands separator).
      this.word(raw.replaceAll(',', ''), start, end, position, true, sink)
      return
    }
    const joined = parts.map((p) => p.text).join('')
    const dotted = connectors.size === 1 && connectors.has('.')
    // U.S → us is an abbreviation, not the stop word "us".
    this.word(joined, start, end, position, dotted, sink)
    if (dotted) return
    for (const part of parts) {
      this.word(part.text, start + part.offset, start + part.offset + part.text.length, position, false, sink)
    }
  }

  /** Folds, filters and stems one word, then emits its term(s). */
  private word(raw: string, start: number, end: number, position: number, keepStopWord: boolean, sink: TermSink): void {
    const folded = foldText(raw)
    if (folded.length === 0 || folded.length > MAX_TERM_CHARS) return
    if (ASCII_WORD_RE.test(folded)) {
      // A short word in capitals is an acronym (US, WHO, IT), not the function word it spells.
      const term =
        !keepStopWord && this.stopWords.has(folded) && !CAPITALS_ACRONYM_RE.test(raw) ? null : this.stem(folded)
      // Only a word the text spells whole is remembered (`scan` looks tokens up as they match); a compound's joined
      // form or part, or a stop word kept inside one, is analysed each time.
      if (!keepStopWord && end - start === raw.length) this.rememberWord(raw, term)
      if (term !== null) sink(term, start, end, position)
      return
    }
    if (HANGUL_RE.test(folded)) {
      // A counted number (4대강, 2022년, 1000만명) also gives the number and the counted word.
      const digits = LEADING_DIGITS_RE.exec(folded)
      if (digits?.[1] !== undefined) {
        sink(digits[1], start, end, position)
        this.korean(folded.slice(digits[1].length), start, end, position, sink)
      }
      this.korean(folded, start, end, position, sink)
      return
    }
    // Single hiragana words are particles (の, は, を): the stop words of Japanese.
    if (SINGLE_HIRAGANA_RE.test(folded)) return
    sink(folded, start, end, position)
  }

  /**
   * A Korean word as written and, when it ends like a particle, without it: 일본의 → 일본의, 일본. Keeping the written
   * form too means a noun that merely ends like a particle (한반도 ends in 도) still meets its own inflections.
   */
  private korean(word: string, start: number, end: number, position: number, sink: TermSink): void {
    if (!this.options.koreanSuffixes) {
      sink(word, start, end, position)
      return
    }
    const stem = stripKoreanSuffix(word)
    if (stem !== word) sink(stem, start, end, position)
    sink(word, start, end, position)
  }

  private rememberWord(raw: string, term: string | null): void {
    if (this.wordCache.size >= WORD_CACHE_SIZE) this.wordCache.clear()
    this.wordCache.set(ownCopy(raw), term)
  }

  private stem(word: string): string {
    let stemmed = this.stemCache.get(word)
    if (stemmed === undefined) {
      stemmed = this.stemWord(word)
      if (this.stemCache.size >= STEM_CACHE_SIZE) this.stemCache.clear()
      this.stemCache.set(word, stemmed)
    }
    return stemmed
  }
}

/** The analyzer used for indexing and for queries. */
export const DEFAULT_ANALYZER = new Analyzer()
