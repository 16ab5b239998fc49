import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test'
import { articleIdFor } from '@edgewire/shared'
import { articleKey } from '@edgewire/shared/lifecycle'
import { describe, expect, it } from 'vitest'
import type { IngestEnv } from '../workers/ingest/src/context'
import { INLINE_MAX_CHARS } from '../workers/ingest/src/inbox'
import { SAFETY_NET_MS } from './eventually'
import {
  brokenKv,
  brokenWriter,
  eventBody,
  flakyKv,
  ingestEnv,
  ingestWith,
  signedRequest,
  writerOf,
  writersStats,
} from './faults'
import { eventually, nextId, SEARCH, SELF, searchUntil, sendEvent } from './helpers'

interface Result {
  id: string
  url?: string
  status: string
  error?: string
}
const resultsOf = async (res: Response) => ((await res.json()) as { results: Result[] }).results
const article = (id: string) => SELF.fetch(`${SEARCH}/articles/${id}`)
const inKv = (id: string) => ingestEnv.ARTICLES.get(articleKey(id))

describe('idempotency by webhook-id', () => {
  it('answers a replay as before and does no new work', async () => {
    const id = nextId()
    const data = { url: 'https://delivery.example/replay', text: 'Tin prices held steady in Kuala Lumpur.' }
    const first = await sendEvent('article.upsert', data, { id })
    const firstResults = await resultsOf(first)
    expect(firstResults[0]?.status).toBe('created')
    const head = (await writersStats()).headSeq

    const replay = await sendEvent('article.upsert', data, { id })
    expect(replay.status).toBe(202)
    expect(replay.headers.get('webhook-replayed')).toBe('true')
    expect(await resultsOf(replay)).toEqual(firstResults)
    expect((await writersStats()).headSeq).toBe(head)
  })

  it('answers a replay as before even when its body changed (the webhook-id names the message)', async () => {
    const id = nextId()
    const first = await resultsOf(
      await sendEvent('article.upsert', { url: 'https://delivery.example/same-id', text: 'Version one.' }, { id }),
    )
    const second = await sendEvent('article.upsert', { url: 'https://delivery.example/same-id', text: 'Two.' }, { id })
    expect(await resultsOf(second)).toEqual(first)
    const stored = (await (await article(first[0]?.id ?? '')).json()) as { body: string }
    expect(stored.body).toBe('Version one.')
  })

  it('applies two identical deliveries sent at the same moment once', async () => {
    const id = nextId()
    const body = eventBody('article.upsert', {
      url: 'https://delivery.example/concurrent-twins',
      text: 'Two copies of one delivery raced each other.',
    })
    const head = (await writersStats()).headSeq
    const [a, b] = await Promise.all([
      SELF.fetch(await signedRequest(body, { id })),
      SELF.fetch(await signedRequest(body, { id })),
    ])
    expect([a.status, b.status]).toEqual([202, 202])
    const [ra, rb] = [await resultsOf(a), await resultsOf(b)]
    expect(ra).toEqual(rb)
    expect(ra[0]?.status).toBe('created')
    expect((await writersStats()).headSeq).toBe(head + 1)
  })

  it('treats a redelivery under a new webhook-id as unchanged (an at-least-once sender resending)', async () => {
    const data = { url: 'https://delivery.example/resent', text: 'Zinc stocks fell.', published: '2024-03-01' }
    expect((await resultsOf(await sendEvent('article.upsert', data)))[0]?.status).toBe('created')
    const head = (await writersStats()).headSeq
    for (let i = 0; i < 3; i++) {
      expect((await resultsOf(await sendEvent('article.upsert', data)))[0]?.status).toBe('unchanged')
    }
    expect((await writersStats()).headSeq).toBe(head)
  })
})

