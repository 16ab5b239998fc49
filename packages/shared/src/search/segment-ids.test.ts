import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { indexDoc } from './fixtures/index-doc'
import { SearchIndex } from './search-index'
import { Segment } from './segment'
import { SegmentBuilder } from './segment-builder'
import { type SegmentDoc, SegmentIds } from './segment-ids'
import type { IndexDoc } from './types'
import { YOUNG_SEGMENTS } from './young-segments'

const doc = (id: string, title: string): IndexDoc => indexDoc(id, title, `${title} body`)

function segmentOf(docs: IndexDoc[]): Segment {
  const builder = new SegmentBuilder()
  for (const d of docs) builder.add(d)
  return Segment.open(builder.finish())
}

// Ids as publishers send them: ASCII, accented, Hangul, emoji (four UTF-8 bytes, two UTF-16 units), and prefixes of
// each other, so that bytes of one length never match bytes of another.
const ID_ALPHABET = ['a', 'b', '1', '-', 'é', '한', '😀', 'Z']
const anId = fc.array(fc.constantFrom(...ID_ALPHABET), { minLength: 1, maxLength: 6 }).map((cs) => cs.join(''))

describe('SegmentIds', () => {
  it('finds every id where a Map of the decoded ids would, the latest segment winning, and superseded copies told', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uniqueArray(anId, { minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 5 }),
        fc.array(anId, { maxLength: 10 }),
        (segmentIds, misses) => {
          const segments = segmentIds.map((ids) => segmentOf(ids.map((id) => doc(id, 'x'))))
          const expected = new Map<string, SegmentDoc>()
          const expectedSuperseded: SegmentDoc[] = []
          segments.forEach((s, seg) => {
            for (let d = 0; d < s.docCount; d++) {
              const old = expected.get(s.docId(d))
              if (old) expectedSuperseded.push(old)
              expected.set(s.docId(d), { seg, doc: d })
            }
          })
          const superseded: SegmentDoc[] = []
          const table = new SegmentIds(
            segments,
            (at) => superseded.push(at),
            () => false,
          )
          for (const [id, at] of expected) expect(table.find(id)).toEqual(at)
          for (const id of misses) expect(table.find(id)).toEqual(expected.get(id))
          expect(sortedDocs(superseded)).toEqual(sortedDocs(expectedSuperseded))
        },
      ),
    )
  })

  it("finds and supersedes what a table built anew would, when it takes the old segments' table of the index before", () => {
    const idsOf = fc.uniqueArray(anId, { minLength: 1, maxLength: 3 })
    fc.assert(
      fc.property(
        fc.array(idsOf, { minLength: YOUNG_SEGMENTS + 2, maxLength: 2 * YOUNG_SEGMENTS + 8 }),
        fc.integer({ min: 0, max: 5 }),
        fc.array(idsOf, { maxLength: 8 }),
        fc.boolean(),
        (firstIds, merged, addedIds, firstGone) => {
          const before = firstIds.map((ids) => segmentOf(ids.map((id) => doc(id, 'x'))))
          const previous = new SegmentIds(
            before,
            () => undefined,
            () => false,
          )
          // A swap: the newest segments merged away (here: dropped), new ones added; sometimes the oldest is gone too.
          const kept = before.slice(firstGone ? 1 : 0, before.length - merged)
          const next = [...kept, ...addedIds.map((ids) => segmentOf(ids.map((id) => doc(`${id}n`, 'x'))))]
          const withPrevious: SegmentDoc[] = []
          const taken = new SegmentIds(
            next,
            (at) => withPrevious.push(at),
            () => false,
            previous,
          )
          const anew: SegmentDoc[] = []
          const fresh = new SegmentIds(
            next,
            (at) => anew.push(at),
            () => false,
          )
          for (const ids of [...firstIds, ...addedIds.map((ids) => ids.map((id) => `${id}n`))]) {
            for (const id of ids) expect(taken.find(id), id).toEqual(fresh.find(id))
          }
          // The same copies told, each at least once (an index marks a copy deleted once, however often told).
          expect(new Set(sortedDocs(withPrevious))).toEqual(new Set(sortedDocs(anew)))
          const reusable = !firstGone && next.length - (previous.old?.segments.length ?? 0) <= 2 * YOUNG_SEGMENTS
          if (previous.old !== null && reusable) expect(taken.old).toBe(previous.old)
          if (firstGone) expect(taken.old).not.toBe(previous.old)
        },
      ),
      { numRuns: 40 },
    )
  })

  it('does not find a copy that is gone', () => {
    const segments = [segmentOf([doc('a', 'x'), doc('b', 'x')])]
    const table = new SegmentIds(
      segments,
      () => undefined,
      (at) => at.doc === 1,
    )
    expect(table.find('a')).toEqual({ seg: 0, doc: 0 })
    expect(table.find('b')).toBeUndefined()
  })
})

describe('SearchIndex over segments with ids in any script', () => {
  it('shows the latest copy of an id, and hides it on upsert and delete', () => {
    const older = segmentOf([doc('café-1', 'old cocoa'), doc('한국-2', 'old rice'), doc('plain', 'old wheat')])
    const newer = segmentOf([doc('café-1', 'new cocoa'), doc('😀-3', 'new sugar')])
    const index = new SearchIndex([older, newer])
    const titles = (q: string) =>
      index.search({ q, limit: 10, offset: 0, sort: 'relevance', fuzzy: false, prefix: false }).hits.map((h) => h.title)
    expect(titles('cocoa')).toEqual(['new cocoa'])
    expect(index.documentCount).toBe(4)
    expect(index.get('café-1')?.title).toBe('new cocoa')
    expect(index.has('한국-2')).toBe(true)
    expect(index.has('한국')).toBe(false)
    index.delete('한국-2')
    expect(index.has('한국-2')).toBe(false)
    expect(titles('rice')).toEqual([])
    index.upsert(doc('😀-3', 'newest sugar'))
    expect(titles('sugar')).toEqual(['newest sugar'])
    expect(index.documentCount).toBe(3)
  })
})

function sortedDocs(docs: SegmentDoc[]): string[] {
  return docs.map((d) => `${d.seg}/${d.doc}`).sort()
}
