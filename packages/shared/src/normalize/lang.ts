/**
 * Language of an article: what the publisher said when it is a valid BCP 47 tag that agrees with the
 * script of the text, else a detector. Scripts decide CJK and most non-Latin languages outright; Latin-script
 * text is told apart by its most frequent function words.
 */

/** Tag stored when nothing can be told (BCP 47 "undetermined"). */
export const UNKNOWN_LANG = 'und'

/** Letters needed before a guess is made; fewer say too little. */
export const DEFAULT_MIN_LETTERS = 20

/** Characters of text looked at; the opening of an article is enough to know its language. */
export const DEFAULT_SAMPLE_CHARS = 4000

const SCRIPT = {
  hangul: /\p{Script=Hangul}/gu,
  kana: /[\p{Script=Hiragana}\p{Script=Katakana}]/gu,
  han: /\p{Script=Han}/gu,
  latin: /\p{Script=Latin}/gu,
  cyrillic: /\p{Script=Cyrillic}/gu,
  arabic: /\p{Script=Arabic}/gu,
  hebrew: /\p{Script=Hebrew}/gu,
  greek: /\p{Script=Greek}/gu,
  thai: /\p{Script=Thai}/gu,
  devanagari: /\p{Script=Devanagari}/gu,
  ukrainianLetters: /[іїєґІЇЄҐ]/u,
  persianLetters: /[پچژگکی]/u,
  latinWord: /\p{Script=Latin}+/gu,
} as const

type Script = 'hangul' | 'kana' | 'han' | 'latin' | 'cyrillic' | 'arabic' | 'hebrew' | 'greek' | 'thai' | 'devanagari'

const SCRIPTS: readonly Script[] = [
  'hangul',
  'kana',
  'han',
  'latin',
  'cyrillic',
  'arabic',
  'hebrew',
  'greek',
  'thai',
  'devanagari',
]

