/**
 * Word counts that mean something in every script: Intl.Segmenter (ICU, in Node and workerd) splits
 * Japanese and Chinese into dictionary words and Korean at spaces (eojeol), Latin text at word boundaries.
 */

const WORD_FALLBACK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]|[\p{L}\p{N}]+(?:['’.-][\p{L}\p{N}]+)*/gu

let segmenter: Intl.Segmenter | null | undefined

function wordSegmenter(): Intl.Segmenter | null {
  if (segmenter === undefined) {
    try {
      segmenter = new Intl.Segmenter(undefined, { granularity: 'word' })
    } catch {
      segmenter = null
    }
  }
  return segmenter
}

/** Number of words in a text (word-like segments; punctuation and spaces do not count). */
export function countWords(text: string): number {
  const seg = wordSegmenter()
  if (seg === null) return text.match(WORD_FALLBACK)?.length ?? 0
  let n = 0
  for (const part of seg.segment(text)) if (part.isWordLike) n++
  return n
}
