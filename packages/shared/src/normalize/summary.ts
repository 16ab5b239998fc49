/** Short summaries for result lists: the opening sentences of the body, cut at a word boundary. */

/** Longest summary in characters. */
export const DEFAULT_SUMMARY_CHARS = 300

/** Sentences taken at most. */
export const DEFAULT_SUMMARY_SENTENCES = 2

/** Paragraphs shorter than this at the top are headings or kickers, not the opening of the story. */
const MIN_LEAD_CHARS = 40

const ELLIPSIS = '…'

let sentenceSegmenter: Intl.Segmenter | null | undefined

function sentences(text: string): string[] {
  if (sentenceSegmenter === undefined) {
    try {
      sentenceSegmenter = new Intl.Segmenter(undefined, { granularity: 'sentence' })
    } catch {
      sentenceSegmenter = null
    }
  }
  if (sentenceSegmenter === null) return text.split(/(?<=[.!?。！？])\s*/u).filter((s) => s.trim() !== '')
  return Array.from(sentenceSegmenter.segment(text), (s) => s.segment).filter((s) => s.trim() !== '')
}

/** Cuts text to at most `max` characters at a word boundary (or anywhere for scripts without spaces), adding an ellipsis. */
export function truncateAtWord(text: string, max: number): string {
  const chars = Array.from(text)
  if (chars.length <= max) return text
  const head = chars.slice(0, max - 1).join('')
  const space = head.lastIndexOf(' ')
  // Without a space in the last part the text is CJK or one long word: cut at the character limit.
  const cut = space >= head.length * 0.6 ? head.slice(0, space) : head
  return `${cut.replace(/[\s,;:.\-–—]+$/u, '')}${ELLIPSIS}`
}

/** First one or two sentences of the body, at most DEFAULT_SUMMARY_CHARS characters. */
export function summarize(body: string, maxChars: number = DEFAULT_SUMMARY_CHARS): string {
  const paragraphs = body.split('\n\n').filter((p) => p.trim() !== '')
  const lead = paragraphs.find((p) => p.length >= MIN_LEAD_CHARS) ?? paragraphs[0] ?? ''
  let summary = ''
  let count = 0
  for (const sentence of sentences(lead)) {
    const next = `${summary}${sentence}`
    if (count > 0 && next.trim().length > maxChars) break
    summary = next
    count++
    if (count >= DEFAULT_SUMMARY_SENTENCES) break
  }
  return truncateAtWord(summary.trim(), maxChars)
}
