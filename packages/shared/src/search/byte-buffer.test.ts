import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ByteBuffer, ChunkedBytes } from './byte-buffer'

describe('ChunkedBytes', () => {
  const writes = fc.array(fc.oneof(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 40 })), {
    maxLength: 60,
  })

  it('hands over every byte written, in order, across chunk boundaries, and starts empty after (property)', () => {
    fc.assert(
      fc.property(writes, (ops) => {
        // Chunks of 4 growing to 16 bytes: most writes cross a boundary.
        const chunked = new ChunkedBytes(4, 16)
        const whole = new ByteBuffer(1)
        for (const op of ops) {
          if (typeof op === 'number') {
            chunked.byte(op)
            whole.byte(op)
          } else {
            chunked.bytes(op)
            whole.bytes(op)
          }
        }
        expect(chunked.length).toBe(whole.length)
        const target = new Uint8Array(chunked.length)
        chunked.moveTo(target)
        expect(target).toEqual(whole.view())
        expect(chunked.length).toBe(0)
        // Written to anew after a move: only what came after it.
        chunked.bytes(new Uint8Array([1, 2, 3, 4, 5, 6]))
        chunked.byte(7)
        const again = new Uint8Array(7)
        chunked.moveTo(again)
        expect([...again]).toEqual([1, 2, 3, 4, 5, 6, 7])
      }),
      { numRuns: 200 },
    )
  })

  it('refuses a target of another length', () => {
    const chunked = new ChunkedBytes(4, 16)
    chunked.bytes(new Uint8Array(10))
    expect(() => chunked.moveTo(new Uint8Array(9))).toThrow(RangeError)
    expect(chunked.length).toBe(10)
  })
})
