import { describe, expect, it } from 'vitest'
import { shardOf } from '../shards'
import { indexDoc } from './fixtures/index-doc'
import { SearchIndex } from './search-index'
import { Segment } from './segment'
import { SegmentBuilder } from './segment-builder'
import type { IndexDoc, SearchParams } from './types'

// One ranking, however many shards: a search isolate holds every writer shard's segments in one SearchIndex, whose
// document count, document frequencies and average field lengths are summed over all of them at query time. Here the
// same documents as one segment and split by shardOf into four rank alike, score for score.

/** A deterministic stream of numbers in [0, 1) (a linear congruential generator). */
function random(seed: number): () => number {
  let state = seed
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0
    return state / 2 ** 32
  }
}

const CONSONANTS = 'bdfgklmnprstvz'
const VOWELS = 'aeiou'
const next = random(13)
const pick = (letters: string) => letters[Math.floor(next() * letters.length)] ?? 'a'
/** Made-up words (consonant, vowel, …, six letters): no stop word among them. */
const VOCABULARY = Array.from({ length: 300 }, () =>
  Array.from({ length: 6 }, (_, i) => pick(i % 2 ? VOWELS : CONSONANTS)).join(''),
)
/** Zipf-like: word i is drawn about 1 / (i + 1) as often as the first, so frequencies differ widely. */
const word = () => VOCABULARY[Math.floor(VOCABULARY.length ** next()) - 1] ?? 'bakoda'
const words = (n: number) => Array.from({ length: n }, word).join(' ')

/** Every document has a title of 3 words and a body of 12: the same lengths everywhere, so any average is the same. */
const DOCS: IndexDoc[] = Array.from({ length: 400 }, (_, i) => indexDoc(`doc-${i}`, words(3), words(12)))

/** The documents split over `shards` segments by shardOf, searched as one index. */
function indexOver(docs: IndexDoc[], shards: number): { index: SearchIndex; parts: IndexDoc[][] } {
  const parts = Array.from({ length: shards }, (): IndexDoc[] => [])
  for (const doc of docs) parts[shardOf(doc.id, shards)]?.push(doc)
  return { index: new SearchIndex(parts.filter((p) => p.length > 0).map(segmentOf)), parts }
}

function segmentOf(docs: IndexDoc[]): Segment {
  const builder = new SegmentBuilder()
  for (const doc of docs) builder.add(doc)
  return Segment.open(builder.finish())
}

const QUERIES = Array.from({ length: 40 }, () => `${word()} ${word()}`)
const params = (q: string): SearchParams => ({ q, limit: 10, offset: 0, sort: 'relevance' })
const ranked = (index: SearchIndex, q: string) =>
  index.search(params(q)).hits.map((h) => ({ id: h.id, score: Number(h.score.toFixed(6)) }))

describe('one ranking over shards (global statistics)', () => {
  const one = indexOver(DOCS, 1).index
  const sharded = indexOver(DOCS, 4)

  it('splits the documents over every shard', () => {
    expect(sharded.parts.map((p) => p.length).every((n) => n > 50)).toBe(true)
    expect(sharded.index.documentCount).toBe(one.documentCount)
  })

  it('ranks four shards as one index: the same scores, each document scored alike, and the same totals', () => {
    for (const q of QUERIES) {
      const [a, b] = [ranked(sharded.index, q), ranked(one, q)]
      // Documents tied on a score may come in another order, so the scores are compared as a ranked list, and the
      // documents both return by their own score.
      expect(
        a.map((h) => h.score),
        q,
      ).toEqual(b.map((h) => h.score))
      const scoreInOne = new Map(b.map((h) => [h.id, h.score]))
      for (const h of a) if (scoreInOne.has(h.id)) expect(h.score, q).toBe(scoreInOne.get(h.id))
      expect(sharded.index.search(params(q)).total, q).toBe(one.search(params(q)).total)
    }
  })

  it('scores otherwise when a shard is searched alone with its own statistics (what summing prevents)', () => {
    const alone = new SearchIndex([segmentOf(sharded.parts[0] ?? [])])
    const differs = QUERIES.filter((q) => {
      const own = new Map(ranked(alone, q).map((h) => [h.id, h.score]))
      return ranked(one, q).some((h) => own.has(h.id) && own.get(h.id) !== h.score)
    })
    expect(differs.length).toBeGreaterThan(QUERIES.length / 2)
  })
})
