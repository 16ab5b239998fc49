/**
 * Plain-text path: text as a scraper left it (navigation lines, the headline on top, a byline cut off at the
 * end) becomes a headline, a byline and clean paragraphs.
 */
import { isJunkLine } from './boilerplate'
import { parseBylineLine } from './byline'
import { dropHugeTokens, foldCharacters, splitBlocks } from './text-clean'

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
  indentedLine: /\n {2,}(?=\S)/g,
} as const

/** What the text path finds in a text. */
export interface TextExtraction {
  title: string | null
  byline: string | null
  paragraphs: string[]
}

/** A wrapped line this short without closing punctuation may still go on ("...BP North America / Inc said"). */
const OPEN_LINE_SHARE = 0.4

/**
 * Hard-wrapped lines (Reuters-style, all lines short) are joined into paragraphs; text with one paragraph per
 * line keeps its lines apart. A line ending a sentence ends its paragraph. The text's first line may be a
 * headline (when no title was given), so it only takes a continuation in lower case.
 */
function linesToParagraphs(lines: readonly string[], isTextStart: boolean): string[] {
  if (lines.length === 1) return [...lines]
  const width = Math.max(...lines.map((l) => l.length))
  const wrapped = width <= DEFAULT_MAX_WRAP_WIDTH
  const out: string[] = []
  let current = ''
  let lastLine = ''
  for (const line of lines) {
    const opensBlock = isTextStart && out.length === 0 && current === lastLine
    const standsAlone = isJunkLine(line) || parseBylineLine(line) !== null || isJunkLine(lastLine)
    const goesOn =
      TEXT.startsLowerOrDigit.test(line) ||
      (!opensBlock && lastLine.length >= width * OPEN_LINE_SHARE && !TEXT.sentenceEnd.test(lastLine))
    if (current !== '' && wrapped && !standsAlone && goesOn) current = `${current} ${line}`
    else {
      if (current !== '') out.push(current)
      current = line
    }
    lastLine = line
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
  // An indented line opens a paragraph in hard-wrapped text: make that a blank line before splitting.
  const folded = dropHugeTokens(foldCharacters(text)).replace(TEXT.indentedLine, '\n\n')
  const blocks = splitBlocks(folded)
  let paragraphs = blocks
    .flatMap((lines, i) => linesToParagraphs(lines, i === 0 && knownTitle === null))
    .filter((p) => !isJunkLine(p))

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
