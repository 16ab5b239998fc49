/**
 * Headlines without the site's name: "Story - Site Name", "Site | Story". The page's own <h1> and
 * site name decide when they can; otherwise a short trailing segment after a separator is taken as the site.
 */

/** A trailing segment with at most this many words may be a site name. */
export const DEFAULT_MAX_SUFFIX_WORDS = 5

/** What remains after stripping must keep at least this many words, else the title is left whole. */
export const DEFAULT_MIN_TITLE_WORDS = 3

const TITLE = {
  separators: / (?:[|\-–—:·•«»/]|::|\/\/) /gu,
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
    return n !== '' && (n === s || (n.length >= 3 && (s.includes(n) || n.includes(s))))
  })
}

/** Names a site goes by, from its metadata and host ("www.wsj.com" gives "wsj"). */
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

/** The title without a leading or trailing site name segment. */
export function stripSiteName(title: string, siteNames: readonly string[], headings: readonly string[] = []): string {
  const t = title.trim()
  // The page's headline element agreeing with part of the title is the strongest sign of where the story is.
  for (const h of headings) {
    const sh = squash(h)
    if (sh.length >= 10 && squash(t).startsWith(sh) && wordCount(h) >= DEFAULT_MIN_TITLE_WORDS) return h.trim()
  }
  const seps = [...t.matchAll(TITLE.separators)]
  if (seps.length === 0) return t
  const last = seps[seps.length - 1]
  const first = seps[0]
  if (last?.index !== undefined) {
    const head = t.slice(0, last.index)
    const tail = t.slice(last.index + last[0].length)
    if (namesSite(tail, siteNames) && wordCount(head) >= 1) return stripSiteName(head, siteNames)
    if (
      wordCount(tail) <= DEFAULT_MAX_SUFFIX_WORDS &&
      wordCount(head) >= DEFAULT_MIN_TITLE_WORDS &&
      /[|\-–—·•«»]/u.test(last[0]) &&
      siteNames.length === 0
    )
      return head.trim()
  }
  if (first?.index !== undefined) {
    const head = t.slice(0, first.index)
    const tail = t.slice(first.index + first[0].length)
    if (namesSite(head, siteNames) && wordCount(tail) >= DEFAULT_MIN_TITLE_WORDS) return tail.trim()
  }
  return t
}
