import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fuzzyWalk, lowerBound } from './fuzzy'

/** Plain dynamic-programming Levenshtein distance, the reference. */
function levenshtein(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const next = [i]
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min((row[j] ?? 0) + 1, (next[j - 1] ?? 0) + 1, (row[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    row = next
  }
  return row[b.length] ?? 0
}

function walk(terms: string[], query: string, distance: number): Map<string, number> {
  const out = new Map<string, number>()
  fuzzyWalk(terms, query, distance, (i, d) => out.set(terms[i] ?? '', d))
  return out
}

describe('fuzzyWalk', () => {
  it('finds terms within the edit distance', () => {
    const terms = ['coffe', 'cocoa', 'market', 'marker', 'markets', 'toffee'].sort()
    expect(walk(terms, 'markte', 1)).toEqual(new Map())
    expect(walk(terms, 'markte', 2)).toEqual(
      new Map([
        ['market', 2],
        ['marker', 2],
        ['markets', 2],
      ]),
    )
    expect(walk(terms, 'market', 1)).toEqual(
      new Map([
        ['market', 0],
        ['marker', 1],
        ['markets', 1],
      ]),
    )
  })

  it('agrees with plain Levenshtein on any terms (property)', () => {
    const word = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd', '일', '본', '地'), maxLength: 7 })
    fc.assert(
      fc.property(fc.uniqueArray(word, { maxLength: 60 }), word, fc.integer({ min: 0, max: 2 }), (terms, q, d) => {
        terms.sort()
        const expected = new Map(terms.map((t) => [t, levenshtein(t, q)] as const).filter(([, x]) => x <= d))
        expect(walk(terms, q, d)).toEqual(expected)
      }),
      { numRuns: 300 },
    )
  })

  it('lowerBound finds the first term not below the key', () => {
    const terms = ['a', 'ab', 'b', 'ba', 'c']
    expect(lowerBound(terms, 'b')).toBe(2)
    expect(lowerBound(terms, 'bb')).toBe(4)
    expect(lowerBound(terms, 'z')).toBe(5)
  })
})
