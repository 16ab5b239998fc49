import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  fuzzyWalk,
  lowerBound,
  mergeIntoDictionary,
  mergeSorted,
  mergeSortedInSteps,
  scriptRange,
  TermDictionary,
  typoWalk,
} from './fuzzy'
import { TermList } from './term-list'

/** Plain dynamic-programming optimal string alignment distance (Levenshtein plus adjacent swaps), the reference. */
function editDistance(a: string, b: string): number {
  const d: number[][] = []
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = []
    for (let j = 0; j <= b.length; j++) {
      if (i === 0 || j === 0) {
        row.push(i + j)
        continue
      }
      const up = d[i - 1] ?? []
      let v = Math.min((up[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (up[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1))
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        v = Math.min(v, (d[i - 2]?.[j - 2] ?? 0) + 1)
      row.push(v)
    }
    d.push(row)
  }
  return d[a.length]?.[b.length] ?? 0
}

/** Short words over a small alphabet in three scripts, so that random lists share prefixes and cross script blocks. */
const word = fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'd', '일', '본', '地'), maxLength: 7 })

function walk(terms: string[], query: string, distance: number): Map<string, number> {
  const out = new Map<string, number>()
  fuzzyWalk(new TermDictionary(terms), query, distance, (i, d) => out.set(terms[i] ?? '', d))
  return out
}

