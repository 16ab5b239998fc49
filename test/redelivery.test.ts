import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test'
import { articleIdFor } from '@edgewire/shared'
import { allShards, shardOf } from '@edgewire/shared/shards'
import { describe, expect, it } from 'vitest'
import type { IngestEnv } from '../workers/ingest/src/context'
import { INBOX_QUEUE, type InboxMessage } from '../workers/ingest/src/inbox'
import { handleQueue } from '../workers/ingest/src/queue-consumer'
import { homeShard } from '../workers/ingest/src/shards'
import {
  brokenQueue,
  brokenWriter,
  eventBody,
  ingestEnv,
  ingestWith,
  SHARDS,
  signedRequest,
  urlInShard,
  writerDown,
  writerOf,
  writersStats,
} from './faults'
import { nextId, SELF, searchUntil } from './helpers'

// CONTRACT: "A repeated webhook-id is answered as before and does no work twice", and the answer holds one result per
// article, in input order. A sender redelivers the same signed batch (signed again, later) whenever it saw no answer:
// after the answer was lost, while the first delivery is still being normalized or applied, while it waits in the
// queue, and while or after the index writer was away.

interface Result {
  id?: string
  url?: string
  status: string
  error?: string
}
const resultsOf = async (res: Response) => {
  expect(res.status).toBe(202)
  return ((await res.json()) as { results: Result[] }).results
}
/** The index's sequence: every shard's writer's summed. */
const headSeq = async () => (await writersStats()).headSeq

/** A batch of `n` short stories carrying `marker`, the second one invalid (rejected by index). */
function batch(marker: string, n: number): string {
  return eventBody('article.batch', {
    articles: Array.from({ length: n }, (_, i) =>
      i === 1
        ? { url: 'not a url', text: 'Invalid.' }
        : { url: `https://redelivery.example/${marker}/${i}`, text: `Story ${i} of the ${marker} series, in brief.` },
    ),
  })
}

/** A batch the webhook queues rather than normalizing in the request: HTML pages worth more than its inline budget. */
function queuedBatch(marker: string): string {
  const page = (i: number) =>
    `<html><head><title>Page ${i} ${marker}</title></head><body><article>${'<p>Sugar and cocoa prices moved again this week in the markets.</p>'.repeat(11_000)}<p>${marker} page ${i}</p></article></body></html>`
  return eventBody('article.batch', {
    articles: [0, 1, 2].map((i) => ({ url: `https://redelivery.example/${marker}/${i}`, html: page(i) })),
  })
}

/** A queue that keeps what is sent to it, so the test decides when the consumer runs. */
function recordingQueue(): { queue: IngestEnv['INGEST_QUEUE']; sent: InboxMessage[] } {
  const sent: InboxMessage[] = []
  const queue = {
    send: async (body: InboxMessage) => void sent.push(body),
    sendBatch: async (messages: Iterable<{ body: InboxMessage }>) => {
      for (const m of messages) sent.push(m.body)
    },
  } as unknown as IngestEnv['INGEST_QUEUE']
  return { queue, sent }
}

