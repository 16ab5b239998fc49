import { describe, expect, it } from 'vitest'
import { articleIdFor } from './id'
import { canonicalizeUrl } from './url'

describe('canonicalizeUrl', () => {
  it('lower-cases the host, drops the fragment and the default port', () => {
    expect(canonicalizeUrl('HTTPS://Example.COM:443/News/A?id=1#comments')).toBe('https://example.com/News/A?id=1')
  })
  it('removes tracking parameters and keeps the others in their order and encoding', () => {
    expect(canonicalizeUrl('https://e.com/a?b=2&utm_source=x&a=%20y&fbclid=1&gclid=2&UTM_Medium=m')).toBe(
      'https://e.com/a?b=2&a=%20y',
    )
  })
  it('drops an empty query left after removing tracking parameters', () => {
    expect(canonicalizeUrl('https://e.com/a?utm_campaign=z')).toBe('https://e.com/a')
  })
  it('hands back a string that is no URL instead of throwing', () => {
    expect(canonicalizeUrl('  not a url ')).toBe('not a url')
  })
})

describe('articleIdFor', () => {
  it('gives the same id for two urls that canonicalize alike', async () => {
    const a = await articleIdFor({ url: 'https://Example.com/a?utm_source=x#top' })
    const b = await articleIdFor({ url: 'https://example.com/a' })
    expect(a).toBe(b)
    expect(a).toMatch(/^[0-9a-f]{32}$/)
  })
  it('uses the externalId when there is no url', async () => {
    const a = await articleIdFor({ externalId: 'abc-1' })
    expect(a).toBe(await articleIdFor({ url: null, externalId: 'abc-1' }))
    expect(a).not.toBe(await articleIdFor({ externalId: 'abc-2' }))
  })
  it('prefers the url over the externalId', async () => {
    expect(await articleIdFor({ url: 'https://e.com/x', externalId: 'one' })).toBe(
      await articleIdFor({ url: 'https://e.com/x', externalId: 'two' }),
    )
  })
})
