import { LIMITS, signPayload } from '@edgewire/shared'
import { describe, expect, it } from 'vitest'
import { bodyBytesPeak, MAX_BODY_BYTES_IN_FLIGHT } from '../workers/ingest/src/read-body'
import { INGEST, nextId, SELF, TEST_SECRET } from './helpers'

// Bounded memory: an isolate holds at most MAX_BODY_BYTES_IN_FLIGHT of delivery bodies at once (one 32 MiB delivery
// costs about twice that at its peak: bytes and text, then text and parsed JSON); concurrent large deliveries wait
// their turn before their bodies are read, and all are answered. The isolate's heap itself: `npm run bench:hostile`.
describe('eight concurrent 32 MiB signed deliveries', { timeout: 300_000 }, () => {
  it('are all answered, with at most one 32 MiB body held by the isolate at a time', async () => {
    const head = `{"type":"article.upsert","timestamp":"${new Date().toISOString()}","data":{"externalId":"memory","text":"A small story in a large delivery.","padding":"`
    const tail = '"}}'
    const bytes = new Uint8Array(LIMITS.maxBodyBytes).fill(0x78)
    const encoder = new TextEncoder()
    bytes.set(encoder.encode(head), 0)
    bytes.set(encoder.encode(tail), bytes.length - tail.length)
    const ts = Math.floor(Date.now() / 1000)
    const requests = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const id = nextId()
        return new Request(`${INGEST}/webhooks/articles`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': String(bytes.length),
            'webhook-id': id,
            'webhook-timestamp': String(ts),
            'webhook-signature': await signPayload(TEST_SECRET, id, ts, bytes),
          },
          body: bytes,
        })
      }),
    )
    const answers = await Promise.all(
      requests.map(async (r) => {
        const res = await SELF.fetch(r)
        return { status: res.status, body: await res.text() }
      }),
    )
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(202))
    expect(answers.filter((a) => a.body.includes('"created"'))).toHaveLength(1)
    expect(bodyBytesPeak()).toBeGreaterThan(0)
    expect(bodyBytesPeak()).toBeLessThanOrEqual(MAX_BODY_BYTES_IN_FLIGHT)
  })
})