describe('a redelivered batch (same webhook-id, signed again)', () => {
  it('is answered with the first answer, one result per article, after that answer', async () => {
    const id = nextId()
    const body = batch('after', 300)
    const head = await headSeq()
    const first = await resultsOf(await SELF.fetch(await signedRequest(body, { id })))
    expect(first).toHaveLength(300)
    expect(first[1]?.status).toBe('rejected')
    expect(await headSeq()).toBe(head + 299)

    const again = await SELF.fetch(await signedRequest(body, { id, timestamp: Math.floor(Date.now() / 1000) + 30 }))
    expect(again.headers.get('webhook-replayed')).toBe('true')
    expect(await resultsOf(again)).toEqual(first)
    expect(await headSeq()).toBe(head + 299)
  })

  it('is answered as the first delivery is when it arrives while the first is still being processed', async () => {
    const id = nextId()
    const body = batch('during', 1000)
    const head = await headSeq()
    const [a, b, c] = await Promise.all([
      SELF.fetch(await signedRequest(body, { id })),
      SELF.fetch(await signedRequest(body, { id })),
      SELF.fetch(await signedRequest(body, { id })),
    ])
    const [ra, rb, rc] = [await resultsOf(a), await resultsOf(b), await resultsOf(c)]
    expect(ra).toHaveLength(1000)
    expect(ra.filter((r) => r.status === 'created')).toHaveLength(999)
    expect(rb).toEqual(ra)
    expect(rc).toEqual(ra)
    expect(await headSeq()).toBe(head + 999)
  })

  it('is answered queued, as first, while the batch waits in the queue and after the queue applied it', async () => {
    const id = nextId()
    const marker = 'redeliveryqueuedzq'
    const body = queuedBatch(marker)
    const head = await headSeq()
    const [first, concurrent] = await Promise.all([
      SELF.fetch(await signedRequest(body, { id })).then(resultsOf),
      SELF.fetch(await signedRequest(body, { id })).then(resultsOf),
    ])
    expect(first.map((r) => r.status)).toEqual(['queued', 'queued', 'queued'])
    expect(concurrent).toEqual(first)
    const waiting = await SELF.fetch(await signedRequest(body, { id }))
    expect(await resultsOf(waiting)).toEqual(first)

    expect((await searchUntil({ q: marker }, 3)).total).toBe(3)
    expect(await resultsOf(await SELF.fetch(await signedRequest(body, { id })))).toEqual(first)
    expect(await headSeq()).toBe(head + 3)
  })

  it('is answered as first, and applied once, when the writer comes back before the queue applies it', async () => {
    const id = nextId()
    const marker = 'redeliverybackzq'
    const body = batch(marker, 4)
    const { queue, sent } = recordingQueue()
    const first = await resultsOf(
      await ingestWith({ INDEX: brokenWriter(), INGEST_QUEUE: queue }, await signedRequest(body, { id })),
    )
    expect(first.map((r) => r.status)).toEqual(['queued', 'rejected', 'queued', 'queued'])
    const head = await headSeq()

    // The writer is back; the queue has not run yet. The writer has never seen this webhook-id: the inbox has.
    const back = await ingestWith({ INGEST_QUEUE: queue }, await signedRequest(body, { id }))
    expect(back.headers.get('webhook-replayed')).toBe('true')
    expect(await resultsOf(back)).toEqual(first)
    expect(await headSeq()).toBe(head)

    const messages = createMessageBatch<unknown>(
      INBOX_QUEUE,
      sent.map((m, i) => ({ id: `back-${i}`, timestamp: new Date(), attempts: 1, body: m })),
    )
    const ctx = createExecutionContext()
    await handleQueue(messages, ingestEnv)
    expect((await getQueueResult(messages, ctx)).explicitAcks).toHaveLength(sent.length)
    expect(await headSeq()).toBe(head + 3)
    expect((await searchUntil({ q: marker }, 3)).total).toBe(3)
    expect(await resultsOf(await SELF.fetch(await signedRequest(body, { id })))).toEqual(first)
  })
})

describe('a webhook-id shaped like a queued chunk of another delivery', () => {
  it('never stands for that chunk: the queued articles of the other delivery are applied', async () => {
    const id = nextId()
    // A sender may name a delivery anything; "<id>#0/1" was the writer's own key for chunk 0 of 1 of delivery <id>.
    const lookalike = await resultsOf(
      await SELF.fetch(
        await signedRequest(
          eventBody('article.upsert', { url: 'https://redelivery.example/lookalike', text: 'Named like a chunk.' }),
          { id: `${id}#0/1` },
        ),
      ),
    )
    expect(lookalike.map((r) => r.status)).toEqual(['created'])

    const marker = 'redeliverylookalikezq'
    const { queue, sent } = recordingQueue()
    const queued = await resultsOf(
      await ingestWith({ INDEX: brokenWriter(), INGEST_QUEUE: queue }, await signedRequest(batch(marker, 3), { id })),
    )
    expect(queued.map((r) => r.status)).toEqual(['queued', 'rejected', 'queued'])
    expect(sent).toHaveLength(1)
    const head = await headSeq()
    const messages = createMessageBatch<unknown>(INBOX_QUEUE, [
      { id: 'lookalike', timestamp: new Date(), attempts: 1, body: sent[0] },
    ])
    const ctx = createExecutionContext()
    await handleQueue(messages, ingestEnv)
    expect((await getQueueResult(messages, ctx)).explicitAcks).toEqual(['lookalike'])
    expect(await headSeq()).toBe(head + 2)
    expect((await searchUntil({ q: marker }, 2)).total).toBe(2)
  })
})

