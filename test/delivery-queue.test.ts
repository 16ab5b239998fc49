import { createExecutionContext, createMessageBatch, env, getQueueResult } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import type { IngestEnv } from '../workers/ingest/src/context'
import { DEAD_LETTER_QUEUE, INBOX_QUEUE, type InboxMessage } from '../workers/ingest/src/inbox'
import {
  applyChunk,
  DEAD_LETTER_PREFIX,
  handleQueue,
  MAX_TRIES,
  retryDelaySeconds,
} from '../workers/ingest/src/queue-consumer'
import { brokenKv, brokenWriter, ingestEnv, stageChunk, writersStats } from './faults'
import { eventually, INGEST, SELF, searchUntil } from './helpers'

// The inbox consumer on its own: retries with a growing delay while the writer is down, for as long as it is down;
// a dead-letter record, with its reason, only for a chunk that can never apply; a redrive of what waits in the inbox.

const ADMIN = { authorization: `Bearer ${(env as unknown as { ADMIN_TOKEN: string }).ADMIN_TOKEN}` }

/** Stages one chunk of `count` articles in the inbox, as the webhook does, without sending its message. */
async function stage(marker: string, count = 2): Promise<InboxMessage> {
  const { message } = await stageChunk(
    Array.from({ length: count }, (_, i) => ({
      kind: 'input' as const,
      input: { url: `https://queue.example/${marker}/${i}`, text: `Queued article ${i}, marker ${marker}.` },
    })),
  )
  return message
}

async function consume(queue: string, message: InboxMessage, envOf: IngestEnv, attempts = 1) {
  const batch = createMessageBatch<unknown>(queue, [
    { id: `m-${message.delivery}`, timestamp: new Date(), attempts, body: message },
  ])
  const ctx = createExecutionContext()
  await handleQueue(batch, envOf)
  return getQueueResult(batch, ctx)
}

