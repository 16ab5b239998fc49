import { compareTerms, sharedPrefix, TermList, TermListWriter } from './term-list'

/**
 * Fuzzy term lookup over a sorted term list (a TermList), walked as an implicit trie: edit-distance rows are shared by
 * terms with a common prefix, and a prefix whose best row value already exceeds the distance skips every term that
 * starts with it. Measured against MiniSearch's SearchableMap (a radix tree): same answers, no tree to build at cold start
 * (SearchableMap took 60 ms on Reuters' 54k terms and 11.5 s on the 131k ko+ja terms, whose nodes have thousands of
 * children).
 */

/** Longest common prefix counted up to here (one byte per term); longer prefixes are counted as this. */
const MAX_LCP = 255

/**
 * A sorted term list with, per term, the length of the prefix it shares with the term before it. The walk reads
 * those bytes to step over a pruned prefix's terms and to know which rows it may reuse, and never touches the strings
 * it skips: a skip by binary search over the strings cost a cache miss per probe, and made a walk of Reuters' 72k
 * terms take 0.2–1.4 ms.
 */
export class TermDictionary {
  /** `lcp[i]`: code units terms[i] shares with terms[i - 1] (0 for the first), at most MAX_LCP */
  readonly lcp: Uint8Array
  readonly terms: TermList

  /** `lcp`, when given, must be the terms' own (see mergeIntoDictionary); otherwise it is computed here. */
  constructor(terms: TermList | readonly string[], lcp?: Uint8Array) {
    this.terms = terms instanceof TermList ? terms : TermList.of(terms)
    if (lcp) this.lcp = lcp
    else {
      this.lcp = new Uint8Array(this.terms.length)
      fillLcp(this.terms, this.lcp, 1, this.terms.length)
    }
  }

  /**
   * The dictionary of `terms`, pausing about every `stepTerms` terms: the caller may yield between steps (20,000:
   * 1.4–3.4 ms in Node). Its shared-prefix pass over a search isolate's merged segment terms (72k at Reuters, millions
   * in an archive) took 5–15 ms in one piece, the longest step of a swap's preparation.
   */
  static *inSteps(terms: TermList, stepTerms = MERGE_STEP_TERMS): Generator<void, TermDictionary> {
    const lcp = new Uint8Array(terms.length)
    for (let from = 1; from < terms.length; from += stepTerms) {
      fillLcp(terms, lcp, from, Math.min(terms.length, from + stepTerms))
      if (from + stepTerms < terms.length) yield
    }
    return new TermDictionary(terms, lcp)
  }
}

/** Sets lcp[i] for i in [from, to) (from ≥ 1). */
function fillLcp(terms: TermList, lcp: Uint8Array, from: number, to: number): void {
  for (let i = from; i < to; i++) lcp[i] = sharedPrefix(terms, i - 1, terms, i, MAX_LCP)
}

/**
 * `dictionary` with the sorted, duplicate-free `added` merged in (terms it holds already are skipped). A term that
 * follows the same neighbour as before keeps its LCP; only those next to a new term are compared. A memtable gains a
 * few terms at each sync and rebuilt its whole dictionary for them, on the search isolate's thread at every sync of a
 * steady feed: 0.9–1.4 ms p50 at 1,000 Reuters articles, 0.5–0.8 ms merged (Node).
 */
export function mergeIntoDictionary(dictionary: TermDictionary, added: readonly string[]): TermDictionary {
  const a = dictionary.terms
  const addedList = TermList.of(added)
  const out = new TermListWriter(a.length + added.length, a.units.length + addedList.units.length)
  const lcp = new Uint8Array(a.length + added.length)
  let i = 0
  let j = 0
  /** the term written last: term `at` of `last` */
  let last = a
  let at = 0
  while (i < a.length || j < addedList.length) {
    const n = out.length
    const order = j >= addedList.length ? -1 : i >= a.length ? 1 : compareTerms(a, i, addedList, j)
    if (order <= 0) {
      if (order === 0) j++ // already held
      out.push(a, i)
      lcp[n] =
        n === 0 ? 0 : last === a && at === i - 1 ? (dictionary.lcp[i] ?? 0) : sharedPrefix(last, at, a, i, MAX_LCP)
      last = a
      at = i
      i++
    } else {
      out.push(addedList, j)
      lcp[n] = n === 0 ? 0 : sharedPrefix(last, at, addedList, j, MAX_LCP)
      last = addedList
      at = j
      j++
    }
  }
  const terms = out.finish()
  return new TermDictionary(terms, terms.length === lcp.length ? lcp : lcp.slice(0, terms.length))
}

/** First index in `terms[lo, hi)` whose term is ≥ `key` (UTF-16 code unit order, as JS `<`). */
export function lowerBound(terms: readonly string[], key: string, lo = 0, hi = terms.length): number {
  let a = lo
  let b = hi
  while (a < b) {
    const mid = (a + b) >>> 1
    if ((terms[mid] ?? '') < key) a = mid + 1
    else b = mid
  }
  return a
}

