import { describe, expect, it } from 'vitest'
import { DEFAULT_ANALYZER } from './analyzer'
import { QUERY_LIMITS } from './limits'
import { FUZZY_WEIGHT, parseQuery, type TermSource } from './query'

/** A dictionary where every word has 40 completions and 40 one-edit neighbours, and `df` documents. */
function source(df: (term: string) => number, docs = 100_000): TermSource {
  return {
    fuzzy: (term) => new Map(Array.from({ length: 40 }, (_, i) => [`${term}x${i}`, 1] as const)),
    completions: (prefix, limit) => Array.from({ length: Math.min(limit, 40) }, (_, i) => `${prefix}y${i}`),
    docFreq: df,
    docCount: () => docs,
  }
}

const on = { fuzzy: true, prefix: true }

describe('parseQuery', () => {
  it('weighs exact terms above every expansion', () => {
    const parsed = parseQuery(
      'rare wordz',
      DEFAULT_ANALYZER,
      source(() => 0),
      on,
    )
    const exact = parsed.terms.filter((t) => t.exact)
    const expanded = parsed.terms.filter((t) => !t.exact)
    expect(exact.map((t) => t.term).sort()).toEqual(['rare', 'wordz'])
    expect(Math.max(...expanded.map((t) => t.weight))).toBeLessThan(Math.min(...exact.map((t) => t.weight)))
    expect(Math.max(...expanded.map((t) => t.weight))).toBeLessThanOrEqual(0.5)
  })

  it('caps expansions per word', () => {
    const parsed = parseQuery(
      'rare wordz',
      DEFAULT_ANALYZER,
      source(() => 0),
      on,
    )
    const fuzzyOfRare = parsed.terms.filter((t) => t.term.startsWith('rarex'))
    const completions = parsed.terms.filter((t) => t.term.startsWith('wordzy'))
    expect(fuzzyOfRare).toHaveLength(QUERY_LIMITS.maxExpansionsPerTerm)
    expect(completions).toHaveLength(QUERY_LIMITS.maxExpansionsPerTerm)
    expect(fuzzyOfRare[0]?.weight).toBeCloseTo(FUZZY_WEIGHT)
  })

  it('expands only words the index barely knows, and completes only the last word', () => {
    const parsed = parseQuery(
      'common rare',
      DEFAULT_ANALYZER,
      source((t) => (t === 'common' ? 5000 : 0)),
      on,
    )
    expect(parsed.terms.some((t) => t.term.startsWith('commonx'))).toBe(false)
    expect(parsed.terms.some((t) => t.term.startsWith('commony'))).toBe(false)
    expect(parsed.terms.some((t) => t.term.startsWith('rarey'))).toBe(true)
    // a trailing space ends the word: nothing to complete
    expect(
      parseQuery(
        'common rare ',
        DEFAULT_ANALYZER,
        source(() => 0),
        on,
      ).completions.size,
    ).toBe(0)
  })

  it('bounds the number of distinct terms and the length read', () => {
    const words = Array.from({ length: 200 }, (_, i) => `w${i}`).join(' ')
    const parsed = parseQuery(
      words,
      DEFAULT_ANALYZER,
      source(() => 0),
      { fuzzy: false, prefix: false },
    )
    expect(parsed.terms.length).toBeLessThanOrEqual(QUERY_LIMITS.maxTerms)
    const long = parseQuery(
      'a'.repeat(300),
      DEFAULT_ANALYZER,
      source(() => 0),
      { fuzzy: false, prefix: false },
    )
    expect(long.terms[0]?.term.length ?? 0).toBeLessThanOrEqual(QUERY_LIMITS.maxQueryChars)
  })

  it('does nothing fuzzy or prefix when asked not to', () => {
    const parsed = parseQuery(
      'rare wordz',
      DEFAULT_ANALYZER,
      source(() => 0),
      { fuzzy: false, prefix: false },
    )
    expect(parsed.terms.every((t) => t.exact)).toBe(true)
  })
})
