import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { lowerBound } from './fuzzy'
import { compareTerms, sharedPrefix, TermList } from './term-list'

// Code units of every kind a term may hold: ASCII, Latin, Hangul, kana, and surrogate halves (a character outside
// the BMP is two).
const word = fc.string({ unit: fc.constantFrom('a', 'b', 'é', '한', 'の', '\ud840', '\udc0b', '\uffe0'), maxLength: 6 })
const sortedSet = fc.uniqueArray(word, { maxLength: 40 }).map((terms) => terms.sort())

describe('A packed term list', () => {
  it('gives back the terms it packs, in order', () => {
    fc.assert(
      fc.property(sortedSet, (terms) => {
        const list = TermList.of(terms)
        expect(list.length).toBe(terms.length)
        expect([...list]).toEqual(terms)
        expect(terms.map((_, i) => list.lengthOf(i))).toEqual(terms.map((t) => t.length))
      }),
    )
  })

  it('compares and searches as JS strings do (property)', () => {
    fc.assert(
      fc.property(sortedSet, word, (terms, key) => {
        const list = TermList.of(terms)
        expect(list.lowerBound(key)).toBe(lowerBound(terms, key))
        expect(list.indexOf(key)).toBe(terms.indexOf(key))
        terms.forEach((t, i) => {
          expect(Math.sign(list.compare(i, key))).toBe(t < key ? -1 : t === key ? 0 : 1)
        })
        const other = TermList.of([key])
        terms.forEach((t, i) => {
          expect(Math.sign(compareTerms(list, i, other, 0))).toBe(t < key ? -1 : t === key ? 0 : 1)
          let shared = 0
          while (shared < Math.min(t.length, key.length) && t[shared] === key[shared]) shared++
          expect(sharedPrefix(list, i, other, 0, 3)).toBe(Math.min(shared, 3))
        })
      }),
      { numRuns: 300 },
    )
  })

  it('reads a separated term section', () => {
    const list = TermList.ofSeparated(['cocoa', 'coffee', '한국'].join('\u0000'), '\u0000', 3)
    expect([...list]).toEqual(['cocoa', 'coffee', '한국'])
    expect([...TermList.ofSeparated('', '\u0000', 0)]).toEqual([])
  })
})
