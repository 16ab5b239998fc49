import { describe, expect, it } from 'vitest'
import { summarize, truncateAtWord } from './summary'
import { countWords } from './word-count'

describe('countWords', () => {
  it('counts English words, not punctuation', () => {
    expect(countWords('Hello, world! It’s a test.')).toBe(5)
  })
  it('counts Korean by space-separated eojeol', () => {
    expect(countWords('강경화 외교부 장관은 금요일 말했다.')).toBe(5)
  })
  it('counts Japanese and Chinese words between one per sentence and one per character', () => {
    const ja = '東京都に住んでいる友達と昨日会いました。'
    const zh = '外交部长周五表示已为说服日本撤回出口限制奠定了基础。'
    for (const text of [ja, zh]) {
      const n = countWords(text)
      expect(n).toBeGreaterThan(3)
      expect(n).toBeLessThan(Array.from(text).length)
    }
  })
})

describe('summarize', () => {
  it('takes the first two sentences of the opening paragraph', () => {
    const body = 'First sentence here is long enough. Second one follows. Third is left out.\n\nNext paragraph.'
    expect(summarize(body)).toBe('First sentence here is long enough. Second one follows.')
  })
  it('stays within 300 characters, cut at a word boundary', () => {
    const body = `${'word '.repeat(200)}end.`
    const s = summarize(body)
    expect(s.length).toBeLessThanOrEqual(300)
    expect(s.endsWith('word…')).toBe(true)
  })
  it('cuts text without spaces at the character limit', () => {
    expect(Array.from(truncateAtWord('あ'.repeat(400), 300))).toHaveLength(300)
  })
  it('gives an empty summary for an empty body', () => {
    expect(summarize('')).toBe('')
  })
})
