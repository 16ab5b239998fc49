import { describe, expect, it } from 'vitest'
import { ArticleInputSchema } from './article'

describe('ArticleInputSchema', () => {
  it('accepts an article with a url and text', () => {
    expect(ArticleInputSchema.safeParse({ url: 'https://example.com/a', text: 'Hello' }).success).toBe(true)
  })
  it('refuses an article with neither html nor text', () => {
    expect(ArticleInputSchema.safeParse({ url: 'https://example.com/a' }).success).toBe(false)
  })
})
