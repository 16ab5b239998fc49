/** Bylines: recognising a "By Name" line, cutting what a scraper left after the name, and the bare author name. */

/** A byline line is short; longer lines starting with "By" are sentences. */
export const DEFAULT_MAX_BYLINE_CHARS = 120

const BYLINE = {
  // "By", "Written by", "Von", "Par", "Por", ... then the name(s).
  prefix: /^(?:(?:written|reported|posted|story|words|text|photos?)\s+by|by|von|par|por|door|di|av|oleh)\s*:?\s+/iu,
  // Capitalised name words, possibly several joined by "and"/"&"/commas; particles like "de"/"van" allowed.
  names:
    /^\p{Lu}[\p{L}\p{M}'’.-]*(?:(?:\s+|\s*,\s*|\s+(?:and|&|y|e|und|et)\s+)(?:(?:de|van|von|da|del|der|di|la|le|al|el|bin)\s+)?\p{Lu}[\p{L}\p{M}'’.-]*){0,7}/u,
  // What may follow the names on a byline line: "(email" cut off or whole, "| Staff", ", Reuters", "- date".
  // Korean bylines: "홍길동 기자", "(서울=연합뉴스) 홍길동 기자 =", "홍길동 특파원 gildong@yna.co.kr".
  korean:
    /^(?:\([^)]{1,30}\)\s*)?(?<name>[가-힣]{2,4})\s?(?<role>기자|특파원|통신원|객원기자|선임기자|전문기자)(?:\s*=)?(?:\s*\(?[\w.+-]+@[\w.-]+\)?)?$/u,
  koreanRole: /\s?(?:기자|특파원|통신원|객원기자|선임기자|전문기자)$/u,
  // Each word of a ", Staff Writer" tail ends where letters end (the lookahead): with `\s*` between words, "ABCDEF"
  // could otherwise be split into words in every way, which backtracking tries one by one.
  tail: /^\s*(?:\(.*|[|–—-]\s.{0,80}|\/.{0,60}|,(?:\s*(?:\p{Lu}[\p{L}\p{M}.'’-]*(?![\p{L}\p{M}.'’-])|for|of|the|and|staff|writer|correspondent|reporter|editor)){1,8}\.?|@\S*)?$/u,
} as const

/** If the line is a byline, the byline as printed without its trailing junk ("By Jo He-rim"); else null. */
export function parseBylineLine(line: string): string | null {
  const trimmed = line.trim()
  if (trimmed.length === 0 || trimmed.length > DEFAULT_MAX_BYLINE_CHARS) return null
  const korean = BYLINE.korean.exec(trimmed)
  if (korean?.groups) return `${korean.groups.name} ${korean.groups.role}`
  const prefix = BYLINE.prefix.exec(trimmed)
  if (prefix === null) return null
  const rest = trimmed.slice(prefix[0].length)
  const names = BYLINE.names.exec(rest)
  if (names === null) return null
  const tail = rest.slice(names[0].length)
  // Whatever follows the name must look like a tail (email, affiliation, date), not the rest of a sentence.
  if (!BYLINE.tail.test(tail)) return null
  return `${prefix[0]}${names[0]}`.replace(/[\s,.]+$/u, '')
}

/** The author's name from a byline ("By Jo He-rim" gives "Jo He-rim"); a byline past the raw cap has none. */
export function authorFromByline(byline: string): string {
  if (byline.length > DEFAULT_MAX_RAW_BYLINE_CHARS) return ''
  return byline.replace(BYLINE.prefix, '').replace(BYLINE.koreanRole, '').trim()
}

const BYLINE_CLEAN = {
  // A date or time glued to the name by the page template ("STAFF NOVEMBER 20, 2019 10:43", "Ann Lee, 3 May 2019").
  trailingDate:
    /[\s,|–—-]*(?:(?:updated|published|posted|on)\s*:?\s*)?(?:(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}|\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?,?\s+\d{4}|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}|\d{1,2}:\d{2}).*$/iu,
  handle: /^@\w+$/u,
  // Content-management accounts, not people.
  account: /^(?:by\s+)?(?:\w*admin\w*|administrator|webmaster|root|user\d*|editor|guest)$/iu,
  url: /^(?:https?:)?\/\//iu,
} as const

/**
 * Longest raw byline looked at (a meta author or the names of a JSON-LD author list, joined). The patterns below
 * are unanchored at the start and quadratic in the worst case, so they only ever see this much; a name with its
 * glued-on date fits many times over.
 */
export const DEFAULT_MAX_RAW_BYLINE_CHARS = 1000

/** A byline fit to store: no date glued on, no social handle or URL standing in for a name; null if nothing is left. */
export function cleanByline(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined || raw.length > DEFAULT_MAX_RAW_BYLINE_CHARS) return null
  const cleaned = raw
    .replace(BYLINE_CLEAN.trailingDate, '')
    .replace(/[\s,|–—-]+$/u, '')
    .trim()
  if (cleaned === '' || cleaned.length > DEFAULT_MAX_BYLINE_CHARS) return null
  if (BYLINE_CLEAN.handle.test(cleaned) || BYLINE_CLEAN.url.test(cleaned)) return null
  if (BYLINE_CLEAN.account.test(cleaned)) return null
  return authorFromByline(cleaned) === '' ? null : cleaned
}
