import { describe, expect, it } from 'vitest'
import { indexDoc } from './fixtures/index-doc'
import { SearchIndex } from './search-index'
import { Segment } from './segment'
import { SegmentBuilder } from './segment-builder'
import { segmentTermsInSteps } from './segment-terms'
import type { SearchParams } from './types'
import { YOUNG_SEGMENTS } from './young-segments'

const WORDS = ['copper', 'cocoa', 'coffee', 'crude', 'cotton', 'corn', 'wheat', 'whale', 'wharf', 'barley', 'bank']

/** Segment `n`: a few documents of common words and one of its own ("lot<n>" and a misspelling of it). */
function segment(n: number): Segment {
  const builder = new SegmentBuilder()
  for (let d = 0; d < 3; d++) {
    const words = [WORDS[(n + d) % WORDS.length], WORDS[(n * 3 + d) % WORDS.length], `lot${n}`, `shipment${n}x${d}`]
    builder.add(indexDoc(`s${n}-d${d}`, `Cargo ${n}`, words.join(' ')))
  }
  return Segment.open(builder.finish())
}

function build(segments: readonly Segment[], previous: Parameters<typeof segmentTermsInSteps>[1] = null) {
  const steps = segmentTermsInSteps(segments, previous)
  for (;;) {
    const step = steps.next()
    if (step.done) return step.value
  }
}

/** Every term of the segments, once, in order. */
const allTerms = (segments: readonly Segment[]) => [...new Set(segments.flatMap((s) => [...s.termList()]))].sort()

describe("The segments' merged terms, old and young", () => {
  const segments = Array.from({ length: 60 }, (_, n) => segment(n))

  it('merges a few segments as one young list', () => {
    const few = segments.slice(0, YOUNG_SEGMENTS)
    const [old, young] = build(few)
    expect(old.segments).toEqual([])
    expect([...young.terms]).toEqual(allTerms(few))
  })

  it('keeps the newest YOUNG_SEGMENTS apart from the older ones, and together they hold every term', () => {
    const many = segments.slice(0, 40)
    const [old, young] = build(many)
    expect(old.segments).toEqual(many.slice(0, 40 - YOUNG_SEGMENTS))
    expect(young.segments).toEqual(many.slice(40 - YOUNG_SEGMENTS))
    expect([...old.terms]).toEqual(allTerms(old.segments))
    expect([...new Set([...old.terms, ...young.terms])].sort()).toEqual(allTerms(many))
  })

  it("counts each term's documents as the segments' own document frequencies summed", () => {
    const many = segments.slice(0, 40)
    const parts = build(many)
    for (const term of [...allTerms(many), 'absent', 'co']) {
      let expected = 0
      for (const s of many) {
        const t = s.findTerm(term)
        if (t >= 0) expected += s.termDocFreq[t] ?? 0
      }
      expect(parts[0].docFreq(term) + parts[1].docFreq(term), term).toBe(expected)
    }
    // Grown from the replaced index's old terms, the counts are the same as merged anew.
    const grown = segments.slice(0, 24 + 2 * YOUNG_SEGMENTS + 1)
    const [fromPrevious] = build(grown, parts[0])
    const [anew] = build(grown)
    for (const term of allTerms(grown)) expect(fromPrevious.docFreq(term), term).toBe(anew.docFreq(term))
  })

  it("takes the replaced index's old terms as they are while its old segments still come first", () => {
    const before = build(segments.slice(0, 40))
    // A flush added a segment; then the newest four were merged into one (here: one segment stands for them).
    const flushed = [...segments.slice(0, 40), segments[40] as Segment]
    const [old, young] = build(flushed, before[0])
    expect(old).toBe(before[0])
    expect([...new Set([...old.terms, ...young.terms])].sort()).toEqual(allTerms(flushed))
    const merged = [...segments.slice(0, 37), segments[50] as Segment]
    const [old2, young2] = build(merged, old)
    expect(old2).toBe(before[0])
    expect([...new Set([...old2.terms, ...young2.terms])].sort()).toEqual(allTerms(merged))
  })

  it('merges the old terms anew once an old segment is gone, and grows them once the young pass twice their number', () => {
    const before = build(segments.slice(0, 40))
    const oneOldGone = [...segments.slice(0, 5), ...segments.slice(6, 40)]
    const [old] = build(oneOldGone, before[0])
    expect(old).not.toBe(before[0])
    expect([...old.terms]).toEqual(allTerms(old.segments))
    const grown = segments.slice(0, 24 + 2 * YOUNG_SEGMENTS + 1)
    const [older, young] = build(grown, before[0])
    expect(older.segments).toEqual(grown.slice(0, grown.length - YOUNG_SEGMENTS))
    expect([...older.terms]).toEqual(allTerms(older.segments))
    expect(young.segments.length).toBe(YOUNG_SEGMENTS)
  })

  it("completes a cold index's last word from each segment's own terms, as the merged lists do, without merging them", () => {
    const many = segments.slice(0, 44)
    const prepared = new SearchIndex(many)
    for (const steps = prepared.prepareInSteps(); !steps.next().done; );
    const cold = new SearchIndex(many)
    const params = (q: string): SearchParams => ({ q, limit: 20, offset: 0, sort: 'relevance', fuzzy: false })
    // "ship" has 132 completions, past the 128 a prefix takes (each segment has 3 of them); "lot4" five, "cop" one.
    for (const q of ['ship', 'shipment4', 'lot4', 'cop', 'barley wha', 'cargo lot1', 'zzz']) {
      const answer = (index: SearchIndex) => {
        const { hits, total } = index.search(params(q))
        return { total, hits: hits.map((h) => [h.id, h.score]) }
      }
      expect(answer(cold), q).toEqual(answer(prepared))
    }
    expect(cold.termsMerged).toBe(false)
    for (const q of ['ship', 'lot4', 'wha', 'shipment1'])
      expect(cold.suggest(q, 10), q).toEqual(prepared.suggest(q, 10))
    // A typo walks the merged lists: they are built then, and kept.
    cold.search({ ...params('coppr'), fuzzy: true })
    expect(cold.termsMerged).toBe(true)
  })

  it('gives the same answers to typo and prefix queries whether an index took its old terms from the one before', () => {
    const first = new SearchIndex(segments.slice(0, 44))
    for (const steps = first.prepareInSteps(); !steps.next().done; );
    const next = [...segments.slice(0, 44), ...segments.slice(44, 47)]
    const successor = new SearchIndex(next)
    for (const steps = successor.prepareInSteps(first); !steps.next().done; );
    const fresh = new SearchIndex(next)
    const params = (q: string): SearchParams => ({ q, limit: 20, offset: 0, sort: 'relevance' })
    for (const q of ['copperr', 'whal', 'lot45', 'lot4', 'shipment46x', 'shipmnt12x1', 'cotten barley', 'co']) {
      const answer = (index: SearchIndex) => {
        const { hits, total } = index.search(params(q))
        return { total, hits: hits.map((h) => [h.id, h.score]) }
      }
      expect(answer(successor), q).toEqual(answer(fresh))
      expect(successor.suggest(q, 10), q).toEqual(fresh.suggest(q, 10))
    }
  })
})
