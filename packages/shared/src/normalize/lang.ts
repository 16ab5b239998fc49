/**
 * Language of an article: what the publisher said when it is a valid BCP 47 tag that the text does not clearly
 * contradict, else what eld (Efficient Language Detector: byte n-grams, 60 languages) reads in the text. eld replaced
 * a hand-written detector, being more accurate on news and far more on titles (`npm run eval:lang`; figures and the
 * choice of its `extrasmall` data in normalize/README.md). This file maps eld's answer onto our conventions: `und`
 * when there is too little to tell or eld is not sure, and when a declared language gives way.
 */

type Eld = typeof import('eld/extrasmall')['eld']

interface Detector {
  eld: Eld
  /** the languages eld knows (Indonesian is not one: eld reads it as Malay) */
  languages: ReadonlySet<string>
}

let detector: Promise<Detector> | undefined

/**
 * eld's data is built at the first detection, not when the worker starts: it takes the isolate about 12 MB of heap
 * and a few hundred milliseconds of CPU, which the index writer's Durable Object (built from the same bundle) never
 * needs, and which would count against a worker's start-up limit.
 */
function loadDetector(): Promise<Detector> {
  detector ??= import('eld/extrasmall').then(({ eld }) => ({
    eld,
    languages: new Set(Object.values(eld.info().Languages)),
  }))
  return detector
}

/** Tag stored when nothing can be told (BCP 47 "undetermined"). */
const UNKNOWN_LANG = 'und'

/** Letters needed before a guess is made; fewer say too little (two CJK characters are enough). */
const DEFAULT_MIN_LETTERS = 20

/** Characters of text looked at; the opening of an article is enough to know its language (eld reads 1,000). */
export const DEFAULT_SAMPLE_CHARS = 4000

/**
 * How close to eld's average score for its language an answer must come to be taken (the ratio of eld's
 * `isReliable`). Latin-script answers need eld's own 0.75: below it are tables of figures ("Shr 12 cts vs 10 cts")
 * that eld guesses from a few n-grams. Answers in a script of their own (Hangul, kana, Cyrillic…) may score lower:
 * short Korean and Japanese news does, and the script alone already says much.
 */
const DEFAULT_LATIN_RELIABLE_RATIO = 0.75
const DEFAULT_OTHER_SCRIPT_RELIABLE_RATIO = 0.5

/**
 * Least lead of the best language over the runner-up. eld 2.1.0's `isReliable` means to check it but compares the
 * runner-up's index instead of its score; Korean text quoting a Russian name scores both alike.
 */
const DEFAULT_MIN_SCORE_LEAD = 0.01

/** Words of text needed before the detector may overrule a declared language written in the same script. */
const DEFAULT_OVERRULE_MIN_WORDS = 40

/**
 * Share of the detected language's score below which a declared language in the same script counts as clearly not
 * the text's. Neighbours (Danish and Norwegian) score close to each other; another language does not.
 */
const DEFAULT_OVERRULE_SCORE_RATIO = 0.8

const LETTER = /\p{L}/gu
const CJK = /[\p{Script=Hangul}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Han}]/gu
const WORD = /[\p{L}\p{N}]+/gu

/** Matches of a global pattern in a text, counted up to `atMost`. */
function countMatches(text: string, pattern: RegExp, atMost: number): number {
  pattern.lastIndex = 0
  let n = 0
  while (n < atMost && pattern.exec(text) !== null) n++
  return n
}

/** eld's result; its ratio argument is in eld's code (default 0.75) but not in its type declarations. */
interface EldResult {
  language: string
  getScores(): Record<string, number>
  isReliable(thresholdRatio?: number): boolean
}

interface Reading {
  language: string
  scores: Readonly<Record<string, number>>
  known: ReadonlySet<string>
}

