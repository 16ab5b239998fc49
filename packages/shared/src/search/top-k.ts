/**
 * Keeps the best `k` items by a two-number key (higher first; ties keep insertion order) in a min-heap, so a query
 * matching 20,000 documents sorts only the page it returns.
 */
export class TopK<T> {
  private readonly heap: { item: T; a: number; b: number; seq: number }[] = []
  private seq = 0
  /**
   * The lowest first key kept once `k` items are (-Infinity before): an item whose first key is below it is not
   * wanted, whatever its second. A field, kept up to date by `push`, so that a caller checks it at no call's cost.
   */
  floor: number

  constructor(private readonly k: number) {
    this.floor = k > 0 ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY
  }

  /** Whether an item with keys (a, b) would be kept now (check before building the item). */
  wants(a: number, b: number): boolean {
    if (this.heap.length < this.k) return true
    const root = this.heap[0]
    // Equal keys lose to the earlier item (insertion order).
    return root !== undefined && (a > root.a || (a === root.a && b > root.b))
  }

  /** Offers an item with its keys, higher first. */
  push(a: number, b: number, item: T): void {
    if (this.k <= 0) return
    const entry = { item, a, b, seq: this.seq++ }
    const heap = this.heap
    if (heap.length < this.k) {
      heap.push(entry)
      this.up(heap.length - 1)
    } else {
      const root = heap[0]
      if (root !== undefined && worse(root, entry)) {
        heap[0] = entry
        this.down(0)
      }
    }
    if (heap.length === this.k) this.floor = heap[0]?.a ?? Number.POSITIVE_INFINITY
  }

  /** The kept items, best first. */
  sorted(): T[] {
    return [...this.heap].sort((x, y) => (worse(x, y) ? 1 : worse(y, x) ? -1 : 0)).map((e) => e.item)
  }

  private up(i: number): void {
    const heap = this.heap
    let child = i
    while (child > 0) {
      const parent = (child - 1) >> 1
      const c = heap[child]
      const p = heap[parent]
      if (c === undefined || p === undefined || !worse(c, p)) break
      heap[child] = p
      heap[parent] = c
      child = parent
    }
  }

  private down(i: number): void {
    const heap = this.heap
    let parent = i
    for (;;) {
      const left = parent * 2 + 1
      const right = left + 1
      let smallest = parent
      const s0 = heap[smallest]
      const l = heap[left]
      if (l !== undefined && s0 !== undefined && worse(l, s0)) smallest = left
      const s1 = heap[smallest]
      const r = heap[right]
      if (r !== undefined && s1 !== undefined && worse(r, s1)) smallest = right
      if (smallest === parent) return
      const p = heap[parent]
      const s = heap[smallest]
      if (p === undefined || s === undefined) return
      heap[parent] = s
      heap[smallest] = p
      parent = smallest
    }
  }
}

/** Whether x ranks below y. */
function worse(x: { a: number; b: number; seq: number }, y: { a: number; b: number; seq: number }): boolean {
  if (x.a !== y.a) return x.a < y.a
  if (x.b !== y.b) return x.b < y.b
  return x.seq > y.seq
}
