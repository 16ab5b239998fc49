/**
 * A sorted, duplicate-free list of terms packed into two typed arrays: every term's UTF-16 code units one after
 * another, and where each starts. A search isolate holds one for all its segments' terms (the dictionary typo and
 * prefix expansion walk). As a string per term it held 43 bytes a term, 28 MiB for the 670,000 terms of a
 * 100,000-article archive in seven segments (Node, `v8` heap after a full collection); packed, about 2 bytes a
 * character and 4 for its start, and nothing for the collector to trace.
 *
 * Order is JS `<` (UTF-16 code unit order), the order segments write their terms in.
 */
export class TermList {
  /** the terms' code units, one after another */
  readonly units: Uint16Array
  /** term i is units[starts[i], starts[i + 1]) */
  readonly starts: Uint32Array

  /** `starts` has one entry more than there are terms: the end of the last. */
  constructor(units: Uint16Array, starts: Uint32Array) {
    this.units = units
    this.starts = starts
  }

  static readonly EMPTY = new TermList(new Uint16Array(0), new Uint32Array(1))

  /** A list of sorted, duplicate-free terms. */
  static of(terms: readonly string[]): TermList {
    let total = 0
    for (const t of terms) total += t.length
    const units = new Uint16Array(total)
    const starts = new Uint32Array(terms.length + 1)
    let at = 0
    terms.forEach((t, i) => {
      starts[i] = at
      for (let k = 0; k < t.length; k++) units[at++] = t.charCodeAt(k)
    })
    starts[terms.length] = at
    return new TermList(units, starts)
  }

  /** The `count` sorted terms of `text`, each followed by `separator` but the last (a segment's term section). */
  static ofSeparated(text: string, separator: string, count: number): TermList {
    if (count === 0) return TermList.EMPTY
    const sep = separator.charCodeAt(0)
    const units = new Uint16Array(text.length - (count - 1))
    const starts = new Uint32Array(count + 1)
    let at = 0
    let term = 1
    for (let k = 0; k < text.length; k++) {
      const c = text.charCodeAt(k)
      if (c === sep) starts[term++] = at
      else units[at++] = c
    }
    starts[count] = at
    return new TermList(units, starts)
  }

  get length(): number {
    return this.starts.length - 1
  }

  /** Term i as a string. */
  at(i: number): string {
    const from = this.starts[i] ?? 0
    const to = this.starts[i + 1] ?? from
    // Terms are words: short enough for one call with the units as its arguments.
    return String.fromCharCode.apply(null, this.units.subarray(from, to) as unknown as number[])
  }

  /** Code units in term i. */
  lengthOf(i: number): number {
    return (this.starts[i + 1] ?? 0) - (this.starts[i] ?? 0)
  }

  /** Sign of term i compared with `key` in UTF-16 code unit order: negative when it sorts first, 0 when equal. */
  compare(i: number, key: string): number {
    const from = this.starts[i] ?? 0
    const n = (this.starts[i + 1] ?? from) - from
    const m = Math.min(n, key.length)
    for (let k = 0; k < m; k++) {
      const d = (this.units[from + k] ?? 0) - key.charCodeAt(k)
      if (d !== 0) return d
    }
    return n - key.length
  }

  /** First index in [lo, hi) whose term is ≥ `key`. */
  lowerBound(key: string, lo = 0, hi = this.length): number {
    let a = lo
    let b = hi
    while (a < b) {
      const mid = (a + b) >>> 1
      if (this.compare(mid, key) < 0) a = mid + 1
      else b = mid
    }
    return a
  }

  /** Index of `key`, or −1. */
  indexOf(key: string): number {
    const i = this.lowerBound(key)
    return i < this.length && this.compare(i, key) === 0 ? i : -1
  }

  *[Symbol.iterator](): Iterator<string> {
    for (let i = 0; i < this.length; i++) yield this.at(i)
  }
}

/** Writes terms into a TermList of at most a known size, then trims it. */
export class TermListWriter {
  private units: Uint16Array
  private readonly starts: Uint32Array
  private count = 0
  private at = 0

  constructor(maxTerms: number, maxUnits: number) {
    this.units = new Uint16Array(maxUnits)
    this.starts = new Uint32Array(maxTerms + 1)
  }

  get length(): number {
    return this.count
  }

  /** Appends term i of `from`. */
  push(from: TermList, i: number): void {
    const a = from.starts[i] ?? 0
    const b = from.starts[i + 1] ?? a
    this.starts[this.count++] = this.at
    // Terms are a few units long: a loop beats a subarray view and set() per term (a merge pushes millions).
    const units = this.units
    const source = from.units
    for (let k = a; k < b; k++) units[this.at++] = source[k] as number
  }

  /** The list written (copied to its size when shorter than reserved, so the reserve is let go). */
  finish(): TermList {
    this.starts[this.count] = this.at
    const units = this.at === this.units.length ? this.units : this.units.slice(0, this.at)
    const starts = this.count + 1 === this.starts.length ? this.starts : this.starts.slice(0, this.count + 1)
    return new TermList(units, starts)
  }
}

/** Sign of term i of a compared with term j of b, in UTF-16 code unit order. */
export function compareTerms(a: TermList, i: number, b: TermList, j: number): number {
  const x = a.starts[i] ?? 0
  const y = b.starts[j] ?? 0
  const n = a.lengthOf(i)
  const m = b.lengthOf(j)
  const l = Math.min(n, m)
  for (let k = 0; k < l; k++) {
    const d = (a.units[x + k] ?? 0) - (b.units[y + k] ?? 0)
    if (d !== 0) return d
  }
  return n - m
}

/** Code units term i of a and term j of b share at their start, counted up to `max`. */
export function sharedPrefix(a: TermList, i: number, b: TermList, j: number, max: number): number {
  const x = a.starts[i] ?? 0
  const y = b.starts[j] ?? 0
  const n = Math.min(a.lengthOf(i), b.lengthOf(j), max)
  let k = 0
  while (k < n && a.units[x + k] === b.units[y + k]) k++
  return k
}
