/**
 * One clean Article from whatever a publisher sends: whole pages, fragments, scraped text or clean JSON.
 * Explicit fields win over what the page says about itself, which wins over heuristics.
 */
import type { Article, ArticleInput } from '../article'
import { isSignOff } from './boilerplate'
import { authorFromByline, cleanByline, parseBylineLine } from './byline'
import { contentHashOf } from './hash'
import { extractFromHtml } from './html-extract'
import { articleIdFor } from './id'
import { resolveLang } from './lang'
import { toIsoDate } from './metadata'
import { summarize, truncateAtWord } from './summary'
import { cleanInline, cleanMarkupInline, decodeEntities, joinParagraphs, stripTags } from './text-clean'
import { extractFromText } from './text-extract'
import { chooseTitle, siteNamesFor, stripSiteName, type TitleCandidates } from './title'
import { canonicalizeUrl } from './url'
import { countWords } from './word-count'

/** Longest title kept, in characters; a fallback title made from the body is cut shorter. */
export const DEFAULT_MAX_TITLE_CHARS = 300
export const DEFAULT_FALLBACK_TITLE_CHARS = 120

/**
 * CPU time one article may take to normalize, in ms. Every pattern is linear and every input capped, so a real
 * article takes far less (the largest allowed, a few seconds on a loaded machine); past it the article is
 * refused (`rejected` with the reason) rather than holding its batch.
 */
export const DEFAULT_NORMALIZE_BUDGET_MS = 15_000

/** Thrown when an article's normalization passes its budget; the caller answers it `rejected`. */
export class NormalizeBudgetExceeded extends Error {}

/** How normalization is timed: a clock that advances while it runs (workerd's Date.now does), and the budget. */
export interface NormalizeOptions {
  budgetMs?: number
  clock?: () => number
}

/** Checks the time at a step's end: steps are linear, so no step runs far past the budget before this catches it. */
function checkpoint(options: Required<NormalizeOptions>, startedAt: number, step: string): void {
  const spent = options.clock() - startedAt
  if (spent > options.budgetMs) {
    throw new NormalizeBudgetExceeded(
      `normalization passed its CPU budget of ${options.budgetMs} ms (${spent} ms, at ${step})`,
    )
  }
}

/** Paragraphs at each end of the body searched for a byline to lift out. */
const BYLINE_EDGE = 3

/** Paragraphs at the end of the body searched for the author's sign-off. */
const SIGN_OFF_EDGE = 3

const NORMALIZE = {
  // Letters and digits only, lower case: how two strings are compared "as text".
  notAlnum: /[^\p{L}\p{N}]+/gu,
  // A tag left open or unclosed after stripping, in a page read as text.
  danglingTag: /<[^>]*>?/g,
  hostPrefix: /^www\d?\./,
} as const

interface Extracted {
  title: string | null
  /** Titles the page gives for itself, chosen from once the site's name is known. */
  titles: TitleCandidates | null
  byline: string | null
  published: string | null
  source: string | null
  canonicalUrl: string | null
  lang: string | null
  paragraphs: string[]
}

function nonEmpty(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null
  const c = cleanMarkupInline(value)
  return c === '' ? null : c
}

function fromHtml(html: string, knownTitle: string | null): Extracted {
  let page: ReturnType<typeof extractFromHtml>
  try {
    page = extractFromHtml(html)
  } catch {
    // A page the DOM cannot hold (absurd nesting, broken encodings) still has text: read it without markup.
    return fromText(decodeEntities(stripTags(html).replace(NORMALIZE.danglingTag, ' ')), knownTitle)
  }
  const m = page.metadata
  return {
    title: null,
    titles: {
      documentTitle: m.documentTitle,
      headline: m.headline,
      metaTitles: m.metaTitles,
      headings: page.headings,
      fallback: nonEmpty(page.readabilityTitle),
    },
    byline: cleanByline(m.byline) ?? cleanByline(nonEmpty(page.readabilityByline)),
    published: m.published,
    source: m.source,
    canonicalUrl: m.canonicalUrl,
    lang: m.lang,
    paragraphs: page.paragraphs,
  }
}

function fromText(text: string, knownTitle: string | null): Extracted {
  const t = extractFromText(text, knownTitle)
  return {
    title: t.title,
    titles: null,
    byline: t.byline,
    published: null,
    source: null,
    canonicalUrl: null,
    lang: null,
    paragraphs: t.paragraphs,
  }
}

function squash(text: string): string {
  return text.toLowerCase().replace(NORMALIZE.notAlnum, '')
}

/** Drops a repeated headline at the top, and byline lines or a bare author name at either end of the body. */
function trimEdges(
  paragraphs: string[],
  title: string,
  names: readonly (string | null)[],
): { paragraphs: string[]; byline: string | null } {
  let out = paragraphs
  const t = squash(title)
  while (out.length > 1 && t !== '' && squash(out[0] ?? '') === t) out = out.slice(1)
  const known = new Set(
    names
      .filter((n): n is string => n !== null)
      .map(squash)
      .filter((n) => n.length >= 4),
  )
  let byline: string | null = null
  const drop = new Set<number>()
  for (let i = 0; i < out.length; i++) {
    if (i >= BYLINE_EDGE && i < out.length - BYLINE_EDGE) continue
    const p = out[i] ?? ''
    const found = parseBylineLine(p)
    if (found !== null) {
      byline ??= found
      drop.add(i)
    } else if (out.length > 1 && known.has(squash(p))) {
      drop.add(i)
    }
  }
  return { paragraphs: out.filter((_, i) => !drop.has(i)), byline }
}