/** The most frequent short words of Latin-script languages; enough to tell them apart on a paragraph. */
const FUNCTION_WORDS: Readonly<Record<string, readonly string[]>> = {
  en: [
    'the',
    'and',
    'of',
    'to',
    'in',
    'is',
    'that',
    'for',
    'it',
    'was',
    'on',
    'with',
    'as',
    'he',
    'are',
    'this',
    'by',
    'be',
    'at',
    'have',
    'from',
    'not',
    'but',
    'they',
    'his',
    'has',
    'said',
    'were',
    'will',
    'which',
  ],
  de: [
    'der',
    'die',
    'und',
    'in',
    'den',
    'von',
    'zu',
    'das',
    'mit',
    'sich',
    'des',
    'auf',
    'für',
    'ist',
    'im',
    'dem',
    'nicht',
    'ein',
    'eine',
    'als',
    'auch',
    'es',
    'an',
    'werden',
    'aus',
    'er',
    'hat',
    'dass',
    'sie',
    'nach',
  ],
  fr: [
    'le',
    'de',
    'la',
    'et',
    'les',
    'des',
    'en',
    'un',
    'du',
    'une',
    'que',
    'est',
    'pour',
    'qui',
    'dans',
    'par',
    'plus',
    'pas',
    'au',
    'sur',
    'ne',
    'se',
    'ce',
    'il',
    'sont',
    'avec',
    'aux',
    'son',
    'mais',
    'été',
  ],
  es: [
    'de',
    'la',
    'que',
    'el',
    'en',
    'y',
    'los',
    'se',
    'del',
    'las',
    'un',
    'por',
    'con',
    'no',
    'una',
    'su',
    'para',
    'es',
    'al',
    'lo',
    'como',
    'más',
    'pero',
    'sus',
    'le',
    'ya',
    'o',
    'fue',
    'este',
    'ha',
  ],
  pt: [
    'de',
    'a',
    'o',
    'que',
    'e',
    'do',
    'da',
    'em',
    'um',
    'para',
    'é',
    'com',
    'não',
    'uma',
    'os',
    'no',
    'se',
    'na',
    'por',
    'mais',
    'as',
    'dos',
    'como',
    'mas',
    'foi',
    'ao',
    'ele',
    'das',
    'tem',
    'seu',
  ],
  it: [
    'di',
    'e',
    'il',
    'la',
    'che',
    'in',
    'a',
    'per',
    'un',
    'è',
    'del',
    'non',
    'una',
    'della',
    'le',
    'si',
    'con',
    'i',
    'da',
    'sono',
    'al',
    'gli',
    'come',
    'anche',
    'più',
    'dei',
    'nel',
    'alla',
    'ma',
    'ha',
  ],
  nl: [
    'de',
    'en',
    'van',
    'het',
    'een',
    'in',
    'is',
    'dat',
    'op',
    'te',
    'zijn',
    'voor',
    'met',
    'die',
    'niet',
    'aan',
    'er',
    'om',
    'ook',
    'als',
    'bij',
    'door',
    'maar',
    'naar',
    'dan',
    'wordt',
    'nog',
    'werd',
    'heeft',
    'hij',
  ],
  id: [
    'yang',
    'dan',
    'di',
    'ini',
    'itu',
    'dengan',
    'untuk',
    'dari',
    'dalam',
    'tidak',
    'akan',
    'pada',
    'juga',
    'ke',
    'ada',
    'oleh',
    'karena',
    'saya',
    'mereka',
    'kita',
    'bisa',
    'atau',
    'sudah',
    'seperti',
    'kami',
    'lebih',
    'tersebut',
    'adalah',
    'secara',
    'telah',
  ],
  sv: [
    'och',
    'i',
    'att',
    'det',
    'som',
    'en',
    'på',
    'är',
    'av',
    'för',
    'med',
    'till',
    'den',
    'har',
    'de',
    'inte',
    'om',
    'ett',
    'han',
    'men',
    'var',
    'jag',
    'sig',
    'från',
    'vi',
    'så',
    'kan',
    'när',
    'nu',
    'ska',
  ],
  pl: [
    'i',
    'w',
    'się',
    'na',
    'nie',
    'z',
    'do',
    'to',
    'że',
    'jest',
    'o',
    'jak',
    'po',
    'co',
    'tak',
    'za',
    'od',
    'ale',
    'przez',
    'dla',
    'już',
    'są',
    'jego',
    'może',
    'tym',
    'czy',
    'tylko',
    'jej',
    'być',
    'też',
  ],
  tr: [
    've',
    'bir',
    'bu',
    'da',
    'de',
    'için',
    'ile',
    'çok',
    'daha',
    'olarak',
    'gibi',
    'en',
    'ne',
    'kadar',
    'ama',
    'olan',
    'sonra',
    'var',
    'her',
    'mi',
    'o',
    'değil',
    'ise',
    'ya',
    'göre',
    'olduğu',
    'tarafından',
    'şey',
    'yok',
    'diye',
  ],
}

const FUNCTION_WORD_SETS: ReadonlyArray<readonly [string, ReadonlySet<string>]> = Object.entries(FUNCTION_WORDS).map(
  ([lang, words]) => [lang, new Set(words)] as const,
)

function countMatches(text: string, pattern: RegExp): number {
  pattern.lastIndex = 0
  let n = 0
  while (pattern.exec(text) !== null) n++
  return n
}

/** Distinct function words a language must show before it is named: one "co" or "e" proves nothing. */
export const DEFAULT_MIN_DISTINCT_WORDS = 3

/** Function-word hits (and distinct words hit) per Latin-script language in a sample, and the words looked at. */
function latinScores(sample: string): { scores: Map<string, number>; distinct: Map<string, number>; words: number } {
  const words = sample.toLowerCase().match(SCRIPT.latinWord) ?? []
  const scores = new Map<string, number>()
  const distinct = new Map<string, number>()
  for (const [lang, set] of FUNCTION_WORD_SETS) {
    let score = 0
    const seen = new Set<string>()
    for (const word of words) {
      if (set.has(word)) {
        score++
        seen.add(word)
      }
    }
    scores.set(lang, score)
    distinct.set(lang, seen.size)
  }
  return { scores, distinct, words: words.length }
}

function latinLanguage(sample: string): string {
  const { scores, distinct, words } = latinScores(sample)
  if (words < 3) return UNKNOWN_LANG
  let best = UNKNOWN_LANG
  let bestScore = 0
  for (const [lang, score] of scores) {
    if (score > bestScore) {
      best = lang
      bestScore = score
    }
  }
  // Below a few percent of function words the text is a list of names, codes or figures: better say nothing.
  const enough = bestScore >= Math.max(2, words * 0.05) && (distinct.get(best) ?? 0) >= DEFAULT_MIN_DISTINCT_WORDS
  return enough ? best : UNKNOWN_LANG
}