/** eld's answer on a sample, or null when the sample is too short to tell or eld is not sure. */
async function read(sample: string): Promise<Reading | null> {
  if (countMatches(sample, LETTER, DEFAULT_MIN_LETTERS) < DEFAULT_MIN_LETTERS && countMatches(sample, CJK, 2) < 2) {
    return null
  }
  const { eld, languages } = await loadDetector()
  const found: EldResult = eld.detect(sample)
  if (found.language === '') return null
  const ratio =
    scriptOf(found.language) === 'latin' ? DEFAULT_LATIN_RELIABLE_RATIO : DEFAULT_OTHER_SCRIPT_RELIABLE_RATIO
  if (!found.isReliable(ratio)) return null
  const scores = found.getScores()
  const [best = 0, runnerUp = 0] = Object.values(scores).sort((a, b) => b - a)
  if (best - runnerUp < DEFAULT_MIN_SCORE_LEAD) return null
  return { language: found.language, scores, known: languages }
}

/** Detects the language of a text; returns a two-letter tag or `und`. */
export async function detectLang(text: string): Promise<string> {
  return (await read(text.slice(0, DEFAULT_SAMPLE_CHARS)))?.language ?? UNKNOWN_LANG
}

/** The script each of eld's languages not written in Latin letters is written in (CJK as one). */
const LANG_SCRIPT: Readonly<Record<string, string>> = {
  ja: 'cjk',
  ko: 'cjk',
  zh: 'cjk',
  ar: 'arabic',
  fa: 'arabic',
  ku: 'arabic',
  ur: 'arabic',
  be: 'cyrillic',
  bg: 'cyrillic',
  ru: 'cyrillic',
  sr: 'cyrillic',
  uk: 'cyrillic',
  hi: 'devanagari',
  mr: 'devanagari',
  am: 'ethiopic',
  bn: 'bengali',
  el: 'greek',
  gu: 'gujarati',
  he: 'hebrew',
  hy: 'armenian',
  ka: 'georgian',
  kn: 'kannada',
  lo: 'lao',
  ml: 'malayalam',
  or: 'oriya',
  pa: 'gurmukhi',
  ta: 'tamil',
  te: 'telugu',
  th: 'thai',
}

const primaryOf = (tag: string): string => (tag.split('-')[0] ?? tag).toLowerCase()

function scriptOf(lang: string): string {
  return LANG_SCRIPT[primaryOf(lang)] ?? 'latin'
}

/** A BCP 47 tag in canonical case (`en-US`, `zh-Hant`), or null when the value is no valid tag. */
export function canonicalLangTag(value: string | null | undefined): string | null {
  const trimmed = value?.trim().replace(/_/g, '-')
  if (!trimmed) return null
  try {
    const [tag] = Intl.getCanonicalLocales(trimmed)
    return tag ?? null
  } catch {
    return null
  }
}

/**
 * True when the text clearly is not in the declared language: written in another script, another CJK language, or
 * (for a long enough text) a language that outscores the declared one by far. A declared language eld does not know
 * (Indonesian, which it reads as Malay) is never overruled by scores.
 */
function contradicts(primary: string, detected: Reading, text: string): boolean {
  if (detected.language === primary) return false
  // A page template saying "en" around Korean text is common; the script is the better witness then.
  if (scriptOf(primary) !== scriptOf(detected.language) || scriptOf(primary) === 'cjk') return true
  const declaredScore = detected.scores[primary]
  const detectedScore = detected.scores[detected.language] ?? 0
  if (declaredScore === undefined && !detected.known.has(primary)) return false
  if (countMatches(text, WORD, DEFAULT_OVERRULE_MIN_WORDS) < DEFAULT_OVERRULE_MIN_WORDS) return false
  return (declaredScore ?? 0) < detectedScore * DEFAULT_OVERRULE_SCORE_RATIO
}

/** The first declared language that is valid and not contradicted by the text; otherwise the detected one. */
export async function resolveLang(declared: readonly (string | null | undefined)[], text: string): Promise<string> {
  const sample = text.slice(0, DEFAULT_SAMPLE_CHARS)
  const detected = await read(sample)
  for (const candidate of declared) {
    const tag = canonicalLangTag(candidate)
    if (tag === null || tag === UNKNOWN_LANG) continue
    if (detected !== null && contradicts(primaryOf(tag), detected, sample)) continue
    return tag
  }
  return detected?.language ?? UNKNOWN_LANG
}
