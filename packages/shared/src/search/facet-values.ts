import type { Segment } from './segment'
import { Dictionary } from './segment-builder'
import type { FacetField } from './types'

/**
 * The values of one facet field over an index's segments, each numbered once. A segment's facet columns hold numbers
 * into its own dictionary (`SegmentMeta.sources`, `authors`, `langs`, `tags`); `codesOf` maps them onto these numbers,
 * once per segment, so that a query counts the matches of every segment into one array per field. Counting each
 * segment into its own array and adding that into a map keyed by the value's string cost a map operation per value
 * per segment and query: at 1,000,000 archive articles, 175 segments of up to a few thousand authors each.
 *
 * The numbers only grow: a swapped-in index takes its predecessor's (`SearchIndex`'s `previous`), and a value that
 * no segment holds any more keeps its number (a string per distinct value the isolate has seen).
 */
export class FacetValues {
  private readonly numbers = new Dictionary()
  private readonly codes = new WeakMap<Segment, Int32Array>()

  constructor(readonly field: FacetField) {}

  /** value by number */
  get values(): readonly string[] {
    return this.numbers.values
  }

  /** The segment's codes for this field, as numbers here (-1: no value, the null of source and author). */
  codesOf(seg: Segment): Int32Array {
    let codes = this.codes.get(seg)
    if (codes === undefined) {
      const { sources, authors, langs, tags } = seg.meta
      // Source and author code 0 is null and i + 1 is values[i]; lang and tag codes index their lists directly.
      const nullable = this.field === 'source' ? sources : this.field === 'author' ? authors : null
      const list = nullable ?? (this.field === 'lang' ? langs : tags)
      const offset = nullable === null ? 0 : 1
      codes = new Int32Array(list.length + offset).fill(-1)
      list.forEach((value, i) => {
        if (codes !== undefined) codes[i + offset] = this.numbers.index(value)
      })
      this.codes.set(seg, codes)
    }
    return codes
  }
}

/** One FacetValues per field. */
export type FacetNumbering = Record<FacetField, FacetValues>

export const newFacetNumbering = (): FacetNumbering => ({
  source: new FacetValues('source'),
  author: new FacetValues('author'),
  lang: new FacetValues('lang'),
  tags: new FacetValues('tags'),
})
