import { describe, expect, it } from 'vitest'
import {
  chunkItems,
  DEFAULT_CHUNK_ARTICLES,
  DEFAULT_CHUNK_COST,
  HTML_COST,
  INLINE_BUDGET,
  INLINE_MAX_CHARS,
  type StagedItem,
  shouldQueue,
} from './inbox'

const text = (chars: number) => ({ externalId: 'x', text: 'a'.repeat(chars) })
const html = (chars: number) => ({ externalId: 'x', html: 'a'.repeat(chars) })
const staged = (input: { externalId: string; text?: string; html?: string }): StagedItem => ({ kind: 'input', input })

describe('which deliveries go to the queue', () => {
  it('keeps 5,000 short plain-text stories inside the request', () => {
    expect(shouldQueue(Array.from({ length: 5000 }, () => text(600)))).toBe(false)
  })

  it('queues 1,000 whole HTML pages, and text past the character bound', () => {
    expect(shouldQueue(Array.from({ length: 1000 }, () => html(3000)))).toBe(true)
    expect(shouldQueue([html(Math.floor(INLINE_BUDGET / HTML_COST))])).toBe(false)
    expect(shouldQueue([html(Math.floor(INLINE_BUDGET / HTML_COST) + 1)])).toBe(true)
    expect(shouldQueue([text(INLINE_MAX_CHARS)])).toBe(false)
    expect(shouldQueue([text(INLINE_MAX_CHARS), text(1)])).toBe(true)
  })
})

describe('chunkItems', () => {
  it('cuts by article count, keeping input order', () => {
    const items = Array.from({ length: 250 }, (_, i) => staged({ externalId: `i${i}`, text: 'short' }))
    const chunks = chunkItems(items)
    expect(chunks.map((c) => c.length)).toEqual([DEFAULT_CHUNK_ARTICLES, DEFAULT_CHUNK_ARTICLES, 50])
    expect(chunks.flat()).toEqual(items)
  })

  it('cuts by normalization cost, and lets one item larger than a chunk go alone', () => {
    const page = Math.floor(DEFAULT_CHUNK_COST / HTML_COST / 3)
    const chunks = chunkItems(Array.from({ length: 7 }, () => staged(html(page))))
    expect(chunks.map((c) => c.length)).toEqual([3, 3, 1])
    const huge = chunkItems([staged(text(10)), staged(text(3 * 1024 * 1024)), staged(text(10))])
    expect(huge.map((c) => c.length)).toEqual([1, 1, 1])
  })

  it('makes no chunk of nothing', () => {
    expect(chunkItems([])).toEqual([])
  })
})
