import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import { isSafeSnippet } from '../workers/search/page/snippet'
import { SEARCH, SELF } from './helpers'

// The search page as the search worker's static assets serve it (built from workers/search/page/ by
// scripts/build-page.ts; headers from its _headers file). In a deployment (and under `wrangler dev`, as the browser
// test sees it) the assets answer before the worker; here the ASSETS binding of test/wrangler.toml reaches them.
const { ASSETS } = env as unknown as { ASSETS: Fetcher }
const get = (path: string, init?: RequestInit) => ASSETS.fetch(`${SEARCH}${path}`, init)

async function scriptPath(): Promise<string> {
  const html = await (await get('/')).text()
  return /<script src="([^"]+)"/.exec(html)?.[1] ?? ''
}

describe('the search page', () => {
  it('serves an HTML shell that allows only its own scripts, styles and API', async () => {
    for (const path of ['/', '/?q=GSOMIA&lang=en']) {
      const res = await get(path)
      expect(res.status, path).toBe(200)
      expect(res.headers.get('content-type')).toContain('text/html')
      const csp = res.headers.get('content-security-policy') ?? ''
      expect(csp).toContain("script-src 'self'")
      expect(csp).toContain("default-src 'none'")
      expect(res.headers.get('cache-control')).toBe('no-cache')
      const html = await res.text()
      expect(html).toContain('<html lang="en">')
      expect(html).toMatch(/<label for="q"[^>]*>Search articles<\/label>/)
      expect(html).toContain('role="combobox"')
      expect(html).toContain('aria-live="polite"')
    }
  })

  it('links assets by content hash and lets browsers keep them for good', async () => {
    const html = await (await get('/')).text()
    const src = await scriptPath()
    const href = /<link rel="stylesheet" href="([^"]+)"/.exec(html)?.[1] ?? ''
    expect(src).toMatch(/^\/assets\/app\.[A-Z0-9]+\.js$/)
    expect(href).toMatch(/^\/assets\/app\.[A-Z0-9]+\.css$/)
    const script = await get(src)
    expect(script.status).toBe(200)
    expect(script.headers.get('content-type')).toContain('javascript')
    expect(script.headers.get('cache-control')).toContain('immutable')
    expect(await script.text()).toContain('Edgewire search')
    const style = await get(href)
    expect(style.headers.get('content-type')).toContain('text/css')
    expect(style.headers.get('cache-control')).toContain('immutable')
  })

  it('answers 304 to a matching If-None-Match', async () => {
    const src = await scriptPath()
    const first = await get(src)
    await first.arrayBuffer()
    const etag = first.headers.get('etag') ?? ''
    expect(etag).not.toBe('')
    const again = await get(src, { headers: { 'if-none-match': etag } })
    expect(again.status).toBe(304)
  })

  it('has no asset it was not built with, and the worker answers those paths 404 problem+json', async () => {
    for (const path of ['/assets/evil.js', '/assets/toString', '/assets/app.js', '/index.html.bak']) {
      expect((await get(path)).status, path).toBe(404)
      const res = await SELF.fetch(`${SEARCH}${path}`)
      expect(res.status, path).toBe(404)
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    }
  })

  it('keeps its script small', async () => {
    const script = await (await get(await scriptPath())).text()
    expect(script.length).toBeLessThan(24_000)
  })
})

describe('the API reference page (/docs)', () => {
  it('is static HTML under the same policy, whose compiled script renders /openapi.json', async () => {
    const res = await get('/docs')
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toContain('text/html')
    const csp = res.headers.get('content-security-policy') ?? ''
    expect(csp).toContain("default-src 'none'")
    expect(csp).toContain("script-src 'self'")
    expect(csp).not.toContain('unsafe-inline')
    const html = await res.text()
    expect(html).toContain('<title>Edgewire API reference</title>')
    // No inline script or style: the policy would refuse them.
    expect(html).not.toMatch(/<script>|<style>/)
    const src = /<script src="([^"]+)"/.exec(html)?.[1] ?? ''
    expect(src).toMatch(/^\/assets\/docs\.[A-Z0-9]+\.js$/)
    const script = await get(src)
    expect(script.headers.get('cache-control')).toContain('immutable')
    expect(await script.text()).toContain('/openapi.json')
    const href = /<link rel="stylesheet" href="([^"]+)"/.exec(html)?.[1] ?? ''
    expect((await get(href)).headers.get('content-type')).toContain('text/css')
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
