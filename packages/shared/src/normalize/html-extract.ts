/**
 * HTML path: the page's own metadata first, then the article body found by Mozilla Readability
 * (on linkedom, which runs in workerd), turned into plain paragraphs and cleaned of furniture.
 */
import { Readability } from '@mozilla/readability'
import { isJunkLine } from './boilerplate'
import { dropLinkRuns } from './content-filter'
import { type DomDocument, type DomElement, nestsDeeperThan, parseDocument } from './dom'
import { blockTexts } from './dom-text'
import { preClean } from './html-clean'
import { type PageMetadata, readMetadata } from './metadata'

/** Readability's minimum article length in characters before it retries with looser rules. */
export const DEFAULT_CHAR_THRESHOLD = 500

/** Markup nested deeper than this is generated junk or an attack; it is read as text instead of as a DOM. */
export const DEFAULT_MAX_NESTING = 500

/**
 * Runs of whitespace in the markup, folded to one character before parsing. Whitespace between and inside elements
 * means nothing to the paragraphs we keep (each is collapsed to single spaces), but Readability spends tens of
 * microseconds per character of it: a megabyte of spaces would hold the article for a minute.
 */
const WHITESPACE_RUN = /[ \t\r\n\f\u00a0]{2,}/g
/** The markup as the parser will read it, without the whitespace runs that only cost time. */
function foldForParsing(html: string): string {
  return html.replace(WHITESPACE_RUN, (run) => (run.includes('\n') ? '\n' : run.includes('\u00a0') ? '\u00a0' : ' '))
}

/**
 * Pages with more "<" than this are read as text, without a DOM. Parsing and Readability cost up to ~80 µs per "<"
 * on markup-dense pages (a page of "<<<…" held an article for seconds per 100 KB); a real page has far fewer tags
 * (a long news page, ~10,000).
 */
export const DEFAULT_MAX_MARKUP_OPENINGS = 50_000

function countOpenings(html: string): number {
  let n = 0
  for (let i = html.indexOf('<'); i !== -1 && n <= DEFAULT_MAX_MARKUP_OPENINGS; i = html.indexOf('<', i + 1)) n++
  return n
}

/** Thrown when a page is not worth a DOM; the caller reads it as plain text. */
export class UnparseablePageError extends Error {}

/** What the HTML path finds in a page. */
export interface HtmlExtraction {
  metadata: PageMetadata
  /** Readability's own title guess, used when the page metadata has none. */
  readabilityTitle: string | null
  readabilityByline: string | null
  headings: string[]
  paragraphs: string[]
}

type ReadabilityDocument = ConstructorParameters<typeof Readability>[0]

function headingsOf(doc: DomDocument): string[] {
  return Array.from(doc.querySelectorAll('h1'))
    .map((h) => (h.textContent ?? '').replace(/\s+/g, ' ').trim())
    .filter((h) => h !== '')
    .slice(0, 3)
}

/** Extracts metadata and body paragraphs from a whole page or a fragment. */
export function extractFromHtml(page: string): HtmlExtraction {
  const html = foldForParsing(page)
  // Parsers and Readability walk ancestors; absurd nesting would cost minutes, so refuse it up front.
  if (countOpenings(html) > DEFAULT_MAX_MARKUP_OPENINGS) throw new UnparseablePageError('too much markup')
  if (nestsDeeperThan(html, DEFAULT_MAX_NESTING)) throw new UnparseablePageError('markup nested too deeply')
  const doc = parseDocument(html)
  const metadata = readMetadata(doc)
  const headings = headingsOf(doc)
  preClean(doc)
  let paragraphs: string[] = []
  let readabilityTitle: string | null = null
  let readabilityByline: string | null = null
  try {
    const reader = new Readability<DomNodeLike>(doc as unknown as ReadabilityDocument, {
      charThreshold: DEFAULT_CHAR_THRESHOLD,
      serializer: (node) => node as unknown as DomNodeLike,
    })
    const result = reader.parse()
    if (result?.content) {
      const content = result.content as unknown as DomElement
      dropLinkRuns(content)
      paragraphs = blockTexts(content)
    }
    readabilityTitle = result?.title ?? null
    readabilityByline = result?.byline ?? null
  } catch {
    // Readability gives up on some malformed pages; the fallback below still finds the text.
    paragraphs = []
  }
  if (paragraphs.length === 0) {
    // Readability found nothing (or failed half-way through the document): read the cleaned page whole.
    const fallback = parseDocument(html)
    preClean(fallback)
    paragraphs = fallback.body ? blockTexts(fallback.body) : []
  }
  return {
    metadata,
    readabilityTitle,
    readabilityByline,
    headings,
    paragraphs: paragraphs.filter((p) => !isJunkLine(p)),
  }
}

/** Opaque node handed back by Readability's serializer hook. */
interface DomNodeLike {
  readonly nodeType: number
}
