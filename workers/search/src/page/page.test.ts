import { describe, expect, it } from 'vitest'
import { APP_JS } from './app-js'
import { contentHash, page } from './index'
import { isSafeSnippet } from './snippet'

describe('the search page', () => {
  it('serves an HTML shell that allows only its own scripts, styles and API', async () => {
    const res = await page.request('/')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/html')
    const csp = res.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("script-src 'self'")
    expect(csp).toContain("default-src 'none'")
    const html = await res.text()
    expect(html).toContain('<html lang="en">')
    expect(html).toMatch(/<label for="q"[^>]*>Search articles<\/label>/)
    expect(html).toContain('role="combobox"')
    expect(html).toContain('aria-live="polite"')
  })

  it('links assets by content hash and lets browsers keep them for good', async () => {
    const html = await (await page.request('/')).text()
    const src = /<script src="([^"]+)"/.exec(html)?.[1] ?? ''
    expect(src).toBe(`/assets/app.js?v=${contentHash(APP_JS)}`)
    const res = await page.request(src)
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/javascript')
    expect(res.headers.get('cache-control')).toContain('immutable')
    expect(await res.text()).toBe(APP_JS)
  })

  it('answers 304 to a matching If-None-Match and revalidates unversioned asset requests', async () => {
    const first = await page.request('/assets/app.css')
    expect(first.headers.get('cache-control')).toContain('must-revalidate')
    const etag = first.headers.get('etag') ?? ''
    const again = await page.request('/assets/app.css', { headers: { 'if-none-match': etag } })
    expect(again.status).toBe(304)
  })

  it('answers 404 for an asset it does not have', async () => {
    expect((await page.request('/assets/evil.js')).status).toBe(404)
    expect((await page.request('/assets/toString')).status).toBe(404)
  })

  it('keeps its script small', () => {
    expect(APP_JS.length).toBeLessThan(24_000)
  })
})

describe('isSafeSnippet', () => {
  it('accepts escaped text with <mark> highlights', () => {
    expect(isSafeSnippet('… the <mark>GSOMIA</mark> pact &amp; &lt;b&gt; …')).toBe(true)
    expect(isSafeSnippet('<mark>월식</mark>이 관측')).toBe(true)
    expect(isSafeSnippet('')).toBe(true)
  })

  it('refuses any other markup', () => {
    expect(isSafeSnippet('<img src=x onerror=alert(1)>')).toBe(false)
    expect(isSafeSnippet('<mark onclick="x()">a</mark>')).toBe(false)
    expect(isSafeSnippet('<MARK>a</MARK>')).toBe(false)
    expect(isSafeSnippet('a <script>x</script>')).toBe(false)
    expect(isSafeSnippet('a > b')).toBe(false)
  })
})
