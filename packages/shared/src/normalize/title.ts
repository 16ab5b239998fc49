/**
 * Headlines without the site's name. The page's <title> is the headline as the publisher states it for the
 * page, but it carries the site ("Story - Site Name", "Site | Story"); the other titles the page gives
 * (JSON-LD headline, og:title, <h1>) and the site's name and host tell where to cut.
 */

/** A trailing " | Segment" with at most this many words is taken as a site or section name even when unnamed. */
export const DEFAULT_MAX_SUFFIX_WORDS = 5

/** A headline needs at least this many letters or digits; shorter ones are labels ("Home", "News"). */
export const DEFAULT_MIN_TITLE_CHARS = 4

/** A title agreeing with the <title> part must have at least this many letters or digits to be trusted. */
const MIN_AGREEING_CHARS = 10

/**
 * Longest title looked at, in characters (the schema's limit for a title sent; a <title> or og:title may be any
 * length). Titles are stored at most 300 characters long, and separators are compared pairwise below.
 */
export const DEFAULT_MAX_TITLE_INPUT_CHARS = 1000

/** A title with more separators than this is a list or junk, not "Headline | Site": it is kept as it is. */
const MAX_SEPARATORS = 16

const TITLE = {
  separators: / (?:[|\-–—:·•«»/~]|::|--|\/\/) /gu,
  pipe: /\|/u,
  ellipsis: /\s*(?:…|\.\.\.)$/u,
} as const

function squash(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, '')
}

function wordCount(text: string): number {
  return text.split(/\s+/).filter((w) => w !== '').length
}

/** True when a title segment names the site (its name, or its host without www./TLD). */
function namesSite(segment: string, siteNames: readonly string[]): boolean {
  const s = squash(segment)
  if (s === '') return false
  return siteNames.some((name) => {
    const n = squash(name)
    return n !== '' && (n === s || (n.length >= 3 && s.length <= n.length * 3 && (s.includes(n) || n.includes(s))))
  })
}

/** Names a site goes by, from its metadata and host ("www.wsj.com" gives "wsj.com" and "wsj"). */
export function siteNamesFor(source: string | null, url: string | null): string[] {
  const names: string[] = []
  if (source) names.push(source)
  if (url) {
    try {
      const host = new URL(url).hostname.replace(/^www\d?\./, '')
      names.push(host, host.split('.')[0] ?? '')
    } catch {
      // No usable host: the source name alone decides.
    }
  }
  return names.filter((n) => n !== '')
}

/** The title without a leading or trailing site-name segment; `others` are the page's other titles for this page. */
export function stripSiteName(title: string, siteNames: readonly string[], others: readonly string[] = []): string {
  const t = title.trim().slice(0, DEFAULT_MAX_TITLE_INPUT_CHARS).trim()
  const seps = [...t.matchAll(TITLE.separators)].filter((m) => m.index !== undefined)
  if (seps.length === 0 || seps.length > MAX_SEPARATORS) return t
  // Another title of the page equal to one side of a separator is the strongest sign of where the headline is.
  const agreeing = new Set(others.map(squash).filter((o) => o.length >= MIN_AGREEING_CHARS))
  for (const sep of [...seps].reverse()) {
    const index = sep.index ?? 0
    const head = t.slice(0, index).trim()
    const tail = t.slice(index + sep[0].length).trim()
    if (agreeing.has(squash(head))) return head
    if (agreeing.has(squash(tail))) return tail
  }
  const last = seps[seps.length - 1]
  if (last !== undefined) {
    const index = last.index ?? 0
    const head = t.slice(0, index).trim()
    const tail = t.slice(index + last[0].length).trim()
    if (head !== '' && namesSite(tail, siteNames)) return stripSiteName(head, siteNames, others)
    // "Headline | Section" needs no name to be recognised: a pipe almost never sits inside a headline.
    if (TITLE.pipe.test(last[0]) && wordCount(tail) <= DEFAULT_MAX_SUFFIX_WORDS && wordCount(head) >= 3) {
      return stripSiteName(head, siteNames, others)
    }
  }
  const first = seps[0]
  if (first !== undefined) {
    const index = first.index ?? 0
    const head = t.slice(0, index).trim()
    const tail = t.slice(index + first[0].length).trim()
    if (tail !== '' && namesSite(head, siteNames)) return stripSiteName(tail, siteNames, others)
  }
  return t
}

/** Every title a page gives for itself. */
export interface TitleCandidates {
  documentTitle: string | null
  headline: string | null
  metaTitles: readonly string[]
  headings: readonly string[]
  /** A guess of last resort (Readability's). */
  fallback: string | null
}

function usable(title: string, siteNames: readonly string[]): boolean {
  return squash(title).length >= DEFAULT_MIN_TITLE_CHARS && !namesSite(title, siteNames)
}

/** The page's headline: its <title> without the site name, else the first usable metadata title or heading. */
export function chooseTitle(c: TitleCandidates, siteNames: readonly string[]): string | null {
  const others = [c.headline, ...c.metaTitles, ...c.headings].filter((t): t is string => t !== null && t !== '')
  if (c.documentTitle) {
    const stripped = stripSiteName(c.documentTitle, siteNames, others)
    if (usable(stripped, siteNames)) {
      // A <title> cut short with an ellipsis: a longer title continuing it is the whole headline.
      if (TITLE.ellipsis.test(stripped)) {
        const start = squash(stripped.replace(TITLE.ellipsis, ''))
        const longer = others.find((o) => squash(o).startsWith(start) && squash(o).length > start.length)
        if (longer !== undefined) return stripSiteName(longer, siteNames)
      }
      return stripped
    }
  }
  for (const t of [...c.metaTitles, c.headline, c.fallback, ...c.headings]) {
    if (!t) continue
    const stripped = stripSiteName(t, siteNames, others)
    if (usable(stripped, siteNames)) return stripped
  }
  return null
}