/** Words of Latin text needed before the detector may overrule a declared Latin-script language. */
export const DEFAULT_OVERRULE_MIN_WORDS = 40

/** True when the text is clearly in `detected` rather than the declared Latin-script language. */
function clearlyNot(declared: string, detected: string, text: string): boolean {
  const { scores, words } = latinScores(text.slice(0, DEFAULT_SAMPLE_CHARS))
  const mine = scores.get(declared)
  const theirs = scores.get(detected) ?? 0
  // Only languages the detector knows can be judged; a template default "en" over German prose is the usual case.
  if (mine === undefined || words < DEFAULT_OVERRULE_MIN_WORDS) return false
  return theirs >= 2 * mine + 5
}

/** Counts of letters per script in a text sample. */
function scriptCounts(sample: string): Record<Script, number> {
  const counts = {} as Record<Script, number>
  for (const script of SCRIPTS) counts[script] = countMatches(sample, SCRIPT[script])
  return counts
}

/** Detects the language of a text; returns a BCP 47 tag or `und`. */
export function detectLang(text: string): string {
  const sample = text.slice(0, DEFAULT_SAMPLE_CHARS)
  const counts = scriptCounts(sample)
  const total = SCRIPTS.reduce((sum, s) => sum + counts[s], 0)
  if (total < DEFAULT_MIN_LETTERS && counts.hangul + counts.kana + counts.han < 2) return UNKNOWN_LANG
  // Japanese mixes kana into Han; even a few percent of kana marks it, while Chinese has none.
  const cjk = counts.hangul + counts.kana + counts.han
  if (cjk > total * 0.3) {
    if (counts.hangul >= counts.kana && counts.hangul > counts.han * 0.5) return 'ko'
    if (counts.kana > 0 && counts.kana >= (counts.kana + counts.han) * 0.05) return 'ja'
    return 'zh'
  }
  let top: Script = 'latin'
  for (const s of SCRIPTS) if (counts[s] > counts[top]) top = s
  switch (top) {
    case 'cyrillic':
      return SCRIPT.ukrainianLetters.test(sample) ? 'uk' : 'ru'
    case 'arabic':
      return SCRIPT.persianLetters.test(sample) ? 'fa' : 'ar'
    case 'hebrew':
      return 'he'
    case 'greek':
      return 'el'
    case 'thai':
      return 'th'
    case 'devanagari':
      return 'hi'
    default:
      return latinLanguage(sample)
  }
}

/** Scripts a language is written in, for the languages the detector can tell by script alone. */
const LANG_SCRIPT: Readonly<Record<string, string>> = {
  ko: 'cjk',
  ja: 'cjk',
  zh: 'cjk',
  ru: 'cyrillic',
  uk: 'cyrillic',
  ar: 'arabic',
  fa: 'arabic',
  he: 'hebrew',
  el: 'greek',
  th: 'thai',
  hi: 'devanagari',
}

function scriptFamily(lang: string): string {
  return LANG_SCRIPT[lang.split('-')[0] ?? ''] ?? 'latin'
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

/** The declared language when it is valid and fits the text's script; otherwise the detected one. */
export function resolveLang(declared: readonly (string | null | undefined)[], text: string): string {
  const detected = detectLang(text)
  for (const candidate of declared) {
    const tag = canonicalLangTag(candidate)
    if (tag === null || tag === UNKNOWN_LANG) continue
    // A page template saying "en" around Korean text is common; the script is the better witness then.
    if (detected !== UNKNOWN_LANG && scriptFamily(tag) !== scriptFamily(detected)) continue
    const primary = tag.split('-')[0] ?? tag
    if (detected !== UNKNOWN_LANG && scriptFamily(detected) === 'cjk' && primary !== detected) continue
    if (detected !== UNKNOWN_LANG && scriptFamily(detected) === 'latin' && primary !== detected) {
      if (clearlyNot(primary, detected, text)) continue
    }
    return tag
  }
  return detected
}
