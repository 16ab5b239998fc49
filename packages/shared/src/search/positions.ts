import type { Segment } from './segment'

/**
 * Word positions: how they are stored, read, matched as phrases and scored for proximity.
 *
 * Stored per posting, after the term's (doc gap, impact) pairs (see segment-format.ts): each position is one varint
 * of `delta · 2 + more`, the delta from the previous position of the term in the same document (the first one from
 * 0), and `more` = 1 while another position of this posting follows. Most deltas are below 64, so most positions
 * take one byte, and no count or length is stored per posting.
 */

/** Appends the stored values of one posting's positions (ascending, at least one) to `out`. */
export function encodePositions(positions: readonly number[], out: number[]): void {
  let previous = 0
  for (let i = 0; i < positions.length; i++) {
    const p = positions[i] ?? 0
    out.push((p - previous) * 2 + (i + 1 < positions.length ? 1 : 0))
    previous = p
  }
}

/** Where a term's postings sit in a segment's postings section: its pairs, then its positions. */
export interface TermPostings {
  /** first byte of the (varint doc gap, impact byte) pairs */
  pairsStart: number
  /** end of the pairs = first byte of the positions */
  pairsEnd: number
}

/** Reads the term's header: the byte length of its pairs, before them. */
export function termPostings(seg: Segment, termNo: number): TermPostings {
  const bytes = seg.postings
  let at = seg.termPostingOffsets[termNo] ?? 0
  let length = 0
  let shift = 0
  let byte = 0
  do {
    byte = bytes[at++] ?? 0
    length |= (byte & 0x7f) << shift
    shift += 7
  } while (byte & 0x80)
  return { pairsStart: at, pairsEnd: at + length }
}

/**
 * Calls `visit` with the positions of each document of the term that is in `wanted` (ascending doc numbers; null =
 * every document), in doc order, and stops after the last wanted one. Positions of other documents are stepped
 * over a byte at a time, without building arrays: this walk is what proximity and phrases cost.
 */
export function forEachPositions(
  seg: Segment,
  termNo: number,
  wanted: readonly number[] | null,
  visit: (doc: number, positions: number[]) => void,
): void {
  const bytes = seg.postings
  const { pairsStart, pairsEnd } = termPostings(seg, termNo)
  const lastDoc = wanted === null ? Number.POSITIVE_INFINITY : (wanted[wanted.length - 1] ?? -1)
  let next = 0
  let at = pairsStart
  let positionsAt = pairsEnd
  let doc = -1
  while (at < pairsEnd) {
    let gap = 0
    let shift = 0
    let byte = 0
    do {
      byte = bytes[at++] ?? 0
      gap |= (byte & 0x7f) << shift
      shift += 7
    } while (byte & 0x80)
    at++ // impact
    doc += gap + 1
    if (doc > lastDoc) return
    if (wanted !== null) {
      while ((wanted[next] ?? Number.POSITIVE_INFINITY) < doc) next++
    }
    if (wanted !== null && wanted[next] !== doc) {
      // Step over this document's positions: each varint's first byte carries `more` in its lowest bit.
      let more = 1
      while (more === 1) {
        byte = bytes[positionsAt++] ?? 0
        more = byte & 1
        while (byte & 0x80) byte = bytes[positionsAt++] ?? 0
      }
      continue
    }
    const positions: number[] = []
    let position = 0
    let more = 1
    while (more === 1) {
      let value = 0
      let scale = 1
      do {
        byte = bytes[positionsAt++] ?? 0
        value += (byte & 0x7f) * scale
        scale *= 128
      } while (byte & 0x80)
      more = value & 1
      position += (value - more) / 2
      positions.push(position)
    }
    visit(doc, positions)
  }
}

/** Calls `visit` for each document of the term, in doc order (no positions read). */
export function forEachDoc(seg: Segment, termNo: number, visit: (doc: number) => void): void {
  const bytes = seg.postings
  const { pairsStart, pairsEnd } = termPostings(seg, termNo)
  let at = pairsStart
  let doc = -1
  while (at < pairsEnd) {
    let gap = 0
    let shift = 0
    let byte = 0
    do {
      byte = bytes[at++] ?? 0
      gap |= (byte & 0x7f) << shift
      shift += 7
    } while (byte & 0x80)
    at++
    doc += gap + 1
    visit(doc)
  }
}

/** One word of a phrase: where it sits relative to the phrase's first word, and the terms it may appear as. */
export interface PhraseSlot {
  /** word positions after the first word (stop words inside the phrase count) */
  offset: number
  /** alternatives: the terms of the word (a Korean word and its stem), any of which matches */
  terms: string[]
}

/** A phrase after analysis: its words in order, with their relative positions. */
export interface Phrase {
  slots: PhraseSlot[]
  /** the phrase as typed, for messages and snippets */
  text: string
}

