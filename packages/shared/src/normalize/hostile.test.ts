import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { normalizeArticle } from './normalize-article'

const NOW = new Date('2024-01-01T00:00:00.000Z')
const FORBIDDEN = /(?!\n)\p{Cc}|[\u00AD\u200B-\u200F\u2028\u2029\u202A-\u202E\u2060\uFEFF]/u
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

function expectClean(text: string): void {
  expect(text).toBe(text.normalize('NFC'))
  expect(FORBIDDEN.test(text)).toBe(false)
  expect(LONE_SURROGATE.test(text)).toBe(false)
  expect(text).not.toMatch(/\n{3,}|^\s|\s$|[ ]{2,}/)
}

describe('hostile input', () => {
  it('never throws and always stores clean text, whatever the strings (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: 'binary', maxLength: 300 }),
        fc.string({ unit: 'binary', maxLength: 2000 }),
        fc.boolean(),
        async (title, content, asHtml) => {
          const a = await normalizeArticle(
            { externalId: 'p', title, ...(asHtml ? { html: content } : { text: content }) },
            NOW,
          )
          for (const field of [a.title, a.body, a.summary]) expectClean(field)
          expect(a.wordCount).toBeGreaterThanOrEqual(0)
          expect(a.contentHash).toMatch(/^[0-9a-f]{64}$/)
        },
      ),
      { numRuns: 150 },
    )
    // 150 runs take about 3 s alone; the shared machine under a full suite can double it.
  }, 30_000)

  it('never throws on arbitrary tag soup (property)', async () => {
    const pieces = fc.constantFrom(
      '<div class="share">',
      '</div>',
      '<p>',
      '</p>',
      '<script>',
      '</script>',
      '<a href="/x">',
      '</a>',
      '<h1>',
      '<title>',
      '</title>',
      '<meta property="og:title" content="T&amp;">',
      '<br>',
      '<!--',
      '-->',
      '&nbsp;',
      '&#xD800;',
      '<img src=x>',
      '<figure>',
      '<li>',
      '<table><tr><td>',
      'Words of a sentence here. ',
      'By Ann Lee',
      '\u0000',
      '\u200B',
      '<span hidden>',
      'Advertisement',
      '<html lang="ko">',
      '한국어 문장입니다. ',
      '日本語の文章です。',
    )
    await fc.assert(
      fc.asyncProperty(fc.array(pieces, { maxLength: 80 }), async (parts) => {
        const a = await normalizeArticle({ url: 'https://example.com/a', html: parts.join('') }, NOW)
        for (const field of [a.title, a.body, a.summary]) expectClean(field)
        expect(a.id).toMatch(/^[0-9a-f]{32}$/)
      }),
      { numRuns: 150 },
    )
  })

  it('survives absurdly deep nesting', async () => {
    const html = `${'<div>'.repeat(20_000)}<p>Deep text survives the nesting here.</p>${'</div>'.repeat(20_000)}`
    const a = await normalizeArticle({ externalId: 'deep', html }, NOW)
    expect(a.body).toContain('Deep text survives')
  })

  it('drops a huge token of junk and keeps the prose around it', async () => {
    const text = `Real words come first.\n\n${'x'.repeat(1_000_000)}\n\nAnd real words come last.`
    const a = await normalizeArticle({ externalId: 'huge', text }, NOW)
    expect(a.body).toBe('Real words come first.\n\nAnd real words come last.')
  })

  it('stores script tags in a title as nothing and the body as plain text', async () => {
    const a = await normalizeArticle(
      {
        externalId: 's',
        title: '<script>alert(1)</script>Title',
        html: '<p>Body <b>bold</b> <script>evil()</script>text</p>',
      },
      NOW,
    )
    expect(a.title).toBe('Title')
    expect(a.body).toBe('Body bold text')
  })

  it('handles a page with nothing but scripts and styles', async () => {
    const a = await normalizeArticle(
      { externalId: 'empty', html: '<html><head><style>p{}</style></head><body><script>x()</script></body></html>' },
      NOW,
    )
    expect(a.body).toBe('')
    expect(a.wordCount).toBe(0)
    expect(a.lang).toBe('und')
  })
})
