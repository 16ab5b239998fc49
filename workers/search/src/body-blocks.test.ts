import { Segment, SegmentBuilder, splitSegment } from '@edgewire/shared/search'
import { describe, expect, it } from 'vitest'
import sample from '../../../packages/shared/src/search/fixtures/news-sample.json'
import { BodyBlocks } from './body-blocks'

/** Reuters-21578 and Wikinews articles, five times over: several body blocks. */
const docs = Array.from({ length: 5 }, (_, copy) =>
  sample.map((d) => ({
    id: `${d.id}-${copy}`,
    title: d.title,
    body: d.body,
    url: null,
    source: 'Reuters',
    author: null,
    lang: d.lang,
    tags: [],
    published: null,
  })),
).flat()

function headAndBlocks() {
  const builder = new SegmentBuilder()
  for (const d of docs) builder.add(d)
  const { head, bodyBlocks, bodies } = splitSegment(builder.finish())
  return { segment: Segment.open(head), bodyBlocks, joined: bodies }
}

/** A segment registered with a reader that counts its reads per block. */
function registered(maxBytes: number) {
  const { segment, bodyBlocks, joined } = headAndBlocks()
  const reads: number[] = []
  /** reads of all the blocks at once */
  const allReads: number[] = []
  const bodies = new BodyBlocks(maxBytes)
  const read = async (block: number) => {
    reads.push(block)
    const bytes = bodyBlocks[block]
    return bytes ? bytes.slice().buffer : null
  }
  const all = async () => {
    allReads.push(1)
    return joined.slice().buffer
  }
  bodies.register(segment, { kv: read, writer: async () => null, all })
  /** A document of each block, the first one's. */
  const firstDocOf = (block: number) => docs.findIndex((_, doc) => segment.bodyBlockOf(doc) === block)
  return { segment, bodyBlocks, reads, allReads, bodies, firstDocOf }
}

