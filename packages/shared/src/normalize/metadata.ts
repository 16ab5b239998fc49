/**
 * What a page says about itself, read before any heuristic: JSON-LD (NewsArticle and friends), OpenGraph,
 * named meta tags, <time>, rel=canonical and <html lang>. Each field takes the first source that has it.
 */
import { all, type DomDocument } from './dom'
import { cleanMarkupInline } from './text-clean'

/** Metadata found in a page; null where the page says nothing usable. */
export interface PageMetadata {
  /** The <title> element, which usually carries the site suffix the other title sources lack. */
  documentTitle: string | null
  /** JSON-LD headline. */
  headline: string | null
  /** OpenGraph, Twitter card and other meta titles, in that order. */
  metaTitles: string[]
  byline: string | null
  published: string | null
  source: string | null
  canonicalUrl: string | null
  lang: string | null
  description: string | null
}

/** JSON-LD types that describe the article itself. */
const ARTICLE_TYPES: ReadonlySet<string> = new Set([
  'article',
  'newsarticle',
  'reportagenewsarticle',
  'analysisnewsarticle',
  'opinionnewsarticle',
  'reviewnewsarticle',
  'backgroundnewsarticle',
  'blogposting',
  'liveblogposting',
  'socialmediaposting',
  'scholarlyarticle',
  'techarticle',
  'report',
  'webpage',
])

type Json = string | number | boolean | null | Json[] | { [key: string]: Json }
type JsonObject = { [key: string]: Json }

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function typesOf(node: JsonObject): string[] {
  const t = node['@type']
  const list = Array.isArray(t) ? t : [t]
  return list.filter((x): x is string => typeof x === 'string').map((x) => x.toLowerCase())
}

/** All JSON-LD objects of the page, flattened through arrays and @graph. */
function jsonLdObjects(doc: DomDocument): JsonObject[] {
  const out: JsonObject[] = []
  const visit = (value: Json | undefined, depth: number): void => {
    if (depth > 4 || value === undefined) return
    if (Array.isArray(value)) {
      for (const v of value) visit(v, depth + 1)
    } else if (isObject(value)) {
      out.push(value)
      visit(value['@graph'], depth + 1)
    }
  }
  for (const script of all(doc, 'script[type="application/ld+json"]')) {
    const text = script.textContent ?? ''
    try {
      visit(JSON.parse(text.replace(/^\s*<!--|-->\s*$/g, '')) as Json, 0)
    } catch {
      // Broken JSON-LD is common; the other sources still answer.
    }
  }
  return out
}

function firstString(value: Json | undefined): string | null {
  if (typeof value === 'string') return value
  if (Array.isArray(value)) {
    for (const v of value) {
      const s = firstString(v)
      if (s !== null) return s
    }
  }
  if (isObject(value)) return firstString(value.name ?? value['@value'])
  return null
}

function namesOf(value: Json | undefined): string[] {
  if (typeof value === 'string') return [value]
  if (Array.isArray(value)) return value.flatMap(namesOf)
  if (isObject(value)) {
    const name = value.name
    return typeof name === 'string' ? [name] : Array.isArray(name) ? namesOf(name) : []
  }
  return []
}

const URLISH = /^(https?:)?\/\//i

/** Meta tag contents by lower-cased property/name/itemprop, first one kept; read in one pass over the page. */
type MetaIndex = ReadonlyMap<string, string>

function indexMeta(doc: DomDocument): MetaIndex {
  const index = new Map<string, string>()
  for (const el of all(doc, 'meta[content]')) {
    const content = el.getAttribute('content')?.trim()
    if (!content) continue
    for (const attr of ['property', 'name', 'itemprop']) {
      const key = el.getAttribute(attr)?.trim().toLowerCase()
      if (key && !index.has(key)) index.set(key, content)
    }
  }
  return index
}

function metaContent(meta: MetaIndex, keys: readonly string[]): string | null {
  for (const key of keys) {
    const content = meta.get(key.toLowerCase())
    if (content) return content
  }
  return null
}

function clean(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null
  const c = cleanMarkupInline(value)
  return c === '' ? null : c
}

/** Longer strings are not dates; they are never handed to the parsers. */
const MAX_DATE_CHARS = 200