/** Index of `key` in the sorted `terms`, or −1. */
export function indexOfSorted(terms: readonly string[], key: string): number {
  const i = lowerBound(terms, key)
  return terms[i] === key ? i : -1
}

/**
 * Terms a stepped merge writes, or a stepped dictionary build compares, between two pauses (`mergeSortedInSteps`,
 * `TermDictionary.inSteps`): about 2 ms here, so a search isolate that prepares a new index's dictionaries beside the
 * one it serves never holds a request longer.
 */
export const MERGE_STEP_TERMS = 20_000

/** Merges sorted, duplicate-free lists into one (pairwise, so k lists cost log k linear passes). */
export function mergeSorted(lists: TermList[]): TermList {
  const steps = mergeSortedInSteps(lists)
  for (;;) {
    const step = steps.next()
    if (step.done) return step.value
  }
}

/** `mergeSorted`, pausing after about every `stepTerms` terms written: the caller may yield between steps. */
export function* mergeSortedInSteps(lists: TermList[], stepTerms = MERGE_STEP_TERMS): Generator<void, TermList> {
  return (yield* mergeCountedInSteps(
    lists.map((terms) => ({ terms, counts: null })),
    stepTerms,
  )).terms
}

/** A sorted, duplicate-free term list, and a count per term (a document frequency), or none. */
export interface CountedTerms {
  terms: TermList
  counts: Uint32Array | null
}

/**
 * `mergeSortedInSteps` of lists that carry a count per term: a term in several lists gets their counts summed (the
 * lists must all carry counts, or none).
 */
export function* mergeCountedInSteps(
  lists: CountedTerms[],
  stepTerms = MERGE_STEP_TERMS,
): Generator<void, CountedTerms> {
  if (lists.length === 0) return { terms: TermList.EMPTY, counts: null }
  let level = lists
  while (level.length > 1) {
    const next: CountedTerms[] = []
    for (let i = 0; i < level.length; i += 2) {
      const a = level[i] as CountedTerms
      const b = level[i + 1]
      next.push(b === undefined ? a : yield* mergeTwoInSteps(a, b, stepTerms))
    }
    level = next
  }
  return level[0] as CountedTerms
}

function* mergeTwoInSteps(x: CountedTerms, y: CountedTerms, stepTerms: number): Generator<void, CountedTerms> {
  const a = x.terms
  const b = y.terms
  const out = new TermListWriter(a.length + b.length, a.units.length + b.units.length)
  const counts = x.counts !== null && y.counts !== null ? new Uint32Array(a.length + b.length) : null
  let i = 0
  let j = 0
  let pause = stepTerms
  while (i < a.length || j < b.length) {
    const order = j >= b.length ? -1 : i >= a.length ? 1 : compareTerms(a, i, b, j)
    if (counts !== null) {
      const k = out.length
      counts[k] = (order <= 0 ? (x.counts?.[i] ?? 0) : 0) + (order >= 0 ? (y.counts?.[j] ?? 0) : 0)
    }
    if (order < 0) out.push(a, i++)
    else if (order > 0) out.push(b, j++)
    else {
      out.push(a, i++)
      j++
    }
    if (out.length >= pause) {
      pause += stepTerms
      yield
    }
  }
  const terms = out.finish()
  return { terms, counts: counts === null ? null : counts.slice(0, terms.length) }
}

/** The range of terms written in the same script block as `query`'s first letter (a typo keeps the script). */
export function scriptRange(terms: TermList, query: string): [number, number] {
  const c = query.charCodeAt(0)
  let from: number
  let to: number
  if (c < 0x300) {
    from = 0
    to = 0x300
  } else if (c >= 0xac00 && c < 0xd7b0) {
    from = 0xac00
    to = 0xd7b0
  } else {
    from = c & ~0xff
    to = from + 0x100
  }
  // Past U+FFFF fromCharCode would wrap around to U+0000: the block then runs to the end of the list.
  return [
    terms.lowerBound(String.fromCharCode(from)),
    to > 0xffff ? terms.length : terms.lowerBound(String.fromCharCode(to)),
  ]
}

/**
 * Calls `found(index, distance)` for every term in `terms[lo, hi)` within `maxDistance` edits of `query`: insertions,
 * deletions, substitutions and swaps of two neighbouring characters (optimal string alignment distance). Pruning
 * stays exact with swaps: a swap's value is never below the best value of the row it skips.
 */