describe('body blocks of an isolate', () => {
  it('reads a block once for the searches that ask for it at once, and keeps it', async () => {
    const { segment, bodyBlocks, reads, bodies, firstDocOf } = registered(1 << 20)
    expect(bodyBlocks.length).toBeGreaterThan(3)
    const a = firstDocOf(1)
    const asked = await Promise.all([
      bodies.stored(segment, a, 'kv'),
      bodies.stored(segment, a, 'kv'),
      bodies.stored(segment, a + 1, 'kv'),
    ])
    expect(asked.map((t) => t?.body)).toEqual([docs[a]?.body, docs[a]?.body, docs[a + 1]?.body])
    expect(reads).toEqual(segment.bodyBlockOf(a + 1) === 1 ? [1] : [1, segment.bodyBlockOf(a + 1)])
    await bodies.stored(segment, a, 'kv')
    expect(reads.filter((b) => b === 1)).toHaveLength(1)
    expect(bodies.bytes).toBe(reads.reduce((n, b) => n + (bodyBlocks[b]?.length ?? 0), 0))
  })

  it('holds at most its budget, letting the least recently used blocks go', async () => {
    const { bodyBlocks, ...all } = registered(0)
    // Room for any two of the first three blocks, not for all three.
    const budget = [0, 1, 2].reduce((n, b) => n + (bodyBlocks[b]?.length ?? 0), 0) - 1
    const { segment, reads, bodies, firstDocOf } = registered(budget)
    for (const block of [0, 1, 0, 2, 0, 1]) {
      expect((await bodies.stored(segment, firstDocOf(block), 'kv'))?.body).toBe(docs[firstDocOf(block)]?.body)
      expect(bodies.bytes).toBeLessThanOrEqual(Math.max(budget, ...bodyBlocks.map((b) => b.length)))
    }
    // 0 and 1 read; 0 used again; 2 lets 1 go (0 was used since); 0 held; 1 read again, letting 2 go.
    expect(reads).toEqual([0, 1, 2, 1])
    // A budget below one block still answers, holding the last block read alone.
    expect((await all.bodies.stored(all.segment, all.firstDocOf(2), 'kv'))?.body).toBe(docs[all.firstDocOf(2)]?.body)
    expect(all.bodies.bytes).toBe(bodyBlocks[2]?.length)
  })

  it('reads ahead in rounds until every block is held, or up to its budget, and lets go of a forgotten segment', async () => {
    const all = registered(1 << 20)
    const rounds: string[] = []
    for (let left = 'more'; left === 'more'; ) {
      left = await all.bodies.prefetch([all.segment], 2)
      rounds.push(left)
    }
    expect(all.reads).toEqual(all.bodyBlocks.map((_, b) => b))
    // Two a round; the last round says nothing is left.
    expect(rounds).toEqual([...Array(Math.ceil(all.bodyBlocks.length / 2) - 1).fill('more'), 'done'])
    expect(all.bodies.bytes).toBe(all.bodyBlocks.reduce((n, b) => n + b.length, 0))
    // Held: searches read nothing more.
    expect((await all.bodies.stored(all.segment, all.firstDocOf(3), 'kv'))?.body).toBe(docs[all.firstDocOf(3)]?.body)
    expect(all.reads).toHaveLength(all.bodyBlocks.length)
    all.bodies.forget(all.segment)
    expect(all.bodies.bytes).toBe(0)

    // A budget of two blocks and a bit: two read ahead, and the third, which does not fit, ends it.
    const budget = (all.bodyBlocks[0]?.length ?? 0) + (all.bodyBlocks[1]?.length ?? 0) + 10
    const some = registered(budget)
    expect(await some.bodies.prefetch([some.segment], 100)).toBe('done')
    expect(some.reads).toEqual([0, 1])
  })

  it('reads ahead only from KV: a segment whose block KV does not show yet waits for a later round, the others go on', async () => {
    const fresh = headAndBlocks()
    const old = registered(1 << 20)
    const writerCalls: number[] = []
    let shown = false
    old.bodies.register(fresh.segment, {
      kv: async (block) => (shown ? (fresh.bodyBlocks[block]?.slice().buffer ?? null) : null),
      writer: async (block) => {
        writerCalls.push(block)
        return fresh.bodyBlocks[block]?.slice().buffer ?? null
      },
      all: async () => null,
    })
    expect(await old.bodies.prefetch([fresh.segment, old.segment], 1000)).toBe('later')
    expect(old.reads).toEqual(old.bodyBlocks.map((_, b) => b))
    expect(writerCalls).toEqual([])
    // A search's snippet does ask the writer (its last try).
    expect((await old.bodies.stored(fresh.segment, 0, 'writer'))?.body).toBe(docs[0]?.body)
    expect(writerCalls).toEqual([0])
    shown = true
    expect(await old.bodies.prefetch([fresh.segment, old.segment], 1000)).toBe('done')
    expect(writerCalls).toEqual([0])
  })

  it('loads a swap’s new segments’ blocks in one read each, as long as they fit its budget together', async () => {
    const one = registered(1 << 20)
    const two = registered(1 << 20)
    // The second's reader, with the first's blocks: its segment is the same.
    one.bodies.register(two.segment, {
      kv: async () => null,
      writer: async () => null,
      all: async () => {
        two.allReads.push(1)
        return headAndBlocks().joined.slice().buffer
      },
    })
    await one.bodies.stored(one.segment, one.firstDocOf(0), 'kv')
    let alive = 0
    await one.bodies.load([one.segment, two.segment], () => alive++)
    expect([one.reads, one.allReads, two.allReads]).toEqual([[0], [1], [1]])
    expect(alive).toBe(2)
    const total = one.bodyBlocks.reduce((n, b) => n + b.length, 0)
    expect(one.bodies.bytes).toBe(2 * total)
    // Held now: every body answers without a read.
    for (let doc = 0; doc < docs.length; doc += 7) {
      expect((await one.bodies.stored(two.segment, doc, 'kv'))?.body).toBe(docs[doc]?.body)
    }
    expect(one.reads).toEqual([0])
    // A budget short of a segment's blocks loads none of them (read ahead later, block by block).
    const small = registered(total - 1)
    await small.bodies.load([small.segment], () => undefined)
    expect([small.reads, small.allReads, small.bodies.bytes]).toEqual([[], [], 0])
  })

  it('answers null for a block neither KV nor the writer has, and for a segment it was never told of', async () => {
    const { segment, bodies, firstDocOf } = registered(1 << 20)
    const gone = new BodyBlocks()
    gone.register(segment, { kv: async () => null, writer: async () => null, all: async () => null })
    expect(await gone.stored(segment, firstDocOf(0), 'kv')).toBeNull()
    expect(await bodies.stored(headAndBlocks().segment, 0, 'kv')).toBeNull()
    expect(gone.bytes).toBe(0)
  })
})