describe('ordering by version', () => {
  it('keeps the newer content when an older version arrives after it (by published)', async () => {
    const url = 'https://delivery.example/out-of-order'
    const newer = await resultsOf(
      await sendEvent('article.upsert', { url, text: 'Newer: the strike ended.', published: '2024-02-02T10:00:00Z' }),
    )
    const older = await resultsOf(
      await sendEvent('article.upsert', { url, text: 'Older: the strike began.', published: '2024-02-01T10:00:00Z' }),
    )
    expect(newer[0]?.status).toBe('created')
    expect(older[0]?.status).toBe('unchanged')
    expect(older[0]?.id).toBe(newer[0]?.id)
    const stored = (await (await article(newer[0]?.id ?? '')).json()) as { body: string }
    expect(stored.body).toBe('Newer: the strike ended.')
    const kv = await eventually(
      () => inKv(newer[0]?.id ?? ''),
      (v) => v !== null,
    )
    expect(JSON.parse(kv ?? '{}').body).toBe('Newer: the strike ended.')
  })

  it('keeps the newer content when versions share a published date and arrive out of event order', async () => {
    const url = 'https://delivery.example/event-order'
    const published = '2024-02-03T00:00:00Z'
    const late = await resultsOf(await sendEvent('article.upsert', { url, text: 'Corrected figures.', published }, {}))
    const early = await resultsOf(
      await SELF.fetch(
        await signedRequest(
          eventBody('article.upsert', { url, text: 'First figures.', published }, '2020-01-01T00:00:00Z'),
        ),
      ),
    )
    expect(late[0]?.status).toBe('created')
    expect(early[0]?.status).toBe('unchanged')
    const stored = (await (await article(late[0]?.id ?? '')).json()) as { body: string }
    expect(stored.body).toBe('Corrected figures.')
  })

  it('does not bring back a deleted article with an older version delivered late', async () => {
    const url = 'https://delivery.example/deleted-then-stale'
    const data = { url, text: 'A story later withdrawn.' }
    const old = eventBody('article.upsert', data, '2024-01-01T00:00:00Z')
    const created = await resultsOf(await SELF.fetch(await signedRequest(old)))
    expect(created[0]?.status).toBe('created')
    expect((await resultsOf(await sendEvent('article.delete', { url })))[0]?.status).toBe('deleted')
    // The sender retries the original delivery under a new id, long after the delete.
    const stale = await resultsOf(await SELF.fetch(await signedRequest(old)))
    expect(stale[0]?.status).toBe('unchanged')
    expect((await article(created[0]?.id ?? '')).status).toBe(404)
  })
})

describe('large batches', () => {
  it('takes 1,000 articles in one call and makes every one searchable', async () => {
    const articles = Array.from({ length: 1000 }, (_, i) => ({
      externalId: `thousand-${i}`,
      title: `Bulk story ${i}`,
      text: `Shipment ${i} of copra arrived in Rotterdam, traders said. The marker word is kumquatbulk.`,
    }))
    const res = await sendEvent('article.batch', { articles })
    expect(res.status).toBe(202)
    const results = await resultsOf(res)
    expect(results).toHaveLength(1000)
    expect(results.every((r) => r.status === 'created')).toBe(true)
    expect((await searchUntil({ q: 'kumquatbulk' }, 1000)).total).toBe(1000)
  })

  it('takes the stated maximum of 5,000 articles and refuses 5,001 with 422', async () => {
    const make = (n: number) =>
      Array.from({ length: n }, (_, i) => ({ externalId: `max-${i}`, text: `Item ${i} of the largest batch.` }))
    const ok = await sendEvent('article.batch', { articles: make(5000) })
    expect(ok.status).toBe(202)
    const results = await resultsOf(ok)
    expect(results).toHaveLength(5000)
    expect(results.filter((r) => r.status === 'rejected')).toEqual([])
    const tooMany = await sendEvent('article.batch', { articles: make(5001) })
    expect(tooMany.status).toBe(422)
    expect(tooMany.headers.get('content-type')).toContain('application/problem+json')
  }, 120_000)

  it(
    'answers a delivery too large to normalize in one request with queued, and the queue makes it searchable',
    async () => {
      const sentence = 'Barley and oats were traded in small lots. '
      const padding = sentence.repeat(Math.ceil((INLINE_MAX_CHARS * 1.1) / 400 / sentence.length))
      const articles = Array.from({ length: 400 }, (_, i) => ({
        externalId: `queued-${i}`,
        title: `Grain report ${i}`,
        text: `Marker quinoaqueued ${i}. ${padding}`,
      }))
      const res = await sendEvent('article.batch', { articles })
      expect(res.status).toBe(202)
      const results = await resultsOf(res)
      expect(results).toHaveLength(400)
      expect(new Set(results.map((r) => r.status))).toEqual(new Set(['queued']))
      expect(results.every((r) => /^[0-9a-f]{32}$/.test(r.id))).toBe(true)
      // The queue normalizes 400 long articles: about 20 s alone, 90 s or more on a loaded machine. The wait is a
      // safety net, not a timing assertion.
      const found = await eventually(
        () => SELF.fetch(`${SEARCH}/search?q=quinoaqueued&limit=1`).then((r) => r.json() as Promise<{ total: number }>),
        (r) => r.total === 400,
        3 * SAFETY_NET_MS,
      )
      expect(found.total).toBe(400)
      // Ids answered before normalization are the ids the articles got.
      expect((await article(results[7]?.id ?? '')).status).toBe(200)
    },
    4 * SAFETY_NET_MS,
  )
})

