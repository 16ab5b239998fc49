/**
 * The query language of `q`, before analysis:
 *
 *   words              any of them (ranked by BM25F with proximity; typo-tolerant, the last word completed)
 *   "a phrase"         these words in this order, adjacent after analysis (stop words keep their place); required
 *   -word              no document containing the word (after analysis: -oil also excludes "oils")
 *   -"a phrase"        no document containing the phrase
 *
 * A quote without its closing partner is ignored (the words after it are plain words), so text typed into a search
 * box always means something. Curly quotes (“ ” „) count as quotes. A `-` starts an exclusion only at the start of
 * a word and before a letter or a quote: Kyung-wha and e-mail are words, -5 is a number.
 */
export interface QuerySyntax {
  /** the plain words, as one text (ends with a space unless the query ended in a plain word being typed) */
  words: string
  /** required phrases, as typed between the quotes */
  phrases: string[]
  /** excluded words and phrases, as typed */
  excluded: string[]
  /** whether the query asks for anything (a word or a phrase), rather than only excluding */
  positive: boolean
}

const QUOTES = new Set(['"', '\u201c', '\u201d', '\u201e'])
const SPACE_RE = /\s/u
const EXCLUDED_START_RE = /[\p{L}"\u201c\u201d\u201e]/u

/** Splits `q` into plain words, phrases and exclusions; never fails. */
export function parseQuerySyntax(q: string): QuerySyntax {
  const words: string[] = []
  const phrases: string[] = []
  const excluded: string[] = []
  let endsInWord = false
  let i = 0
  const closingQuote = (from: number): number => {
    for (let j = from; j < q.length; j++) if (QUOTES.has(q.charAt(j))) return j
    return -1
  }
  while (i < q.length) {
    const c = q.charAt(i)
    if (SPACE_RE.test(c)) {
      endsInWord = false
      i++
      continue
    }
    // -word and -"phrase"; a minus before a digit is a negative number (-5), before a space or dash punctuation.
    const negated = c === '-' && i + 1 < q.length && EXCLUDED_START_RE.test(q.charAt(i + 1))
    const at = negated ? i + 1 : i
    if (QUOTES.has(q.charAt(at))) {
      const close = closingQuote(at + 1)
      if (close < 0) {
        // Unbalanced: drop the quote (and its minus) and read on as plain words.
        i = at + 1
        continue
      }
      const text = q.slice(at + 1, close).trim()
      if (text !== '') (negated ? excluded : phrases).push(text)
      endsInWord = false
      i = close + 1
      continue
    }
    let end = at
    while (end < q.length && !SPACE_RE.test(q.charAt(end)) && !QUOTES.has(q.charAt(end))) end++
    const word = q.slice(at, end)
    if (negated) {
      excluded.push(word)
      endsInWord = false
    } else {
      words.push(word)
      endsInWord = end === q.length
    }
    i = end
  }
  const text = words.join(' ')
  return {
    words: endsInWord ? text : `${text} `,
    phrases,
    excluded,
    positive: words.length > 0 || phrases.length > 0,
  }
}
