import { Webhook } from 'standardwebhooks'
import { describe, expect, it } from 'vitest'
import { importSecrets, signPayload, verifySignature } from './webhook-signature'

// The public test vector of the Standard Webhooks specification (its reference libraries' tests).
const VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
}
const enc = (s: string) => new TextEncoder().encode(s)
const headersFor = (signature: string, timestamp = VECTOR.timestamp, id = VECTOR.id) => ({
  id,
  timestamp: String(timestamp),
  signature,
})

describe('verifySignature', () => {
  it('accepts the specification test vector', async () => {
    const keys = await importSecrets(VECTOR.secret)
    const check = await verifySignature(keys, headersFor(VECTOR.signature), enc(VECTOR.body), VECTOR.timestamp)
    expect(check).toEqual({ ok: true, id: VECTOR.id, timestamp: VECTOR.timestamp })
  })

  it('signs the specification test vector to its published signature', async () => {
    expect(await signPayload(VECTOR.secret, VECTOR.id, VECTOR.timestamp, enc(VECTOR.body))).toBe(VECTOR.signature)
  })

  it('refuses the vector when one byte of the body changes', async () => {
    const keys = await importSecrets(VECTOR.secret)
    const check = await verifySignature(
      keys,
      headersFor(VECTOR.signature),
      enc('{"test": 2432232315}'),
      VECTOR.timestamp,
    )
    expect(check).toEqual({ ok: false, reason: 'no-matching-signature' })
  })

  it('refuses a signature made with another secret', async () => {
    const keys = await importSecrets(VECTOR.secret)
    const forged = await signPayload('whsec_c2VjcmV0LW9mLWFub3RoZXI=', VECTOR.id, VECTOR.timestamp, enc(VECTOR.body))
    const check = await verifySignature(keys, headersFor(forged), enc(VECTOR.body), VECTOR.timestamp)
    expect(check.ok).toBe(false)
  })

  it('refuses timestamps more than five minutes away, either way', async () => {
    const keys = await importSecrets(VECTOR.secret)
    const body = enc(VECTOR.body)
    const sig = headersFor(VECTOR.signature)
    expect(await verifySignature(keys, sig, body, VECTOR.timestamp + 301)).toEqual({
      ok: false,
      reason: 'timestamp-too-old',
    })
    expect(await verifySignature(keys, sig, body, VECTOR.timestamp - 301)).toEqual({
      ok: false,
      reason: 'timestamp-too-new',
    })
    expect((await verifySignature(keys, sig, body, VECTOR.timestamp + 300)).ok).toBe(true)
  })

  it('accepts any of several signatures in the header (key rotation)', async () => {
    const keys = await importSecrets(VECTOR.secret)
    const header = `v1,bm90LWEtc2lnbmF0dXJlLWF0LWFsbC1ub3QtYXQtYWxsISE= v2,ignored ${VECTOR.signature}`
    expect((await verifySignature(keys, headersFor(header), enc(VECTOR.body), VECTOR.timestamp)).ok).toBe(true)
  })

  it('accepts a body signed with either of two configured secrets', async () => {
    const keys = await importSecrets(`whsec_b2xkLXNlY3JldC1vbGQtc2VjcmV0 ${VECTOR.secret}`)
    expect((await verifySignature(keys, headersFor(VECTOR.signature), enc(VECTOR.body), VECTOR.timestamp)).ok).toBe(
      true,
    )
  })

  it('refuses missing headers and non-numeric timestamps', async () => {
    const keys = await importSecrets(VECTOR.secret)
    const body = enc(VECTOR.body)
    expect(await verifySignature(keys, { id: null, timestamp: '1', signature: 'v1,x' }, body)).toEqual({
      ok: false,
      reason: 'missing-headers',
    })
    expect(await verifySignature(keys, headersFor(VECTOR.signature, Number.NaN), body)).toEqual({
      ok: false,
      reason: 'invalid-timestamp',
    })
  })

  it('agrees with the standardwebhooks reference library on what it signs', async () => {
    const secret = 'whsec_dGhpcy1pcy1hLXRlc3Qtc2VjcmV0LWZvci1lZGdld2lyZQ=='
    const reference = new Webhook(secret)
    const keys = await importSecrets(secret)
    const now = Math.floor(Date.now() / 1000)
    for (const body of ['{}', '{"type":"article.upsert","data":{"title":"서울 — 東京 — café"}}', 'x'.repeat(10_000)]) {
      const signature = reference.sign('msg_1', new Date(now * 1000), body)
      expect((await verifySignature(keys, headersFor(signature, now, 'msg_1'), enc(body), now)).ok).toBe(true)
    }
  })
})
