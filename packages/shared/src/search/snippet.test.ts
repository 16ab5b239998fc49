import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DEFAULT_ANALYZER } from './analyzer'
import { snippetMaker } from './snippet'

/**
 * Words that make the candidate scan work: stems that change their third letter, compounds and possessives (parts
 * found inside a longer token), accents after the first letter, capitals, numbers, stop words, Korean and Japanese,
 * HTML to escape. Left out on purpose, as the scan treats them otherwise and always did: a word accented on its first
 * letter (Écu) and a dotted abbreviation (U.S. → us), which it does not mark, and the part after a dot of a number or
 * an abbreviation (the 4 of 7.4), which it marks though analysis keeps 7.4 whole.
 */
const WORDS = [
  'Flying',
  'flies',
  'fly',
  'co-founders',
  'cofounder',
  'Zürich',
  'zurich',
  'naïve',
  'NAIVE',
  "company's",
  'companies',
  'Company',
  'the',
  'of',
  'and',
  'state-of-the-art',
  'art',
  'BANKING',
  'bankers',
  'bank',
  'Αθήνα',
  'Việt',
  'Kyung-wha',
  'AT&T',
  'e-mail',
  'mail',
  'oil',
  'OIL',
  'crude',
  'prices',
  'price',
  "O'Neill",
  'neill',
  '155,221',
  'mln',
  'dlrs',
  'a<b',
  '"quoted"',
  'Tokyo',
  '東京',
  '일본의',
  '일본이',
]
const SEPARATORS = [' ', ' ', ' ', '\n', '\n\n   ', ', ', '. ', ' & ']

describe('snippets', () => {
  it('found by the candidate scan are the snippets of the body analysed in full (property)', () => {
    const body = fc
      .array(fc.tuple(fc.constantFrom(...WORDS), fc.constantFrom(...SEPARATORS)), { maxLength: 300, size: 'max' })
      .map((parts) => parts.map(([word, separator]) => word + separator).join(''))
    const query = fc.uniqueArray(fc.tuple(fc.constantFrom(...WORDS), fc.constantFrom(1, 0.5, 0.3, 0.09, 0.21)), {
      minLength: 1,
      maxLength: 8,
      selector: ([word]) => word,
    })
    fc.assert(
      fc.property(fc.array(body, { minLength: 1, maxLength: 4 }), query, (bodies, words) => {
        const weights = new Map<string, number>()
        for (const [word, weight] of words) for (const term of DEFAULT_ANALYZER.terms(word)) weights.set(term, weight)
        // One maker per query for several bodies, as a search makes them: its words are analysed once.
        const candidates = snippetMaker(weights, DEFAULT_ANALYZER)
        const full = snippetMaker(weights, DEFAULT_ANALYZER, [], 'full')
        for (const text of bodies) expect(candidates(text)).toBe(full(text))
      }),
      { numRuns: 300 },
    )
  })

  it('mark the words of the densest passage, each distinct term counted once', () => {
    // Three "oil" early on weigh less than oil and crude together later.
    const body = `oil oil oil ${'filler '.repeat(40)}crude oil prices`
    const snippet = snippetMaker(
      new Map([
        ['oil', 1],
        ['crude', 1],
      ]),
      DEFAULT_ANALYZER,
    )(body)
    expect(snippet).toContain('<mark>crude</mark> <mark>oil</mark> prices')
    expect(snippet.startsWith('…')).toBe(true)
  })
})
