import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DEFAULT_ANALYZER } from './analyzer'
import { analyzeDoc } from './doc-terms'
import { indexDoc } from './fixtures/index-doc'
import { BitWriter, forEachDoc, forEachPositions, proximityAccumulators, SKIP_INTERVAL } from './positions'
import { Segment } from './segment'
import { SegmentBuilder } from './segment-builder'
import type { IndexDoc } from './types'

/** Few words, so that common ones span many skip intervals and have many positions per document. */
const WORDS = ['oil', 'crude', 'price', 'opec', 'barrel', 'output', 'saudi', 'market', 'the', 'of']

const doc = (i: number, title: string[], body: string[]): IndexDoc => indexDoc(`d${i}`, title.join(' '), body.join(' '))

describe('stored positions', () => {
  it('read back as analysed, for any set of wanted documents (property)', () => {
    let intervals = 0
    // size 'max': fast-check otherwise keeps arrays near ten elements, and no term would fill a block.
    const words = (max: number) => fc.array(fc.constantFrom(...WORDS), { maxLength: max, size: 'max' })
    const docs = fc.array(fc.tuple(words(8), words(400)), {
      minLength: 1,
      maxLength: 25 * SKIP_INTERVAL,
      size: 'max',
    })
    fc.assert(
      fc.property(docs, fc.array(fc.nat(), { maxLength: 20, size: 'max' }), (fields, picks) => {
        const indexDocs = fields.map(([title, body], i) => doc(i, title, body))
        const builder = new SegmentBuilder()
        for (const d of indexDocs) builder.add(d)
        const seg = Segment.open(builder.finish())
        intervals = Math.max(intervals, Math.max(...seg.termDocFreq) / SKIP_INTERVAL)
        const analysed = indexDocs.map((d) => analyzeDoc(DEFAULT_ANALYZER, d))
        const wanted = [...new Set(picks.map((p) => p % indexDocs.length))].sort((a, b) => a - b)
        for (let termNo = 0; termNo < seg.termCount; termNo++) {
          const term = seg.term(termNo)
          const withTerm = analysed.flatMap((positions, i) => (positions.indexOf(term) >= 0 ? [i] : []))
          const docsSeen: number[] = []
          forEachDoc(seg, termNo, (d) => docsSeen.push(d))
          expect(docsSeen).toEqual(withTerm)
          const all: [number, number[]][] = []
          forEachPositions(seg, termNo, null, (d, positions) => all.push([d, positions]))
          expect(all).toEqual(withTerm.map((i) => [i, analysed[i]?.positionsOf(term)]))
          const some: [number, number[]][] = []
          forEachPositions(seg, termNo, wanted, (d, positions) => some.push([d, positions]))
          expect(some).toEqual(all.filter(([d]) => wanted.includes(d)))
        }
      }),
      { numRuns: 15 },
    )
    // The runs met terms over many skip intervals.
    expect(intervals).toBeGreaterThan(10)
  })

  it('write bits most significant first, gamma and Rice codes as specified', () => {
    const bits = new BitWriter()
    bits.gamma(1) // 0
    bits.gamma(5) // 110 01
    bits.rice(9, 2) // 11 0 01
    expect([...bits.finish()]).toEqual([0b01100111, 0b00100000])
  })
})

describe('proximity accumulators', () => {
  it("count neighbouring occurrences of different words by the other word's idf over the squared distance", () => {
    // a at 0 and 20, b at 1, c at 10: neighbours a–b (1 apart), b–c (9), c–a (10); a–a never counts.
    const acc = proximityAccumulators([[0, 20], [1], [10]], [1, 2, 4])
    expect(acc[0]).toBeCloseTo(2 / 1 + 4 / 100)
    expect(acc[1]).toBeCloseTo(1 / 1 + 4 / 81)
    expect(acc[2]).toBeCloseTo(2 / 81 + 1 / 100)
    // Terms of one word at one position (a compound's parts) are not near each other; a lone word has nothing near.
    expect([...proximityAccumulators([[3], [3]], [1, 1])]).toEqual([0, 0])
    expect([...proximityAccumulators([[3, 4, 5]], [1])]).toEqual([0])
  })
})
