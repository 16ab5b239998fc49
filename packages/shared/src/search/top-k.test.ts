import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { TopK } from './top-k'

describe('TopK', () => {
  it('keeps what sorting everything would, and wants nothing below its floor (property)', () => {
    // Few distinct keys, so that ties on both keys are frequent.
    const key = fc.integer({ min: 0, max: 6 })
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 8 }), fc.array(fc.tuple(key, key), { maxLength: 60 }), (k, items) => {
        const top = new TopK<number>(k)
        items.forEach(([a, b], i) => {
          // A search passes over a match below the floor without asking more of it: it must not have been wanted.
          if (a < top.floor) expect(top.wants(a, b)).toBe(false)
          if (top.wants(a, b)) top.push(a, b, i)
        })
        // Higher first; ties on both keys keep the earlier item.
        const expected = items
          .map(([a, b], i) => ({ a, b, i }))
          .sort((x, y) => y.a - x.a || y.b - x.b || x.i - y.i)
          .slice(0, k)
        expect(top.sorted()).toEqual(expected.map((e) => e.i))
        // The lowest kept first key once k are kept; nothing is wanted when k is 0.
        const floor = k === 0 ? Number.POSITIVE_INFINITY : (expected[k - 1]?.a ?? Number.NEGATIVE_INFINITY)
        expect(top.floor).toBe(floor)
      }),
      { numRuns: 500 },
    )
  })
})
