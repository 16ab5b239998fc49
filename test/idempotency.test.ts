import { LIMITS } from '@edgewire/shared'
import { describe, expect, it } from 'vitest'
import { nextId, postSigned } from './helpers'

// The idempotency record of the largest delivery still fits: the answer is stored in pieces under SQLite's 2 MB.
describe('idempotency of the largest batch', { timeout: 120_000 }, () => {
  it('answers 5,000 rejected articles with urls at their maximum length, and the same on redelivery', async () => {
    const articles = Array.from({ length: LIMITS.maxBatchArticles }, (_, i) => {
      const prefix = `https://idempotency.example/${i}/`
      // Every tag is a number: 50 errors each, so every rejection carries a long reason.
      return {
        url: `${prefix}${'x'.repeat(LIMITS.maxUrlChars - prefix.length)}`,
        text: 'Body',
        tags: Array.from({ length: LIMITS.maxTags }, (_, t) => t),
      }
    })
    const body = JSON.stringify({ type: 'article.batch', timestamp: new Date().toISOString(), data: { articles } })
    const id = nextId()
    const first = await postSigned(body, { id })
    expect(first.status).toBe(202)
    const firstText = await first.text()
    // Far past what one SQLite value may hold.
    expect(firstText.length).toBeGreaterThan(4_000_000)
    const { results } = JSON.parse(firstText) as { results: { status: string; url?: string; error?: string }[] }
    expect(results).toHaveLength(LIMITS.maxBatchArticles)
    expect(results.every((r) => r.status === 'rejected' && (r.error?.length ?? 0) > 1000)).toBe(true)
    expect(results[4999]?.url).toHaveLength(LIMITS.maxUrlChars)

    const again = await postSigned(body, { id })
    expect(again.status).toBe(202)
    expect(again.headers.get('webhook-replayed')).toBe('true')
    expect(await again.text()).toBe(firstText)
  })
})