describe('faults', () => {
  it('answers queued when the index writer is down, and the queue applies the articles once it can', async () => {
    const id = nextId()
    const body = eventBody('article.batch', {
      articles: [
        { url: 'https://delivery.example/writer-down/1', text: 'Rubber output rose. Marker durianoutage.' },
        { url: 'not a url', text: 'Bad one.' },
        { url: 'https://delivery.example/writer-down/2', text: 'Palm oil output rose. Marker durianoutage.' },
      ],
    })
    const res = await ingestWith({ INDEX: brokenWriter() }, await signedRequest(body, { id }))
    expect(res.status).toBe(202)
    const results = await resultsOf(res)
    expect(results.map((r) => r.status)).toEqual(['queued', 'rejected', 'queued'])

    // A replay while the writer is still down is answered from the inbox.
    const replay = await ingestWith({ INDEX: brokenWriter() }, await signedRequest(body, { id }))
    expect(replay.headers.get('webhook-replayed')).toBe('true')
    expect(await resultsOf(replay)).toEqual(results)

    expect((await searchUntil({ q: 'durianoutage' }, 2)).total).toBe(2)
    const kv = await eventually(
      () => inKv(results[0]?.id ?? ''),
      (v) => v !== null,
    )
    expect(JSON.parse(kv ?? '{}').url).toBe('https://delivery.example/writer-down/1')
    // Once applied, replays are answered by the writer, still as the sender was first answered.
    const later = await eventually(
      () =>
        signedRequest(body, { id })
          .then((r) => SELF.fetch(r))
          .then(resultsOf),
      (r) => r.length === 3,
    )
    expect(later).toEqual(results)
  })

  it('answers 503 with Retry-After and stores nothing when neither the writer nor KV can take a delivery', async () => {
    const url = 'https://delivery.example/all-down'
    // Whatever the webhook would queue, the consumer would later store: record the queue instead of waiting for it.
    const queued: unknown[] = []
    const queue = {
      send: async (body: unknown) => void queued.push(body),
      sendBatch: async (messages: Iterable<{ body: unknown }>) => {
        for (const m of messages) queued.push(m.body)
      },
    } as unknown as IngestEnv['INGEST_QUEUE']
    const res = await ingestWith(
      { INDEX: brokenWriter(), ARTICLES: brokenKv(), INGEST_QUEUE: queue },
      await signedRequest(eventBody('article.upsert', { url, text: 'Nobody can take this.' })),
    )
    expect(res.status).toBe(503)
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/)
    expect(res.headers.get('content-type')).toContain('application/problem+json')
    const problem = (await res.json()) as { detail: string }
    expect(problem.detail).not.toMatch(/at .*\.ts/)
    // ingestWith waited for everything the request left running: nothing was staged, nothing queued.
    expect(queued).toEqual([])
    expect(await ingestEnv.ARTICLES.list({ prefix: 'inbox:' }).then((l) => l.keys.length)).toBe(0)
  })

  it('gets an article into KV after the alarm when the first KV write failed', async () => {
    const url = 'https://delivery.example/kv-down'
    const stub = writerOf(await articleIdFor({ url }))
    const flaky = flakyKv(ingestEnv.ARTICLES)
    await runInDurableObject(stub, (instance) => {
      Reflect.set(instance, 'env', { ...ingestEnv, ARTICLES: flaky.kv })
    })
    try {
      const res = await sendEvent('article.upsert', {
        url,
        text: 'Written while KV refused every write.',
      })
      const [result] = await resultsOf(res)
      expect(result?.status).toBe('created')
      await runDurableObjectAlarm(stub)
      await eventually(
        async () => flaky.failedPuts(),
        (n) => n > 0,
      )
      expect(await inKv(result?.id ?? '')).toBeNull()
      expect((await stub.stats()).kvPending).toBeGreaterThan(0)
      // Search does not wait for KV: the writer serves it.
      expect((await article(result?.id ?? '')).status).toBe(200)

      flaky.heal()
      const pending = await eventually(
        async () => {
          await runDurableObjectAlarm(stub)
          return (await stub.stats()).kvPending
        },
        (n) => n === 0,
        10_000,
      )
      expect(pending).toBe(0)
      expect(JSON.parse((await inKv(result?.id ?? '')) ?? '{}').body).toBe('Written while KV refused every write.')
    } finally {
      await runInDurableObject(stub, (instance) => {
        Reflect.set(instance, 'env', ingestEnv)
      })
    }
  })
})
