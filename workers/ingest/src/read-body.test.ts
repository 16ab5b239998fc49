import { describe, expect, it } from 'vitest'
import { readBodyLimited } from './read-body'

// A signed body is held once: read into one buffer that starts with room for the signed prefix, so the signature is
// verified over that buffer and the body is a view of it, never a second copy.
const body = new Uint8Array(3 * 1024 * 1024).map((_, i) => i % 251)
const PREFIX = 40

/** A request whose body arrives in 64 KiB chunks, as a network stream does; with or without its length. */
function streamed(declared: boolean): Request {
  let at = 0
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= body.length) return controller.close()
      controller.enqueue(body.slice(at, at + 65_536))
      at += 65_536
    },
  })
  return new Request('http://ingest.test/webhooks/articles', {
    method: 'POST',
    body: stream,
    ...(declared ? { headers: { 'content-length': String(body.length) } } : {}),
  })
}

describe('a signed body is held once', () => {
  for (const declared of [true, false]) {
    it(`reads it into one buffer with room for the signed prefix, the body a view of it (${declared ? 'with' : 'without'} Content-Length)`, async () => {
      const held = await readBodyLimited(streamed(declared), 32 * 1024 * 1024, declared ? body.length : null, PREFIX)
      expect(held.signed.byteLength).toBe(PREFIX + body.length)
      // The body is the same memory as the signed buffer, after the prefix: no copy of it exists.
      expect(held.body.buffer).toBe(held.signed.buffer)
      expect(held.body.byteOffset).toBe(held.signed.byteOffset + PREFIX)
      expect(held.signed.buffer.byteLength).toBe(PREFIX + body.length)
      expect(held.body).toEqual(body)
    })
  }
})