/** A batch of one story per shard, each named after `name` (its url and title), as a plain list of articles. */
const storyPerShard = (name: string) =>
  Promise.all(
    allShards(SHARDS).map(async (shard) => ({
      url: await urlInShard(`reused-${name}`, shard),
      title: `Reused ${name} ${shard}`,
      text: `The ${name} body sent under a reused webhook-id, the story of shard ${shard}.`,
    })),
  )

/**
 * Sends `body` under `id` while the home writer of the id and the queue are down: the other shards apply their
 * parts, the home never does, the inbox cannot take it, and the sender is told 503 (retry). No answer was given.
 */
async function cutShort(id: string, body: string): Promise<void> {
  const res = await ingestWith(
    { INDEX: writerDown(homeShard(id, SHARDS)), INGEST_QUEUE: brokenQueue() },
    await signedRequest(body, { id }),
  )
  expect(res.status).toBe(503)
}

describe('a delivery cut short (some shards applied it, it was never answered), then its webhook-id again', () => {
  it('with another body: that body is applied and answered whole, with none of the first body’s results', async () => {
    const id = nextId()
    const home = homeShard(id, SHARDS)
    const first = await storyPerShard('first')
    const second = await storyPerShard('second')
    await cutShort(id, eventBody('article.batch', { articles: first }))
    for (const article of first) {
      const articleId = await articleIdFor({ url: article.url })
      const applied = (await writerOf(articleId).getArticle(articleId)) !== null
      expect(applied).toBe(shardOf(articleId, SHARDS) !== home)
    }

    const res = await SELF.fetch(await signedRequest(eventBody('article.batch', { articles: second }), { id }))
    const results = await resultsOf(res)
    // Before the shards' parts were keyed by the body's digest, the shards that had applied the first body answered
    // its results here (its ids, in the second body's places), and the second body's stories there were never stored.
    expect(results.map((r) => r.id)).toEqual(await Promise.all(second.map((a) => articleIdFor({ url: a.url }))))
    expect(results.map((r) => r.status)).toEqual(second.map(() => 'created'))
    for (const result of results) {
      const articleId = result.id ?? ''
      expect((await writerOf(articleId).getArticle(articleId))?.title).toMatch(/^Reused second /)
    }

    // From now on the id is answered as that delivery was, whichever body comes with it (the contract's rule).
    for (const articles of [first, second]) {
      const again = await SELF.fetch(await signedRequest(eventBody('article.batch', { articles }), { id }))
      expect(again.headers.get('webhook-replayed')).toBe('true')
      expect(await resultsOf(again)).toEqual(results)
    }
  })

  it('with the same body: each shard answers its part as before, nothing applied twice', async () => {
    const id = nextId()
    const body = eventBody('article.batch', { articles: await storyPerShard('same') })
    const head = await headSeq()
    await cutShort(id, body)
    expect(await headSeq()).toBe(head + allShards(SHARDS).length - 1)

    const results = await resultsOf(await SELF.fetch(await signedRequest(body, { id })))
    expect(results.map((r) => r.status)).toEqual(allShards(SHARDS).map(() => 'created'))
    expect(await headSeq()).toBe(head + allShards(SHARDS).length)
  })
})
