import { describe, expect, it } from 'vitest'
import type { ArticleInput } from '../article'
import { isJunkLine, isSignOff } from './boilerplate'
import { authorFromByline, cleanByline, parseBylineLine } from './byline'
import { extractFromHtml, UnparseablePageError } from './html-extract'
import { detectLang } from './lang'
import { toIsoDate } from './metadata'
import { normalizeArticle } from './normalize-article'
import { summarize, truncateAtWord } from './summary'
import { cleanInline, cleanMarkupInline, decodeEntities, splitBlocks, stripTags } from './text-clean'
import { extractFromText } from './text-extract'
import { chooseTitle, stripSiteName } from './title'
import { canonicalizeUrl } from './url'
import { countWords } from './word-count'

/**
 * Inputs built to hurt backtracking regular expressions: nested-quantifier bait, long runs without the token that
 * would close a match, 1 MB lines and 100k-character metadata. Every normalizer entry point must get through each of
 * them (a pattern exponential or quadratic in its input would hold a test here for minutes, past its timeout).
 */
const NOW = new Date('2026-01-01T00:00:00Z')

/** A bait: a short seed repeated to the size asked, with an optional prefix and a last character that breaks a match. */
interface Bait {
  name: string
  make: (chars: number) => string
}

const repeat =
  (prefix: string, unit: string, end = '') =>
  (chars: number) =>
    `${prefix}${unit.repeat(Math.max(1, Math.floor((chars - prefix.length - end.length) / unit.length)))}${end}`

const BAITS: readonly Bait[] = [
  { name: 'shortcode without its closing bracket', make: repeat('[x', ' a=1') },
  { name: 'spaces without a newline', make: repeat('a', ' ', 'x') },
  { name: 'spaces and tabs around nothing', make: repeat('', ' \t\u00a0', '.') },
  { name: 'newlines and spaces', make: repeat('a', '\n \n  ', 'x') },
  { name: 'unclosed script tags', make: repeat('', '<script>x') },
  { name: 'unclosed comments', make: repeat('', '<!--x') },
  { name: 'unclosed tags', make: repeat('', '<a href=x ') },
  { name: 'lone angle brackets', make: repeat('', '<') },
  { name: 'ampersands', make: repeat('', '&#x') },
  { name: 'byline with a long capitalised tail', make: repeat('By Ann Lee,', 'A', '!') },
  { name: 'byline of many names', make: repeat('By Ann', ' and Lee', ' x') },
  { name: 'capitalised words', make: repeat('', 'Ab ', '!') },
  { name: 'name, spaces, junk', make: repeat('Ann', ' ', 'x') },
  { name: 'dateline words', make: repeat('Published: ', '1 ', 'x') },
  { name: 'separators', make: repeat('Title', ' | a', '') },
  { name: 'dashes', make: repeat('', ' - ', 'x') },
  { name: 'dots', make: repeat('', '.', 'x') },
  { name: 'ellipsis run', make: repeat('x', ' ', '...') },
  { name: 'one long word', make: repeat('', 'a', '') },
  { name: 'admin account bait', make: repeat('', 'admin', '!') },
  { name: 'copyright words', make: repeat('', 'copyright ', '©') },
  { name: 'sign-off bait', make: repeat('', 'follow him on ', '!') },
  { name: 'digits and dashes', make: repeat('', '2019-', 'x') },
  { name: 'url of slashes', make: repeat('https://example.com/', 'a/?utm_source=x&', '') },
  { name: 'Korean syllables', make: repeat('(', '가나다 ', '기자 =') },
  { name: 'apostrophes between letters', make: repeat('', "a'", "'") },
  { name: 'comment closers', make: repeat('', '-->  ', 'x') },
]

/**
 * Text paths take 1 MB lines; the HTML paths 100k characters: parsing and Readability are linear but cost up to
 * tens of microseconds a character on markup-dense bait (a page of "<<<…" takes seconds; the CPU budget per article,
 * in the ingest worker, answers such a page `rejected` rather than letting it hold a batch).
 */
const SIZES = [100_000, 1_000_000] as const
const HTML_SIZE = 100_000