export function fuzzyWalk(
  dictionary: TermDictionary,
  query: string,
  maxDistance: number,
  found: (index: number, distance: number) => void,
  lo = 0,
  hi = dictionary.terms.length,
): void {
  const { lcp } = dictionary
  const { units, starts } = dictionary.terms
  const m = query.length
  const width = m + 1
  // Rows deeper than m + maxDistance + 1 are never needed: there every value exceeds maxDistance and the walk prunes.
  const maxDepth = m + maxDistance + 1
  const q = new Uint16Array(m)
  for (let j = 0; j < m; j++) q[j] = query.charCodeAt(j)
  // One flat table: row d (the Levenshtein row after d characters of the term) at [d * width, (d + 1) * width).
  const dp = new Int32Array((maxDepth + 1) * width)
  for (let j = 0; j <= m; j++) dp[j] = j
  // Rows 1..validDepth hold the last walked term's prefix; `shared` is what the current term has in common with it.
  let validDepth = 0
  let shared = 0
  let i = lo
  while (i < hi) {
    const at = starts[i] as number
    const length = (starts[i + 1] as number) - at
    const depth = Math.min(validDepth, shared, length)
    let pruned = 0
    for (let d = depth + 1; d <= length; d++) {
      const above = (d - 1) * width
      const row = d * width
      const c = units[at + d - 1] as number
      dp[row] = d
      let min = d
      const before = d >= 2 ? (units[at + d - 2] as number) : -1
      const twoAbove = (d - 2) * width
      // Only the diagonal band |d - j| <= maxDistance can hold a value within reach (Ukkonen): computed there,
      // with the cell on each side of it set to maxDistance + 1, a lower bound that the next row and the insert
      // step may read. Values within reach stay exact; the rest stay above maxDistance.
      const from = Math.max(d - maxDistance, 1)
      const to = Math.min(d + maxDistance, m)
      if (from > 1) dp[row + from - 1] = maxDistance + 1
      if (to < m) dp[row + to + 1] = maxDistance + 1
      for (let j = from; j <= to; j++) {
        let v = (dp[above + j - 1] as number) + (q[j - 1] === c ? 0 : 1)
        const remove = (dp[above + j] as number) + 1
        if (remove < v) v = remove
        const insert = (dp[row + j - 1] as number) + 1
        if (insert < v) v = insert
        // Two swapped neighbours are one typo (cocao → cocoa), not two.
        if (j >= 2 && c === q[j - 2] && before === q[j - 1] && c !== before) {
          const swap = (dp[twoAbove + j - 2] as number) + 1
          if (swap < v) v = swap
        }
        dp[row + j] = v
        if (v < min) min = v
      }
      if (min > maxDistance) {
        pruned = d
        break
      }
    }
    if (pruned > 0) {
      // No term starting with term[0, pruned) can come within reach: step over all of them (they follow this one,
      // each sharing at least `pruned` code units with its predecessor). The next shares the least of those.
      validDepth = pruned - 1
      i++
      while (i < hi && (lcp[i] as number) >= pruned) i++
      shared = i < hi ? (lcp[i] as number) : 0
      continue
    }
    validDepth = length
    // Outside the band (lengths too far apart) the cell was never computed.
    const distance = Math.abs(length - m) <= maxDistance ? (dp[length * width + m] as number) : maxDistance + 1
    if (distance <= maxDistance) found(i, distance)
    i++
    shared = i < hi ? (lcp[i] as number) : 0
  }
}

/**
 * Calls `found(index, typos)` for every term of `dictionary` in `query`'s script block within `maxTypos` of it, where a
 * typo is one edit (see fuzzyWalk) and an edit that changes the first letter counts as two, as Meilisearch counts it:
 * people rarely get the first letter wrong. It also bounds the work: one typo walks only the terms that begin with the
 * query's first letter (a few hundred rows, instead of every two-letter prefix of the dictionary), and two walk the
 * rest at one edit. Letters are UTF-16 code units, as in fuzzyWalk (a character outside the BMP is two).
 */
export function typoWalk(
  dictionary: TermDictionary,
  query: string,
  maxTypos: number,
  found: (index: number, typos: number) => void,
): void {
  if (query.length === 0) return
  const terms = dictionary.terms
  const [lo, hi] = scriptRange(terms, query)
  const first = query.charCodeAt(0)
  const from = Math.max(lo, terms.lowerBound(String.fromCharCode(first), lo, hi))
  const to = first === 0xffff ? hi : terms.lowerBound(String.fromCharCode(first + 1), from, hi)
  fuzzyWalk(dictionary, query, maxTypos, found, from, to)
  if (maxTypos >= 2) {
    // A different first letter spends two of the typos: the rest of the term may differ by one edit fewer.
    const wrongFirst = (index: number, distance: number): void => found(index, distance + 1)
    fuzzyWalk(dictionary, query, maxTypos - 1, wrongFirst, lo, from)
    fuzzyWalk(dictionary, query, maxTypos - 1, wrongFirst, to, hi)
  }
}