describe('the inbox consumer', () => {
  it('retries while the writer is down (2, 4, 8 … 1,800 s apart), and keeps the chunk staged', async () => {
    const message = await stage('retrying')
    const down = { ...ingestEnv, INDEX: brokenWriter() }
    for (const attempts of [1, 2, 5, 20]) {
      const result = await consume(INBOX_QUEUE, message, down, attempts)
      expect(result.explicitAcks).toEqual([])
      expect(result.retryMessages.map((m) => m.msgId)).toEqual([`m-${message.delivery}`])
    }
    expect([retryDelaySeconds(1), retryDelaySeconds(2), retryDelaySeconds(5), retryDelaySeconds(20)]).toEqual([
      2, 4, 32, 1800,
    ])
    expect(await ingestEnv.ARTICLES.get(message.key)).not.toBeNull()
    // The delay asked for, seen from a message of our own (the test batch does not report it).
    const asked: (QueueRetryOptions | undefined)[] = []
    const own = {
      queue: INBOX_QUEUE,
      messages: [
        {
          id: 'own',
          timestamp: new Date(),
          attempts: 3,
          body: message,
          ack() {},
          retry: (o?: QueueRetryOptions) => asked.push(o),
        },
      ],
    }
    await handleQueue(own as unknown as MessageBatch<unknown>, down)
    expect(asked).toEqual([{ delaySeconds: 8 }])

    // The writer is back: applied, acknowledged, and gone from the inbox.
    const result = await consume(INBOX_QUEUE, message, ingestEnv)
    expect(result.explicitAcks).toEqual([`m-${message.delivery}`])
    expect(await ingestEnv.ARTICLES.get(message.key)).toBeNull()
    expect((await searchUntil({ q: 'retrying' }, 2)).total).toBe(2)
  })

  it('acknowledges a redelivered message whose chunk was applied already, and applies nothing twice', async () => {
    const message = await stage('twice')
    expect(await applyChunk(ingestEnv, message)).toBe('applied')
    const head = (await writersStats()).headSeq
    expect(await applyChunk(ingestEnv, message)).toBe('already-applied')
    const result = await consume(INBOX_QUEUE, message, ingestEnv)
    expect(result.explicitAcks).toHaveLength(1)
    expect((await writersStats()).headSeq).toBe(head)
  })

  it('drops a malformed message instead of retrying it forever', async () => {
    const batch = createMessageBatch<unknown>(INBOX_QUEUE, [
      { id: 'junk-1', timestamp: new Date(), attempts: 1, body: 'not a message' },
      { id: 'junk-2', timestamp: new Date(), attempts: 1, body: { v: 2 } },
    ])
    const ctx = createExecutionContext()
    await handleQueue(batch, ingestEnv)
    const result = await getQueueResult(batch, ctx)
    expect(result.explicitAcks.sort()).toEqual(['junk-1', 'junk-2'])
  })

  it('keeps retrying through a writer outage of more than 24 hours: the tries span 45 hours, then start again', async () => {
    let span = 0
    for (let attempts = 1; attempts < MAX_TRIES; attempts++) span += retryDelaySeconds(attempts)
    expect(span).toBeGreaterThan(24 * 60 * 60)
    // At its last try, and given up by the queue: either way the message goes back to the inbox queue, not to a
    // dead letter, and is applied once the writer is back.
    const message = await stage('outage', 2)
    const sent: unknown[] = []
    const queue = {
      send: async (body: unknown) => void sent.push(body),
      sendBatch: async () => {},
    } as unknown as IngestEnv['INGEST_QUEUE']
    const down = { ...ingestEnv, INDEX: brokenWriter(), INGEST_QUEUE: queue }
    expect((await consume(INBOX_QUEUE, message, down, MAX_TRIES)).explicitAcks).toEqual([`m-${message.delivery}`])
    expect((await consume(DEAD_LETTER_QUEUE, message, down, MAX_TRIES + 1)).explicitAcks).toEqual([
      `m-${message.delivery}`,
    ])
    expect(sent).toEqual([message, message])
    expect(await ingestEnv.ARTICLES.get(`${DEAD_LETTER_PREFIX}${message.key}`)).toBeNull()
    expect(await ingestEnv.ARTICLES.get(message.key)).not.toBeNull()
    expect((await consume(INBOX_QUEUE, message, ingestEnv)).explicitAcks).toEqual([`m-${message.delivery}`])
    expect((await searchUntil({ q: 'outage' }, 2)).total).toBe(2)
  })

  it('keeps retrying through a KV outage, however many tries it has had, and applies the chunk once KV is back', async () => {
    const message = await stage('kvoutage', 2)
    // KV refuses every call: the chunk cannot be read, which says nothing about whether it exists. Past the tries
    // after which a chunk KV does not show is taken for lost, it is still a failure to try again, not a dead letter.
    const down = { ...ingestEnv, ARTICLES: brokenKv() }
    for (const attempts of [1, 10, 50]) {
      const result = await consume(INBOX_QUEUE, message, down, attempts)
      expect(result.retryMessages, `try ${attempts}`).toHaveLength(1)
      expect(result.explicitAcks).toEqual([])
    }
    expect(await ingestEnv.ARTICLES.get(`${DEAD_LETTER_PREFIX}${message.key}`)).toBeNull()
    expect((await consume(INBOX_QUEUE, message, ingestEnv, 51)).explicitAcks).toEqual([`m-${message.delivery}`])
    expect((await searchUntil({ q: 'kvoutage' }, 2)).total).toBe(2)
  })

  it('records a dead letter, with its reason, only for a chunk that can never apply', async () => {
    const message = await stage('vanished', 1)
    await ingestEnv.ARTICLES.delete(message.key)
    // Missing for a few tries: KV may lag; the message is retried.
    expect((await consume(INBOX_QUEUE, message, ingestEnv, 2)).retryMessages).toHaveLength(1)
    // Still missing, never applied: it can never apply.
    const result = await consume(INBOX_QUEUE, message, ingestEnv, 10)
    expect(result.explicitAcks).toEqual([`m-${message.delivery}`])
    const record = JSON.parse((await ingestEnv.ARTICLES.get(`${DEAD_LETTER_PREFIX}${message.key}`)) ?? '{}')
    expect(record).toMatchObject({ message, reason: expect.stringContaining('never applied') })
    const inbox = (await (await SELF.fetch(`${INGEST}/admin/inbox`, { headers: ADMIN })).json()) as {
      deadLetters: string[]
    }
    expect(inbox.deadLetters).toContain(`${DEAD_LETTER_PREFIX}${message.key}`)
  })

  it('redrives every staged chunk on request: applied once the writer is back', async () => {
    const message = await stage('redriven', 3)
    const redrive = await SELF.fetch(`${INGEST}/admin/redrive`, { method: 'POST', headers: ADMIN })
    expect(redrive.status).toBe(202)
    expect((await searchUntil({ q: 'redriven' }, 3)).total).toBe(3)
    const gone = await eventually(
      () => ingestEnv.ARTICLES.get(message.key),
      (v) => v === null,
    )
    expect(gone).toBeNull()
  })
})