function cases(sizes: readonly number[] = SIZES): { label: string; value: string }[] {
  return BAITS.flatMap((b) =>
    sizes.map((n) => ({ label: `${b.name} (${n.toLocaleString('en')} chars)`, value: b.make(n) })),
  )
}

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;')

/** One page putting the bait in every place the HTML path reads. */
function pageWith(bait: string): string {
  const attr = escapeAttr(bait)
  const ld = JSON.stringify({ '@type': 'NewsArticle', headline: bait, author: { name: bait }, datePublished: bait })
  return `<!doctype html><html lang="${attr}"><head><title>${bait}</title>
<meta name="author" content="${attr}"><meta property="og:title" content="${attr}">
<meta property="article:published_time" content="${attr}"><meta property="og:site_name" content="${attr}">
<link rel="canonical" href="${attr}"><script type="application/ld+json">${ld}</script></head>
<body><h1>${bait}</h1><p class="byline">${bait}</p><article><p>Real words of a real story come first here.</p><p>${bait}</p></article></body></html>`
}

// Each case takes about a second alone; the shared machine under a full suite can make it several.
describe('adversarial input at every normalizer entry point', { timeout: 60_000 }, () => {
  for (const { label, value } of cases()) {
    it(`normalizeArticle with text: ${label}`, async () => {
      const input: ArticleInput = { externalId: 'bait', text: `Real words come first.\n\n${value}\n\nAnd last.` }
      const a = await normalizeArticle(input, NOW)
      expect(a.body.startsWith('Real words come first.')).toBe(true)
    })

    it.runIf(value.length <= HTML_SIZE)(`normalizeArticle with every field of the input: ${label}`, async () => {
      const a = await normalizeArticle(
        {
          url: `https://example.com/${encodeURIComponent(value.slice(0, 2000))}`,
          title: value,
          author: value,
          published: value,
          source: value,
          lang: value.slice(0, 100),
          tags: [value, value],
          text: value,
        },
        NOW,
      )
      expect(a.title.length).toBeLessThanOrEqual(301)
    })

    it(`line, title, byline, date, url and text helpers: ${label}`, async () => {
      expect(typeof isJunkLine(value)).toBe('boolean')
      expect(typeof isSignOff(value)).toBe('boolean')
      expect(parseBylineLine(value)).toBeNull()
      expect(cleanByline(value)).toBeNull()
      authorFromByline(value)
      expect(toIsoDate(value)).toBeNull()
      stripSiteName(value, ['example.com', 'Example'], [value.slice(0, 200)])
      chooseTitle({ documentTitle: value, headline: value, metaTitles: [value], headings: [value], fallback: value }, [
        'example',
      ])
      expect(canonicalizeUrl(`https://example.com/?q=${value}`)).toMatch(/^https:\/\/example\.com\//)
      extractFromText(value, value)
      splitBlocks(value)
      cleanInline(value)
      cleanMarkupInline(value)
      decodeEntities(value)
      stripTags(value)
      await detectLang(value)
      countWords(value)
      summarize(value)
      expect(truncateAtWord(value, 300).length).toBeLessThanOrEqual(301)
    })
  }

  it('reads a page with more markup openings than a DOM is worth as text, keeping its words', async () => {
    const html = `<p>Words before the junk.</p>${'<'.repeat(1_000_000)}<p>Words after the junk.</p>`
    expect(() => extractFromHtml(html)).toThrow(UnparseablePageError)
    const a = await normalizeArticle({ externalId: 'openings', html }, NOW)
    expect(a.body).toContain('Words before the junk.')
  })

  for (const { label, value } of cases([HTML_SIZE])) {
    it(`normalizeArticle with html, the bait in every place a page is read: ${label}`, async () => {
      const a = await normalizeArticle({ url: 'https://example.com/a', html: pageWith(value) }, NOW)
      expect(a.id).toMatch(/^[0-9a-f]{32}$/)
      expect(a.byline === null || a.byline.length <= 120).toBe(true)
    })

    it(`extractFromHtml reads metadata and body, or refuses the page as unparseable: ${label}`, () => {
      try {
        expect(extractFromHtml(pageWith(value)).metadata).toBeDefined()
      } catch (err) {
        expect(err).toBeInstanceOf(UnparseablePageError)
      }
    })
  }
})
