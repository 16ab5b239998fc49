import { articleIdFor } from '@edgewire/shared'
import { describe, expect, it } from 'vitest'
import { writerOf } from './faults'
import { postSigned } from './helpers'

// Order by event, never by delivery (version-order.ts): every pair of events on one article, sent through the real
// webhook in both orders, ends in the same state (at the writer of the article's shard, where all of them go).
/** The article's copy at its shard's writer. */
const stored = async (url: string) => {
  const id = await articleIdFor({ url })
  return writerOf(id).getArticle(id)
}

type Event = { kind: 'upsert'; at: string; published?: string; title: string } | { kind: 'delete'; at: string }

let run = 0

/** Sends one event about `url`; its body timestamp is `at`, its signature is made now (or at `signedAt`). */
async function send(url: string, e: Event, signedAt?: number): Promise<string> {
  const body =
    e.kind === 'delete'
      ? { type: 'article.delete', timestamp: e.at, data: { url } }
      : {
          type: 'article.upsert',
          timestamp: e.at,
          data: { url, title: e.title, text: `The story of ${e.title}, told in words.`, published: e.published },
        }
  const res = await postSigned(JSON.stringify(body), signedAt === undefined ? {} : { timestamp: signedAt })
  expect(res.status).toBe(202)
  const { results } = (await res.json()) as { results: { status: string }[] }
  return results[0]?.status ?? 'none'
}

/** Sends the events in the order given and answers the article's title afterwards, or null when it is gone. */
async function finalTitle(events: readonly Event[]): Promise<string | null> {
  const url = `https://order.example/${run++}`
  for (const e of events) await send(url, e)
  const article = await stored(url)
  return article?.title ?? null
}

const JAN = '2026-01-01T00:00:00.000Z'
const FEB = '2026-02-01T00:00:00.000Z'
const MAR = '2026-03-01T00:00:00.000Z'

interface Pair {
  name: string
  older: Event
  newer: Event
  /** Sent before the pair, in both orders. */
  before?: Event
  /** The title that must win, or null: the article is gone. */
  expected: string | null
}

const PAIRS: readonly Pair[] = [
  {
    name: 'upsert / upsert: the later published version wins',
    older: { kind: 'upsert', at: JAN, published: JAN, title: 'Old version' },
    newer: { kind: 'upsert', at: MAR, published: MAR, title: 'New version' },
    expected: 'New version',
  },
  {
    name: 'upsert / upsert with the same published: the later event wins',
    older: { kind: 'upsert', at: JAN, published: JAN, title: 'First edit' },
    newer: { kind: 'upsert', at: MAR, published: JAN, title: 'Second edit' },
    expected: 'Second edit',
  },
  {
    name: 'upsert / delete: a delete older than the version never removes it',
    older: { kind: 'delete', at: JAN },
    newer: { kind: 'upsert', at: MAR, published: MAR, title: 'Still here' },
    expected: 'Still here',
  },
  {
    name: 'delete / upsert: an upsert older than the delete never revives it',
    older: { kind: 'upsert', at: JAN, published: JAN, title: 'Deleted later' },
    newer: { kind: 'delete', at: MAR },
    expected: null,
  },
  {
    name: 'delete / delete: the newer delete removes a version between the two',
    before: { kind: 'upsert', at: FEB, published: FEB, title: 'Between the deletes' },
    older: { kind: 'delete', at: JAN },
    newer: { kind: 'delete', at: MAR },
    expected: null,
  },
  {
    name: 'delete / delete: two deletes older than the version leave it',
    before: { kind: 'upsert', at: MAR, published: MAR, title: 'After both deletes' },
    older: { kind: 'delete', at: JAN },
    newer: { kind: 'delete', at: FEB },
    expected: 'After both deletes',
  },
  {
    name: 'tie: a delete at the same time as the version removes it',
    older: { kind: 'upsert', at: FEB, published: JAN, title: 'Tied with its delete' },
    newer: { kind: 'delete', at: FEB },
    expected: null,
  },
]

describe('order by event, never by delivery', () => {
  for (const pair of PAIRS) {
    for (const order of ['older first', 'newer first'] as const) {
      it(`${pair.name} (${order})`, async () => {
        const events = order === 'older first' ? [pair.older, pair.newer] : [pair.newer, pair.older]
        expect(await finalTitle([...(pair.before ? [pair.before] : []), ...events])).toBe(pair.expected)
      })
    }
  }

  it('tie: two contents with the same published and event time end the same in both orders', async () => {
    const a: Event = { kind: 'upsert', at: FEB, published: FEB, title: 'Tie A' }
    const b: Event = { kind: 'upsert', at: FEB, published: FEB, title: 'Tie B' }
    const first = await finalTitle([a, b])
    expect(first === 'Tie A' || first === 'Tie B').toBe(true)
    expect(await finalTitle([b, a])).toBe(first)
  })

  it('answers unchanged to an older upsert after a newer one, and to an older delete after a newer version', async () => {
    const url = `https://order.example/${run++}`
    expect(await send(url, { kind: 'upsert', at: MAR, published: MAR, title: 'The newest' })).toBe('created')
    expect(await send(url, { kind: 'upsert', at: JAN, published: JAN, title: 'The oldest' })).toBe('unchanged')
    expect(await send(url, { kind: 'delete', at: JAN })).toBe('unchanged')
    expect(await send(url, { kind: 'delete', at: MAR })).toBe('deleted')
    expect(await send(url, { kind: 'upsert', at: FEB, published: FEB, title: 'Too late' })).toBe('unchanged')
  })

  it('never lets a retry with a fresh signature timestamp beat a newer event', async () => {
    const url = `https://order.example/${run++}`
    const now = Math.floor(Date.now() / 1000)
    const stale: Event = { kind: 'upsert', at: JAN, published: JAN, title: 'The first send' }
    // The first attempt was signed four minutes ago; the newer event came in between; the retry is signed now.
    expect(await send(url, stale, now - 240)).toBe('created')
    expect(await send(url, { kind: 'upsert', at: FEB, published: JAN, title: 'The correction' }, now - 120)).toBe(
      'updated',
    )
    expect(await send(url, stale, now)).toBe('unchanged')
    expect((await stored(url))?.title).toBe('The correction')
    // The same for a delete retried after a newer version.
    expect(await send(url, { kind: 'delete', at: JAN }, now)).toBe('unchanged')
    expect((await stored(url))?.title).toBe('The correction')
  })
})
