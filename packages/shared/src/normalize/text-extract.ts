/**
 * Plain-text path: text as a scraper left it (navigation lines, the headline on top, a byline cut off at the
 * end) becomes a headline, a byline and clean paragraphs.
 */
import { isJunkLine } from './boilerplate'
import { parseBylineLine } from './byline'
import { foldCharacters, dropHugeTokens, splitBlocks } from './text-clean'

/** A first paragraph this short, without a closing period, followed by more text, is the headline. */
export const DEFAULT_MAX_HEADLINE_CHARS = 250

/** Lines up to this long that fill the width are taken as hard-wrapped prose and joined. */
export const DEFAULT_MAX_WRAP_WIDTH = 100

/** Paragraphs searched for a byline at the top and at the bottom of the text. */
export const DEFAULT_BYLINE_SEARCH = 3

const TEXT = {
  sentenceEnd: /[.!?。！？:"”’»)]$/u,
  startsLowerOrDigit: /^[\p{Ll}\d(]/u,
  headlineEnd: /[.;,]$/u,
} as const

/** What the text path finds in a text. */
export interface TextExtraction {
  title: string | null
  byline: string | null
  paragraphs: string[]
}

/** Hard-wrapped lines (Reuters-style) are joined; lines of a list or one-paragraph-per-line text stay apart. */
function linesToParagraphs(lines: readonly string[]): string[] {
  if (lines.length === 1) return [...lines]
  const width = Math.max(...lines.map((l) => l.length))
  const wrapped = width <= DEFAULT_MAX_WRAP_WIDTH
  const out: string[] = []
  let current = ''
  let lastLineLength = 0
  for (const line of lines) {
    const continues =
      current !== '' &&
      wrapped &&
      ((lastLineLength >= width * 0.6 && !TEXT.sentenceEnd.test(current)) || TEXT.startsLowerOrDigit.test(line))
    if (continues) current = `${current} ${line}`
    else {
      if (current !== '') out.push(current)
      current = line
    }
    lastLineLength = line.length
  }
  if (current !== '') out.push(current)
  return out
}

function sameText(a: string, b: string): boolean {
  const norm = (s: string) =>
    s
      .toLowerCase()
      .replace(/[\s\p{P}]+/gu, ' ')
      .trim()
  return norm(a) === norm(b)
}

function looksLikeHeadline(paragraph: string, rest: readonly string[]): boolean {
  if (paragraph.length > DEFAULT_MAX_HEADLINE_CHARS || TEXT.headlineEnd.test(paragraph)) return false
  if (parseBylineLine(paragraph) !== null) return false
  // A headline is followed by the story; a lone line is the whole text.
  return rest.join(' ').length > paragraph.length
}

/** Splits scraped text into headline, byline and paragraphs, dropping navigation lines and a cut-off byline. */
export function extractFromText(text: string, knownTitle: string | null): TextExtraction {
  const blocks = splitBlocks(dropHugeTokens(foldCharacters(text)))
  let paragraphs = blocks.flatMap(linesToParagraphs).filter((p) => !isJunkLine(p))

  let title: string | null = null
  const first = paragraphs[0]
  if (first !== undefined) {
    if (knownTitle !== null && sameText(first, knownTitle)) {
      paragraphs = paragraphs.slice(1)
    } else if (knownTitle === null && looksLikeHeadline(first, paragraphs.slice(1))) {
      title = first
      paragraphs = paragraphs.slice(1)
    }
  }

  // A byline sits right under the headline or at the very end; anywhere else a "By ..." line is prose.
  let byline: string | null = null
  const candidates = [
    ...paragraphs.slice(0, DEFAULT_BYLINE_SEARCH).map((_, i) => i),
    ...paragraphs.slice(-DEFAULT_BYLINE_SEARCH).map((_, i) => paragraphs.length - 1 - i),
  ]
  const drop = new Set<number>()
  for (const i of candidates) {
    const p = paragraphs[i]
    if (p === undefined || drop.has(i)) continue
    const found = parseBylineLine(p)
    if (found !== null) {
      byline ??= found
      drop.add(i)
    }
  }
  paragraphs = paragraphs.filter((_, i) => !drop.has(i))
  return { title, byline, paragraphs }
}
