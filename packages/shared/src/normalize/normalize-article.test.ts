import { describe, expect, it } from 'vitest'
import { normalizeArticle } from './normalize-article'

const NOW = new Date('2024-05-01T12:00:00.000Z')

describe('normalizeArticle on text', () => {
  it('takes the headline from scraped text and drops navigation lines and a cut-off byline', async () => {
    const text =
      'Back To Top\n\nBig news today in Seoul\n\nThe first paragraph of the story is here.\n\nA second paragraph.\n\nBy Jo He-rim ('
    const a = await normalizeArticle({ url: 'https://example.com/story', text }, NOW)
    expect(a.title).toBe('Big news today in Seoul')
    expect(a.byline).toBe('By Jo He-rim')
    expect(a.author).toBe('Jo He-rim')
    expect(a.body).toBe('The first paragraph of the story is here.\n\nA second paragraph.')
    expect(a.ingestedAt).toBe(NOW.toISOString())
    expect(a.updatedAt).toBe(NOW.toISOString())
    expect(a.contentHash).toMatch(/^[0-9a-f]{64}$/)
  })

  it('gives identical content the same hash and changed content another', async () => {
    const input = { externalId: 'x1', title: 'Same', text: 'Body text here.' }
    const a = await normalizeArticle(input, NOW)
    const b = await normalizeArticle({ ...input }, new Date())
    const c = await normalizeArticle({ ...input, text: 'Body text changed.' }, NOW)
    expect(a.contentHash).toBe(b.contentHash)
    expect(a.contentHash).not.toBe(c.contentHash)
  })

  it('never throws on hostile input and stores plain, clean text', async () => {
    const a = await normalizeArticle(
      {
        externalId: 'evil',
        title: '<script>alert(1)</script>Hello\u0000 \uD800World\u200B',
        text: `caf\u0065\u0301\u00A0ok soft\u00ADhyphen\n\n\n\n${'x'.repeat(5000)} end\u0007`,
      },
      NOW,
    )
    expect(a.title).toBe('Hello World')
    expect(a.body).toBe('café ok softhyphen\n\nend')
  })
})

describe('normalizeArticle on html', () => {
  it('reads metadata and body from a simple page', async () => {
    const html = `<!doctype html><html lang="en"><head><title>Rain returns to the valley - Daily Example</title>
      <meta property="og:site_name" content="Daily Example">
      <meta property="article:published_time" content="2024-04-30T08:00:00Z">
      <meta name="author" content="Ann Writer">
      <link rel="canonical" href="https://www.example.com/rain?utm_source=feed"></head>
      <body><nav><a href="/">Home</a> | <a href="/news">News</a></nav>
      <article><h1>Rain returns to the valley</h1>
      <p>After a dry spring, rain finally returned to the valley on Tuesday, filling reservoirs that had fallen to record lows.</p>
      <p>Farmers said the water came just in time for planting, and officials lifted the hosepipe ban that had been in place since March.</p>
      <p>Advertisement</p>
      <p>Forecasters expect more showers through the week, with heavier rain possible on the weekend across the northern hills.</p>
      </article><footer>Copyright 2024</footer></body></html>`
    const b = await normalizeArticle({ externalId: 'rain', html }, NOW)
    expect(b.title).toBe('Rain returns to the valley')
    expect(b.source).toBe('Daily Example')
    expect(b.published).toBe('2024-04-30T08:00:00.000Z')
    expect(b.byline).toBe('Ann Writer')
    expect(b.url).toBe('https://www.example.com/rain')
    expect(b.lang).toBe('en')
    expect(b.body.split('\n\n')).toHaveLength(3)
    expect(b.body).not.toContain('Advertisement')
    expect(b.body).not.toContain('Home')
  })
})
