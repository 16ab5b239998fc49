import { describe, expect, it } from 'vitest'
import { parseDocument } from './dom'
import { readMetadata, toIsoDate } from './metadata'

describe('toIsoDate', () => {
  it('reads the date shapes pages use', () => {
    expect(toIsoDate('2019-11-18T10:20:00-05:00')).toBe('2019-11-18T15:20:00.000Z')
    expect(toIsoDate('2019-11-18 10:20:00 -0500')).toBe('2019-11-18T15:20:00.000Z')
    expect(toIsoDate('20191118')).toBe('2019-11-18T00:00:00.000Z')
    expect(toIsoDate('2022-11-07')).toBe('2022-11-07T00:00:00.000Z')
  })
  it('refuses placeholders and nonsense', () => {
    expect(toIsoDate('0001-01-01T00:00:00Z')).toBeNull()
    expect(toIsoDate('yesterday')).toBeNull()
    expect(toIsoDate('')).toBeNull()
  })
})

describe('readMetadata', () => {
  it('reads JSON-LD through @graph before OpenGraph and meta tags', () => {
    const doc = parseDocument(`<html lang="ko"><head><title>T - Site</title>
      <script type="application/ld+json">{"@graph":[{"@type":"WebSite","name":"Site"},
        {"@type":"NewsArticle","headline":"Headline &amp; more","datePublished":"2020-01-02T03:04:05Z",
         "author":[{"@type":"Person","name":"Ann Lee"},{"@type":"Person","name":"Bo Kim"}],"publisher":{"name":"Pub"}}]}</script>
      <script type="application/ld+json">{ broken json</script>
      <meta property="og:title" content="OG title"><meta property="og:site_name" content="Site Name">
      <link rel="canonical" href="https://example.com/a"></head><body><p>x</p></body></html>`)
    const m = readMetadata(doc)
    expect(m.headline).toBe('Headline & more')
    expect(m.byline).toBe('Ann Lee, Bo Kim')
    expect(m.published).toBe('2020-01-02T03:04:05.000Z')
    expect(m.source).toBe('Site Name')
    expect(m.canonicalUrl).toBe('https://example.com/a')
    expect(m.lang).toBe('ko')
    expect(m.documentTitle).toBe('T - Site')
    expect(m.metaTitles).toContain('OG title')
  })
  it('falls back to <time> and meta author', () => {
    const m = readMetadata(
      parseDocument(
        '<html><head><meta name="author" content="Jo"></head><body><article><time datetime="2021-05-06">May 6</time></article></body></html>',
      ),
    )
    expect(m.byline).toBe('Jo')
    expect(m.published).toBe('2021-05-06T00:00:00.000Z')
  })
})