/** An absolute http(s) URL, canonical, or null. */
function absoluteHttpUrl(value: string | null, base: string | null): string | null {
  if (value === null) return null
  try {
    const url = base ? new URL(value, base) : new URL(value)
    return url.protocol === 'http:' || url.protocol === 'https:' ? canonicalizeUrl(url.href) : null
  } catch {
    return null
  }
}

/** The host as a last-resort source name ("www.example.com" gives "example.com"). */
function hostSource(url: string | null): string | null {
  if (url === null) return null
  try {
    return new URL(url).hostname.replace(NORMALIZE.hostPrefix, '') || null
  } catch {
    return null
  }
}

/** Tags as plain text, without duplicates (case-insensitive), in the order given. */
function cleanTags(tags: readonly string[] | undefined): string[] {
  const seen = new Set<string>()
  const out: string[] = []
  for (const tag of tags ?? []) {
    const c = cleanMarkupInline(tag)
    const key = c.toLowerCase()
    if (c !== '' && !seen.has(key)) {
      seen.add(key)
      out.push(c)
    }
  }
  return out
}

/** Turns one validated ArticleInput into the normalized Article. ingestedAt = updatedAt = now.toISOString(). */
export async function normalizeArticle(
  input: ArticleInput,
  now: Date,
  options: NormalizeOptions = {},
): Promise<Article> {
  const timing = { budgetMs: options.budgetMs ?? DEFAULT_NORMALIZE_BUDGET_MS, clock: options.clock ?? Date.now }
  const startedAt = timing.clock()
  const givenUrl = input.url ? absoluteHttpUrl(input.url, null) : null
  const givenTitle = nonEmpty(input.title)
  const html = input.html?.trim() ? input.html : null
  const text = input.text?.trim() ? input.text : null

  let found: Extracted = html !== null ? fromHtml(html, givenTitle) : fromText(text ?? '', givenTitle)
  // A page with no findable text but a text version alongside: the text is the better body.
  if (html !== null && text !== null && found.paragraphs.join(' ').length < text.trim().length / 2) {
    const t = fromText(text, givenTitle ?? found.title)
    found = { ...found, paragraphs: t.paragraphs, byline: found.byline ?? t.byline, title: t.title }
  }
  checkpoint(timing, startedAt, 'extraction')

  const pageUrl = absoluteHttpUrl(found.canonicalUrl, givenUrl)
  // The url sent is the article's identity (contract); the page's canonical link stands in only without one.
  const url = givenUrl ?? pageUrl
  const source = nonEmpty(input.source) ?? found.source ?? hostSource(url)
  const siteNames = siteNamesFor(source, url)
  const pageTitle = (found.titles ? chooseTitle(found.titles, siteNames) : null) ?? found.title
  const rawTitle = givenTitle ? stripSiteName(givenTitle, siteNames) : pageTitle
  let title = rawTitle ? cleanInline(rawTitle) : ''

  const own = new Set([givenUrl, pageUrl, input.url].filter((u): u is string => !!u).map(squash))
  // A line that is only this page's own address is a "copy link" box, and a sign-off is not the story.
  const paragraphs = found.paragraphs.filter(
    (p, i, list) => !own.has(squash(p)) && !(i >= list.length - SIGN_OFF_EDGE && isSignOff(p)),
  )
  const edges = trimEdges(paragraphs, title, [found.byline, nonEmpty(input.author)])
  const body = joinParagraphs(edges.paragraphs.map(cleanInline))
  if (title === '') title = truncateAtWord(body.split('\n\n')[0] ?? '', DEFAULT_FALLBACK_TITLE_CHARS)
  title = truncateAtWord(title, DEFAULT_MAX_TITLE_CHARS)

  const givenAuthor = cleanByline(nonEmpty(input.author)) ?? nonEmpty(input.author)
  const byline = found.byline ?? edges.byline ?? givenAuthor
  const author = givenAuthor ?? (byline ? authorFromByline(byline) || null : null)
  checkpoint(timing, startedAt, 'cleaning')
  const lang = await resolveLang([input.lang, found.lang], `${title}\n${body}`)
  const wordCount = countWords(body)
  checkpoint(timing, startedAt, 'language and words')

  return {
    id: await articleIdFor({ url: givenUrl, externalId: input.externalId ?? null }),
    url,
    externalId: input.externalId ?? null,
    title,
    byline,
    author,
    published: toIsoDate(input.published) ?? found.published,
    source,
    lang,
    tags: cleanTags(input.tags),
    body,
    summary: summarize(body),
    wordCount,
    contentHash: await contentHashOf(title, body),
    ingestedAt: now.toISOString(),
    updatedAt: now.toISOString(),
  }
}