describe('fuzzyWalk', () => {
  it('finds terms within the edit distance', () => {
    const terms = ['coffe', 'cocoa', 'market', 'marker', 'markets', 'toffee'].sort()
    expect(walk(terms, 'markte', 1)).toEqual(new Map([['market', 1]]))
    expect(walk(terms, 'markte', 2)).toEqual(
      new Map([
        ['market', 1],
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

  it('agrees with the plain edit distance on any terms (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(word, { maxLength: 60 }), word, fc.integer({ min: 0, max: 2 }), (terms, q, d) => {
        terms.sort()
        const expected = new Map(terms.map((t) => [t, editDistance(t, q)] as const).filter(([, x]) => x <= d))
        expect(walk(terms, q, d)).toEqual(expected)
      }),
      { numRuns: 300 },
    )
  })

  it('walks terms sharing prefixes longer than it counts (255 code units) exactly', () => {
    const long = 'x'.repeat(300)
    const terms = [`${long}a`, `${long}b`, `${long}bc`, `${long}zzz`, 'y'].sort()
    for (const q of [`${long}c`, `${long}zz`, `${long.slice(1)}b`]) {
      const expected = new Map(terms.map((t) => [t, editDistance(t, q)] as const).filter(([, x]) => x <= 2))
      expect(walk(terms, q, 2)).toEqual(expected)
    }
  })

  it('lowerBound finds the first term not below the key', () => {
    const terms = ['a', 'ab', 'b', 'ba', 'c']
    expect(lowerBound(terms, 'b')).toBe(2)
    expect(lowerBound(terms, 'bb')).toBe(4)
    expect(lowerBound(terms, 'z')).toBe(5)
  })
})

describe('typoWalk', () => {
  const typos = (terms: string[], query: string, max: number): Map<string, number> => {
    const out = new Map<string, number>()
    typoWalk(new TermDictionary(terms), query, max, (i, d) => out.set(terms[i] ?? '', d))
    return out
  }

  it('counts a changed first letter as two typos', () => {
    const terms = ['cocoa', 'coffee', 'toffee', 'offee'].sort()
    expect(typos(terms, 'coffe', 1)).toEqual(new Map([['coffee', 1]]))
    expect(typos(terms, 'coffee', 2)).toEqual(
      new Map([
        ['coffee', 0],
        ['toffee', 2],
        ['offee', 2],
      ]),
    )
  })

  it('walks the last code units of the BMP', () => {
    const terms = ['\uff00ab', '\uffffab', '\uffffac'].sort()
    expect(typos(terms, '\uffffab', 1)).toEqual(
      new Map([
        ['\uffffab', 0],
        ['\uffffac', 1],
      ]),
    )
  })

  it('agrees with the edit distance plus one for a different first letter, within the script (property)', () => {
    fc.assert(
      fc.property(fc.uniqueArray(word, { maxLength: 60 }), word, fc.integer({ min: 0, max: 2 }), (terms, q, max) => {
        terms.sort()
        const [lo, hi] = q === '' ? [0, 0] : scriptRange(TermList.of(terms), q)
        const expected = new Map(
          terms
            .slice(lo, hi)
            .map((t) => [t, editDistance(t, q) + (t.charAt(0) === q.charAt(0) ? 0 : 1)] as const)
            .filter(([, x]) => x <= max),
        )
        expect(typos(terms, q, max)).toEqual(expected)
      }),
      { numRuns: 300 },
    )
  })
})

describe('merging sorted term lists', () => {
  const sortedSet = fc.uniqueArray(word, { maxLength: 60 }).map((terms) => terms.sort())

  it('gives every term once, sorted, in steps or at once', () => {
    fc.assert(
      fc.property(fc.array(sortedSet, { maxLength: 7 }), fc.integer({ min: 1, max: 50 }), (lists, stepTerms) => {
        const expected = [...new Set(lists.flat())].sort()
        const packed = lists.map((l) => TermList.of(l))
        expect([...mergeSorted(packed)]).toEqual(expected)
        const steps = mergeSortedInSteps(packed, stepTerms)
        let pauses = 0
        for (let step = steps.next(); ; step = steps.next()) {
          if (step.done) {
            expect([...step.value]).toEqual(expected)
            break
          }
          pauses++
        }
        // A pause after every stepTerms terms written, in every pairwise pass.
        const written = lists.length > 1 ? expected.length : 0
        expect(pauses).toBeGreaterThanOrEqual(Math.floor(written / stepTerms))
      }),
    )
  })
})

describe('building a term dictionary', () => {
  const sortedSet = fc.uniqueArray(word, { maxLength: 60 }).map((terms) => terms.sort())
  /** Every term's shared prefix with the one before it, as the constructor counts it. */
  const lcpOf = (dictionary: TermDictionary) => Array.from(dictionary.lcp)

  it('gives the same dictionary in steps as at once, pausing between steps', () => {
    fc.assert(
      fc.property(sortedSet, fc.integer({ min: 1, max: 20 }), (terms, stepTerms) => {
        const packed = TermList.of(terms)
        const steps = TermDictionary.inSteps(packed, stepTerms)
        let pauses = 0
        for (let step = steps.next(); ; step = steps.next()) {
          if (step.done) {
            expect(step.value.terms).toBe(packed)
            expect(lcpOf(step.value)).toEqual(lcpOf(new TermDictionary(terms)))
            break
          }
          pauses++
        }
        expect(pauses).toBe(Math.max(0, Math.ceil((terms.length - 1) / stepTerms) - 1))
      }),
    )
  })

  it('merges new terms into a dictionary as a dictionary built anew would hold them (property)', () => {
    fc.assert(
      fc.property(sortedSet, sortedSet, (held, added) => {
        const merged = mergeIntoDictionary(new TermDictionary(held), added)
        const expected = [...new Set([...held, ...added])].sort()
        expect([...merged.terms]).toEqual(expected)
        expect(lcpOf(merged)).toEqual(lcpOf(new TermDictionary(expected)))
      }),
      { numRuns: 500 },
    )
  })

  it('counts the shared prefix anew beside a term merged in, and keeps the rest', () => {
    const merged = mergeIntoDictionary(new TermDictionary(['cocoa', 'coffee', 'market']), ['coff', 'mark'])
    expect([...merged.terms]).toEqual(['cocoa', 'coff', 'coffee', 'mark', 'market'])
    expect(lcpOf(merged)).toEqual([0, 2, 4, 0, 4])
  })
})
