import fc from 'fast-check'
import { Webhook } from 'standardwebhooks'
import { describe, expect, it } from 'vitest'
import {
  DEFAULT_TOLERANCE_SECONDS,
  importSecrets,
  MAX_SIGNATURES,
  signPayload,
  verifySignature,
} from './webhook-signature'

// Properties of the verifier over arbitrary secrets, ids, times and bodies, beside the example tests in
// webhook-signature.test.ts. The `standardwebhooks` reference library is the oracle for what a sender signs.

const toBase64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes))
const secretArb = fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => `whsec_${toBase64(b)}`)
// Ids as senders make them: no spaces or dots would be needed, but the verifier must not care.
const idArb = fc.string({ minLength: 1, maxLength: 64, unit: 'grapheme-ascii' }).filter((s) => s.trim() === s)
const nowArb = fc.integer({ min: 1_000_000_000, max: 4_000_000_000 })
const bodyArb = fc.uint8Array({ maxLength: 2048 })
const runs = { numRuns: 60 }

const headers = (id: string, timestamp: number, signature: string) => ({
  id,
  timestamp: String(timestamp),
  signature,
})

describe('verifySignature (properties)', () => {
  it('accepts what it signs, for any secret, id, time and body', async () => {
    await fc.assert(
      fc.asyncProperty(secretArb, idArb, nowArb, bodyArb, async (secret, id, now, body) => {
        const signature = await signPayload(secret, id, now, body)
        const check = await verifySignature(await importSecrets(secret), headers(id, now, signature), body, now)
        expect(check).toEqual({ ok: true, id, timestamp: now })
      }),
      runs,
    )
  })

  it('agrees with the reference library on every UTF-8 body', async () => {
    await fc.assert(
      fc.asyncProperty(
        secretArb,
        idArb,
        nowArb,
        fc.string({ maxLength: 500, unit: 'binary' }),
        async (secret, id, now, text) => {
          const reference = new Webhook(secret).sign(id, new Date(now * 1000), text)
          const body = new TextEncoder().encode(text)
          expect(await signPayload(secret, id, now, body)).toBe(reference)
          expect((await verifySignature(await importSecrets(secret), headers(id, now, reference), body, now)).ok).toBe(
            true,
          )
        },
      ),
      runs,
    )
  })

  it('refuses the body with any one bit flipped', async () => {
    await fc.assert(
      fc.asyncProperty(
        secretArb,
        idArb,
        nowArb,
        fc.uint8Array({ minLength: 1, maxLength: 512 }),
        fc.nat(),
        fc.integer({ min: 0, max: 7 }),
        async (secret, id, now, body, at, bit) => {
          const signature = await signPayload(secret, id, now, body)
          const tampered = body.slice()
          const index = at % tampered.length
          tampered[index] = (tampered[index] ?? 0) ^ (1 << bit)
          const check = await verifySignature(await importSecrets(secret), headers(id, now, signature), tampered, now)
          expect(check).toEqual({ ok: false, reason: 'no-matching-signature' })
        },
      ),
      runs,
    )
  })

  it('refuses a signature with any one bit flipped, or moved to another id or time', async () => {
    await fc.assert(
      fc.asyncProperty(
        secretArb,
        idArb,
        idArb,
        nowArb,
        bodyArb,
        fc.nat(255),
        async (secret, id, otherId, now, body, bit) => {
          const keys = await importSecrets(secret)
          const signature = await signPayload(secret, id, now, body)
          const mac = Uint8Array.from(atob(signature.slice(3)), (c) => c.charCodeAt(0))
          mac[bit >> 3] = (mac[bit >> 3] ?? 0) ^ (1 << (bit & 7))
          expect((await verifySignature(keys, headers(id, now, `v1,${toBase64(mac)}`), body, now)).ok).toBe(false)
          if (otherId !== id)
            expect((await verifySignature(keys, headers(otherId, now, signature), body, now)).ok).toBe(false)
          expect((await verifySignature(keys, headers(id, now + 1, signature), body, now)).ok).toBe(false)
        },
      ),
      runs,
    )
  })

  it('refuses a signature made with any other secret', async () => {
    await fc.assert(
      fc.asyncProperty(secretArb, secretArb, idArb, nowArb, bodyArb, async (secret, other, id, now, body) => {
        fc.pre(secret !== other)
        const forged = await signPayload(other, id, now, body)
        expect((await verifySignature(await importSecrets(secret), headers(id, now, forged), body, now)).ok).toBe(false)
      }),
      runs,
    )
  })

  it('accepts a timestamp exactly as far as the tolerance either way, and none further', async () => {
    await fc.assert(
      fc.asyncProperty(
        secretArb,
        nowArb,
        fc.integer({ min: -3 * DEFAULT_TOLERANCE_SECONDS, max: 3 * DEFAULT_TOLERANCE_SECONDS }),
        async (secret, now, skew) => {
          const body = new TextEncoder().encode('{}')
          const sentAt = now + skew
          const signature = await signPayload(secret, 'msg_skew', sentAt, body)
          const check = await verifySignature(
            await importSecrets(secret),
            headers('msg_skew', sentAt, signature),
            body,
            now,
          )
          if (Math.abs(skew) <= DEFAULT_TOLERANCE_SECONDS) expect(check.ok).toBe(true)
          else expect(check).toEqual({ ok: false, reason: skew < 0 ? 'timestamp-too-old' : 'timestamp-too-new' })
        },
      ),
      runs,
    )
  })

  it('finds the valid signature among decoys in any position of the first MAX_SIGNATURES, with keys in any order', async () => {
    await fc.assert(
      fc.asyncProperty(
        secretArb,
        fc.array(secretArb, { minLength: 0, maxLength: 3 }),
        fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: MAX_SIGNATURES - 1 }),
        fc.nat(),
        fc.nat(),
        bodyArb,
        async (secret, others, decoys, at, keyAt, body) => {
          const signature = await signPayload(secret, 'msg_rotation', 1_700_000_000, body)
          const list = decoys.map((d) => `v1,${toBase64(d)}`)
          list.splice(at % (list.length + 1), 0, signature)
          const secrets = [...others]
          secrets.splice(keyAt % (secrets.length + 1), 0, secret)
          const check = await verifySignature(
            await importSecrets(secrets.join(' ')),
            headers('msg_rotation', 1_700_000_000, list.join(' ')),
            body,
            1_700_000_000,
          )
          expect(check.ok).toBe(true)
        },
      ),
      runs,
    )
  })

  it('never throws on arbitrary header values, and accepts none of them', async () => {
    const keys = await importSecrets('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')
    const junk = fc.option(fc.string({ maxLength: 300, unit: 'binary' }), { nil: null })
    await fc.assert(
      fc.asyncProperty(junk, junk, junk, bodyArb, async (id, timestamp, signature, body) => {
        const check = await verifySignature(keys, { id, timestamp, signature }, body, 1_700_000_000)
        expect(check.ok).toBe(false)
      }),
      { numRuns: 300 },
    )
  })
})
