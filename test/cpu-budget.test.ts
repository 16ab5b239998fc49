import { createExecutionContext, createMessageBatch, env, getQueueResult } from 'cloudflare:test'
import { articleIdFor } from '@edgewire/shared'
import { beforeAll, describe, expect, it } from 'vitest'
import { INBOX_QUEUE } from '../workers/ingest/src/inbox'
import { DEAD_LETTER_PREFIX, handleQueue } from '../workers/ingest/src/queue-consumer'
import { eventBody, ingestEnv, ingestWith, signedRequest, stageChunk, writerOf, writersStats } from './faults'
import { INGEST, SELF, searchUntil, sendEvent } from './helpers'

// The CPU budget per article (normalize-op.ts), through the worker's real entry points: an article past it is
// answered `rejected` with the reason, never a 5xx, and the rest of its batch goes through. No real article comes near
// the 15 s budget (every pattern is linear and every input capped), so these tests lower it with the worker's own
// setting, NORMALIZE_BUDGET_MS, far below what a 3 Mi-character article takes and far above a one-line one. The
// budget is checked between steps: here a 3 Mi-character article had spent 175–233 ms at the first check (its
// extraction) and went on past 400 ms only on some runs, so 400 let it through at times; 100 is half the first check.
const BUDGET = { NORMALIZE_BUDGET_MS: '100' }

/** Prose of `chars` characters, paragraphs separated by blank lines: costly to normalize only by its length. */
function prose(chars: number, marker: string): string {
  const words = ['harbour', 'copper', 'shipment', 'ministry', 'quarterly', 'output', 'tariff', 'reserve']
  const parts: string[] = []
  for (let i = 0, length = 0; length < chars; i++) {
    const sentence = `The ${words[i % words.length]} of ${marker} rose ${i % 97} percent in week ${i}.${i % 5 === 4 ? '\n\n' : ' '}`
    parts.push(sentence)
    length += sentence.length
  }
  return parts.join('').slice(0, chars)
}

interface Result {
  id?: string
  url?: string
  status: string
  error?: string
}

const ADMIN = { authorization: `Bearer ${(env as unknown as { ADMIN_TOKEN: string }).ADMIN_TOKEN}` }

describe('the CPU budget per article, through the webhook', () => {
  beforeAll(async () => {
    // The language detector loads its data at the first article of an isolate: not these tests' to pay for.
    const warm = await sendEvent('article.upsert', { externalId: 'budget-warm-up', text: 'A warm-up story.' })
    expect(warm.status).toBe(202)
  })

  it('answers the article past its budget rejected with the reason, and applies the rest of its batch', async () => {
    const marker = 'budgetdirectzq'
    const articles = [
      { url: 'https://budget.example/direct/1', text: `Short story one about ${marker}.` },
      { url: 'https://budget.example/direct/heavy', text: prose(3 * 1024 * 1024, 'heavyweight') },
      { url: 'https://budget.example/direct/2', text: `Short story two about ${marker}.` },
    ]
    const head = (await writersStats()).headSeq
    const res = await ingestWith(BUDGET, await signedRequest(eventBody('article.batch', { articles })))
    expect(res.status).toBe(202)
    const { results } = (await res.json()) as { results: Result[] }
    expect(results.map((r) => r.status)).toEqual(['created', 'rejected', 'created'])
    expect(results[1]).toMatchObject({
      url: 'https://budget.example/direct/heavy',
      error: expect.stringMatching(/CPU budget of 100 ms/),
    })
    expect((await writersStats()).headSeq).toBe(head + 2)
    expect((await searchUntil({ q: marker }, 2)).total).toBe(2)
    const heavy = await articleIdFor({ url: 'https://budget.example/direct/heavy' })
    expect(await writerOf(heavy).getArticle(heavy)).toBeNull()
  })

  it('answers a single upsert past its budget 202 rejected, not a 5xx', async () => {
    const res = await ingestWith(
      BUDGET,
      await signedRequest(
        eventBody('article.upsert', { url: 'https://budget.example/single', text: prose(3 * 1024 * 1024, 'x') }),
      ),
    )
    expect(res.status).toBe(202)
    const { results } = (await res.json()) as { results: Result[] }
    expect(results).toEqual([
      { url: 'https://budget.example/single', status: 'rejected', error: expect.stringMatching(/CPU budget/) },
    ])
  })

  it('keeps the queued articles of a chunk when one passes its budget, and records that one as a dead letter saying why', async () => {
    // A staged chunk as the webhook leaves it for the consumer (its articles were answered `queued`), consumed with
    // the lowered budget. The queue itself is not sent the message: the test pool's consumer has the default budget.
    const marker = 'budgetqueuedzq'
    const { message, key } = await stageChunk([
      { kind: 'input', input: { url: 'https://budget.example/queued/1', text: `Queued one about ${marker}.` } },
      { kind: 'input', input: { url: 'https://budget.example/queued/heavy', text: prose(3 * 1024 * 1024, 'q') } },
      { kind: 'input', input: { url: 'https://budget.example/queued/2', text: `Queued two about ${marker}.` } },
    ])
    const batch = createMessageBatch<unknown>(INBOX_QUEUE, [
      { id: 'budget-1', timestamp: new Date(), attempts: 1, body: message },
    ])
    const ctx = createExecutionContext()
    await handleQueue(batch, { ...ingestEnv, ...BUDGET })
    const outcome = await getQueueResult(batch, ctx)
    expect(outcome.explicitAcks).toEqual(['budget-1'])
    expect(outcome.retryMessages).toEqual([])

    expect((await searchUntil({ q: marker }, 2)).total).toBe(2)
    expect(await ingestEnv.ARTICLES.get(key)).toBeNull()
    const record = JSON.parse((await ingestEnv.ARTICLES.get(`${DEAD_LETTER_PREFIX}${key}`)) ?? '{}') as {
      reason: string
      failed: { index: number; result: Result }[]
    }
    expect(record.reason).toMatch(/could not be normalized/)
    expect(record.failed).toEqual([
      {
        index: 1,
        result: {
          url: 'https://budget.example/queued/heavy',
          status: 'rejected',
          error: expect.stringMatching(/CPU budget of 100 ms/),
        },
      },
    ])
    const inbox = (await (await SELF.fetch(`${INGEST}/admin/inbox`, { headers: ADMIN })).json()) as {
      deadLetters: string[]
    }
    expect(inbox.deadLetters).toContain(`${DEAD_LETTER_PREFIX}${key}`)
  })
})
