import type { ArticleInput } from '@edgewire/shared'
import { describe, expect, it } from 'vitest'
import { normalizeOp } from './normalize-op'

const NOW = new Date('2026-01-01T00:00:00Z')

/** A clock that moves `stepMs` each time it is read: a normalization that reads it often has taken long. */
function slowClock(stepMs: number): () => number {
  let t = 0
  return () => {
    t += stepMs
    return t
  }
}

describe('the CPU budget per article', () => {
  it('answers an article past its budget rejected, with the reason, and lets the rest of its batch through', async () => {
    const batch: ArticleInput[] = [1, 2, 3].map((i) => ({ url: `https://budget.example/${i}`, text: `Story ${i}.` }))
    const ops = []
    for (const [i, input] of batch.entries()) {
      // The second article's clock runs 8 s per step: past the 15 s budget by its second checkpoint.
      ops.push(await normalizeOp(input, NOW, i === 1 ? { clock: slowClock(8000) } : {}))
    }
    expect(ops.map((op) => op.kind)).toEqual(['upsert', 'rejected', 'upsert'])
    const rejected = ops[1]
    expect(rejected?.kind === 'rejected' && rejected.result).toMatchObject({
      status: 'rejected',
      url: 'https://budget.example/2',
      error: expect.stringMatching(/CPU budget of 15000 ms/),
    })
  })

  it('keeps an article within its budget', async () => {
    const op = await normalizeOp({ url: 'https://budget.example/ok', text: 'Quick.' }, NOW, { clock: slowClock(1000) })
    expect(op.kind).toBe('upsert')
  })
})