/** Positions of any of `terms` in a document (sorted, distinct), from a per-term lookup. */
function unionPositions(terms: readonly string[], lookup: (term: string) => readonly number[] | undefined): number[] {
  let out: number[] | undefined
  for (const term of terms) {
    const list = lookup(term)
    if (list === undefined || list.length === 0) continue
    out = out === undefined ? [...list] : [...new Set([...out, ...list])].sort((a, b) => a - b)
  }
  return out ?? []
}

/** Whether `sorted` contains `value` (binary search). */
function includesSorted(sorted: readonly number[], value: number): boolean {
  let lo = 0
  let hi = sorted.length - 1
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1
    const v = sorted[mid] ?? 0
    if (v < value) lo = mid + 1
    else if (v > value) hi = mid - 1
    else return true
  }
  return false
}

/** Whether the words, at these positions per slot, stand in the phrase's order and distances somewhere. */
function slotsLineUp(slots: readonly PhraseSlot[], positions: readonly (readonly number[])[]): boolean {
  const first = positions[0] ?? []
  const firstOffset = slots[0]?.offset ?? 0
  for (const p of first) {
    const start = p - firstOffset
    let all = true
    for (let k = 1; k < slots.length && all; k++) {
      all = includesSorted(positions[k] ?? [], start + (slots[k]?.offset ?? 0))
    }
    if (all) return true
  }
  return false
}

/** Whether a document whose positions are `lookup` contains the phrase (memtable documents). */
export function docHasPhrase(phrase: Phrase, lookup: (term: string) => readonly number[] | undefined): boolean {
  const positions = phrase.slots.map((slot) => unionPositions(slot.terms, lookup))
  if (positions.some((p) => p.length === 0)) return false
  return phrase.slots.length === 1 || slotsLineUp(phrase.slots, positions)
}

/**
 * The documents of a segment that contain the phrase. The rarest word is read first and the others only for the
 * documents still in question; a one-word phrase reads no positions at all.
 */
export function segmentPhraseDocs(seg: Segment, phrase: Phrase): Set<number> {
  const slotTerms = phrase.slots.map((slot) => slot.terms.map((t) => seg.findTerm(t)).filter((n) => n >= 0))
  if (slotTerms.some((terms) => terms.length === 0)) return new Set()
  if (phrase.slots.length === 1) {
    const docs = new Set<number>()
    for (const termNo of slotTerms[0] ?? []) forEachDoc(seg, termNo, (doc) => docs.add(doc))
    return docs
  }
  const df = (terms: number[]): number => terms.reduce((n, t) => n + (seg.termDocFreq[t] ?? 0), 0)
  const order = slotTerms.map((terms, slot) => ({ slot, terms, df: df(terms) })).sort((a, b) => a.df - b.df)
  // slot number → doc → positions of any of its terms
  const bySlot = new Map<number, Map<number, number[]>>()
  let docs: Set<number> | null = null
  for (const { slot, terms } of order) {
    const found = new Map<number, number[]>()
    const wanted = docs === null ? null : [...docs].sort((a, b) => a - b)
    for (const termNo of terms) {
      forEachPositions(seg, termNo, wanted, (doc, positions) => {
        const old = found.get(doc)
        found.set(doc, old === undefined ? positions : [...new Set([...old, ...positions])].sort((a, b) => a - b))
      })
    }
    bySlot.set(slot, found)
    docs = new Set(found.keys())
    if (docs.size === 0) return docs
  }
  const out = new Set<number>()
  for (const doc of docs ?? []) {
    const positions = phrase.slots.map((_, slot) => bySlot.get(slot)?.get(doc) ?? [])
    if (slotsLineUp(phrase.slots, positions)) out.add(doc)
  }
  return out
}

/**
 * Proximity (BM25TP, Rasolofo & Savoy 2003, "Term proximity scoring for keyword-based retrieval systems"): every
 * pair of occurrences of two different query words at most PROXIMITY_WINDOW positions apart adds 1/d² to both
 * words' accumulators. `positions[w]` holds the sorted positions of query word `w` in one document.
 */
export const PROXIMITY_WINDOW = 5

export function proximityAccumulators(positions: readonly (readonly number[])[]): Float64Array {
  const acc = new Float64Array(positions.length)
  const merged: { position: number; word: number }[] = []
  positions.forEach((list, word) => {
    for (const position of list) merged.push({ position, word })
  })
  if (merged.length < 2) return acc
  merged.sort((a, b) => a.position - b.position)
  for (let i = 0; i < merged.length; i++) {
    const a = merged[i]
    if (a === undefined) continue
    for (let j = i + 1; j < merged.length; j++) {
      const b = merged[j]
      if (b === undefined) break
      const d = b.position - a.position
      if (d > PROXIMITY_WINDOW) break
      // d = 0: two terms of one word (a compound's parts), not two words near each other.
      if (d === 0 || a.word === b.word) continue
      const w = 1 / (d * d)
      acc[a.word] = (acc[a.word] ?? 0) + w
      acc[b.word] = (acc[b.word] ?? 0) + w
    }
  }
  return acc
}
