import { type CountedTerms, mergeCountedInSteps, TermDictionary } from './fuzzy'
import type { Segment } from './segment'
import { TermList } from './term-list'
import { keepsOld, startsWith, youngFrom } from './young-segments'

/**
 * The terms of a run of segments (oldest first) merged into one sorted list, each with the documents of those segments
 * that contain it (their document frequencies summed), and its typo dictionary once built.
 */
export class MergedTerms {
  #dictionary: TermDictionary | null = null
  readonly terms: TermList
  readonly #docFreq: Uint32Array

  constructor(
    readonly segments: readonly Segment[],
    merged: CountedTerms,
  ) {
    this.terms = merged.terms
    this.#docFreq = merged.counts ?? new Uint32Array(merged.terms.length)
  }

  /**
   * Documents of these segments containing `term` (deleted ones too, as a segment's own document frequency counts
   * them), by one binary search: a typo or prefix expansion weighs hundreds of candidates by it, and asking each
   * segment took 40 % of a query's time over 175 segments (the search isolate's CPU profile at 1,000,000 articles).
   */
  docFreq(term: string): number {
    const i = this.terms.indexOf(term)
    return i < 0 ? 0 : (this.#docFreq[i] ?? 0)
  }

  /** Its terms and their document frequencies, to merge with others'. */
  counted(): CountedTerms {
    return { terms: this.terms, counts: this.#docFreq }
  }

  get dictionaryBuilt(): boolean {
    return this.#dictionary !== null
  }

  dictionary(): TermDictionary {
    this.#dictionary ??= new TermDictionary(this.terms)
    return this.#dictionary
  }

  /** The dictionary in steps (TermDictionary.inSteps); one built meanwhile by a query is kept. */
  *dictionaryInSteps(): Generator<void, TermDictionary> {
    if (this.#dictionary === null) {
      const built = yield* TermDictionary.inSteps(this.terms)
      this.#dictionary ??= built
    }
    return this.#dictionary
  }
}

/**
 * The segments' terms merged, as two lists: the old segments' and the YOUNG_SEGMENTS newest's. `previous` (the old
 * part of the index this one replaces) is taken as it is when its segments are still the first of `segments`, and
 * grown when the young part would pass twice YOUNG_SEGMENTS; otherwise the old part is merged anew. Merging every
 * segment's terms again at every swap cost a reader time in proportion to the whole archive (each of its terms
 * copied once per level of a merge of 176 lists at 1,000,000 articles); a swap now merges the young segments' terms
 * and, at most, one pass over the old list. Pauses between segments decoded and every MERGE_STEP_TERMS terms merged.
 */
export function* segmentTermsInSteps(
  segments: readonly Segment[],
  previous: MergedTerms | null,
): Generator<void, [old: MergedTerms, young: MergedTerms]> {
  const oldTo = youngFrom(segments.length)
  let old: MergedTerms
  if (previous !== null && keepsOld(segments, previous.segments)) {
    old = previous
  } else if (previous !== null && startsWith(segments, previous.segments)) {
    // Grown: the previous old terms, and those of the segments that have become old since.
    const newlyOld = yield* mergedInSteps(segments.slice(previous.segments.length, oldTo))
    old = new MergedTerms(segments.slice(0, oldTo), yield* mergeCountedInSteps([previous.counted(), newlyOld]))
  } else {
    old = new MergedTerms(segments.slice(0, oldTo), yield* mergedInSteps(segments.slice(0, oldTo)))
  }
  const young = new MergedTerms(
    segments.slice(old.segments.length),
    yield* mergedInSteps(segments.slice(old.segments.length)),
  )
  return [old, young]
}

/** The segments' terms merged into one list with their document frequencies, pausing after each segment's decoding. */
function* mergedInSteps(segments: readonly Segment[]): Generator<void, CountedTerms> {
  if (segments.length === 0) return { terms: TermList.EMPTY, counts: new Uint32Array(0) }
  const lists: CountedTerms[] = []
  for (const segment of segments) {
    lists.push({ terms: segment.termList(), counts: segment.termDocFreq })
    yield
  }
  return yield* mergeCountedInSteps(lists)
}