/** ISO-8601 for a date string in any of the shapes pages use, or null when it cannot be read. */
export function toIsoDate(value: string | null | undefined): string | null {
  const raw = value?.trim()
  // The longest date shape ("Tuesday, 19 November 2019 10:48:00 GMT+0900 (Korean Standard Time)") is far shorter.
  if (!raw || raw.length > MAX_DATE_CHARS) return null
  let date = new Date(raw)
  if (Number.isNaN(date.getTime())) {
    // "2019-11-18 10:20:00 -0500", "20191118": shapes Date() refuses.
    const m = /^(\d{4})-?(\d{2})-?(\d{2})(?:[T ](\d{2}):?(\d{2})(?::?(\d{2}))?)?\s*(Z|[+-]\d{2}:?\d{2})?/.exec(raw)
    if (m === null) return null
    const [, y, mo, d, h = '00', mi = '00', s = '00', zone = 'Z'] = m
    const offset = zone === 'Z' ? 'Z' : `${zone.slice(0, 3)}:${zone.slice(-2)}`
    date = new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}${offset}`)
    if (Number.isNaN(date.getTime())) return null
  }
  const year = date.getUTCFullYear()
  // Outside this range a date is a placeholder or a parsing accident.
  if (year < 1800 || year > 2200) return null
  return date.toISOString()
}

function joinNames(names: readonly string[]): string | null {
  const cleaned = [...new Set(names.map((n) => clean(n)).filter((n): n is string => n !== null && !URLISH.test(n)))]
  return cleaned.length > 0 ? cleaned.join(', ') : null
}

/** What the metadata readers share: the meta tags by name, and the page's main JSON-LD article (or its web page). */
interface Sources {
  doc: DomDocument
  meta: MetaIndex
  /** The first JSON-LD article object, or null. */
  main: JsonObject | null
  /** A JSON-LD field of the article, or of a WebPage object when the article lacks it. */
  pick: (key: string) => Json | undefined
}

function sourcesOf(doc: DomDocument): Sources {
  const ld = jsonLdObjects(doc)
  const articles = ld.filter((o) => typesOf(o).some((t) => ARTICLE_TYPES.has(t) && t !== 'webpage'))
  const pages = ld.filter((o) => typesOf(o).includes('webpage'))
  const main = articles[0] ?? null
  const pick = (key: string): Json | undefined => main?.[key] ?? pages.find((p) => p[key] !== undefined)?.[key]
  return { doc, meta: indexMeta(doc), main, pick }
}

const META_TITLE_KEYS = [
  'og:title',
  'twitter:title',
  'parsely-title',
  'sailthru.title',
  'dc.title',
  'dcterms.title',
  'title',
]
const META_AUTHOR_KEYS = [
  'author',
  'parsely-author',
  'sailthru.author',
  'dc.creator',
  'dcterms.creator',
  'byl',
  'article:author',
]
const AUTHOR_SELECTOR =
  '[itemprop="author"] [itemprop="name"], [itemprop="author"], [rel="author"], .byline, .author-name, .article-byline'
const META_DATE_KEYS = [
  'article:published_time',
  'og:article:published_time',
  'datePublished',
  'parsely-pub-date',
  'sailthru.date',
  'pubdate',
  'publishdate',
  'publish-date',
  'date',
  'dc.date',
  'dc.date.issued',
  'dcterms.created',
  'dcterms.date',
  'article.published',
  'og:published_time',
  'cXenseParse:recs:publishtime',
]
const TIME_SELECTOR = '[itemprop="datePublished"], time[pubdate], article time[datetime], time[datetime]'

/** OpenGraph, Twitter card and other meta titles, in that order, without repeats. */
function metaTitlesOf({ meta }: Sources): string[] {
  const titles = META_TITLE_KEYS.map((key) => clean(metaContent(meta, [key]))).filter((t): t is string => t !== null)
  return [...new Set(titles)]
}

/** JSON-LD authors, else the meta author, else a short byline element of the page. */
function bylineOf({ doc, meta, main }: Sources): string | null {
  const ldAuthors = main ? namesOf(main.author ?? main.creator) : []
  const metaAuthor = metaContent(meta, META_AUTHOR_KEYS)
  const relAuthor = doc.querySelector(AUTHOR_SELECTOR)?.textContent ?? null
  return (
    joinNames(ldAuthors) ??
    joinNames(metaAuthor ? [metaAuthor] : []) ??
    clean(relAuthor && relAuthor.trim().length < 150 ? relAuthor : null)
  )
}

/** JSON-LD datePublished, else a meta date, else a <time> element. */
function publishedOf({ doc, meta, pick }: Sources): string | null {
  const timeEl = doc.querySelector(TIME_SELECTOR)
  return (
    toIsoDate(firstString(pick('datePublished'))) ??
    toIsoDate(metaContent(meta, META_DATE_KEYS)) ??
    toIsoDate(timeEl?.getAttribute('datetime') ?? timeEl?.getAttribute('content') ?? null)
  )
}

/** The site's name: og:site_name and friends, else the JSON-LD publisher. */
function sourceOf({ meta, main }: Sources): string | null {
  const publisher = main?.publisher
  return (
    clean(metaContent(meta, ['og:site_name', 'application-name', 'al:ios:app_name'])) ??
    clean(isObject(publisher) || Array.isArray(publisher) ? firstString(publisher) : null)
  )
}

/** The language the page declares: <html lang>, JSON-LD inLanguage, then meta tags. */
function langOf({ doc, meta, pick }: Sources): string | null {
  const lang =
    doc.documentElement?.getAttribute('lang') ??
    doc.documentElement?.getAttribute('xml:lang') ??
    firstString(pick('inLanguage')) ??
    metaContent(meta, ['og:locale', 'content-language', 'language', 'dc.language']) ??
    doc.querySelector('meta[http-equiv="content-language" i]')?.getAttribute('content') ??
    null
  return lang?.trim() || null
}

/** Reads the page's own metadata. Call before anything mutates the document. */
export function readMetadata(doc: DomDocument): PageMetadata {
  const sources = sourcesOf(doc)
  const canonical =
    doc.querySelector('link[rel="canonical"]')?.getAttribute('href') ?? metaContent(sources.meta, ['og:url']) ?? null
  return {
    documentTitle: clean(doc.querySelector('title')?.textContent ?? null),
    headline: clean(firstString(sources.pick('headline'))),
    metaTitles: metaTitlesOf(sources),
    byline: bylineOf(sources),
    published: publishedOf(sources),
    source: sourceOf(sources),
    canonicalUrl: canonical?.trim() || null,
    lang: langOf(sources),
    description: clean(metaContent(sources.meta, ['og:description', 'description', 'twitter:description'])),
  }
}
