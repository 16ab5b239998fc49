import { beforeAll, describe, expect, it } from 'vitest'
import { SEARCH, SELF, searchUntil, sendEvent } from './helpers'

// The search worker under attack: whatever a client puts in the URL, the answer is 200 or a 4xx problem+json that
// names the parameter at fault; never a 5xx, never a stack trace, and never unbounded work.

interface Problem {
  status: number
  detail: string
  errors?: { pointer: string; detail: string }[]
}

const get = (path: string) => SELF.fetch(`${SEARCH}${path}`)

async function expectBadParameter(path: string, name: string): Promise<void> {
  const res = await get(path)
  const text = await res.text()
  expect(res.status, `${path}: ${text.slice(0, 200)}`).toBe(400)
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
  const problem = JSON.parse(text) as Problem
  expect(
    problem.errors?.map((e) => e.pointer),
    path,
  ).toContain(`/${name}`)
  expect(problem.detail).toContain(name)
  expect(text).not.toMatch(/\bat .+:\d+:\d+|\.ts\b|stack/i)
}

async function expectOk(path: string): Promise<{ total: number; hits: unknown[]; limit: number; offset: number }> {
  const res = await get(path)
  const text = await res.text()
  expect(res.status, `${path}: ${text.slice(0, 200)}`).toBe(200)
  return JSON.parse(text)
}

beforeAll(async () => {
  const articles = Array.from({ length: 30 }, (_, i) => ({
    externalId: `hostile-search-${i}`,
    title: `Harbour report ${i}`,
    text: `The harbour of Rotterdam handled ${i} thousand containers of cocoa, coffee and copper this week.`,
    tags: [`tag${i % 3}`],
    source: i % 2 ? 'Reuters' : 'AP',
  }))
  await sendEvent('article.batch', { articles })
  await searchUntil({ q: 'harbour' }, 30)
})

describe('search parameters from a hostile client', () => {
  it('answers 400 naming q to a query longer than 256 characters, however long', async () => {
    await expectOk(`/search?q=${'a'.repeat(256)}`)
    await expectBadParameter(`/search?q=${'a'.repeat(257)}`, 'q')
    await expectBadParameter(`/search?q=${'harbour '.repeat(8000)}`, 'q')
    await expectBadParameter(`/suggest?q=${'a'.repeat(300)}`, 'q')
  })

  it('answers 400 naming limit or offset when they are out of range or not integers', async () => {
    for (const limit of ['0', '-1', '101', '1e9', '1.5', 'abc', '', 'Infinity', 'NaN', '9'.repeat(400)]) {
      await expectBadParameter(`/search?q=harbour&limit=${limit}`, 'limit')
    }
    for (const offset of ['-1', '10001', '1e20', '0.5', 'zero', '-0.0001', '9'.repeat(400)]) {
      await expectBadParameter(`/search?q=harbour&offset=${offset}`, 'offset')
    }
    expect((await expectOk('/search?q=harbour&limit=100&offset=10000')).hits).toEqual([])
    expect((await expectOk('/search?q=harbour&limit=1')).hits).toHaveLength(1)
  })

  it('answers 400 naming each bad parameter of several', async () => {
    const res = await get('/search?q=harbour&limit=0&sort=random&from=2020-13-45')
    const problem = (await res.json()) as Problem
    expect(res.status).toBe(400)
    expect(problem.errors?.map((e) => e.pointer).sort()).toEqual(['/from', '/limit', '/sort'])
  })

  it('lets the client switch fuzziness on or off but never set how far it reaches', async () => {
    const exact = await expectOk('/search?q=harbuor')
    for (const fuzzy of ['true', '1', '2', '100', '0.9', '1e308', 'auto']) {
      const res = await expectOk(`/search?q=harbuor&fuzzy=${fuzzy}`)
      expect(res.total, fuzzy).toBeGreaterThanOrEqual(exact.total)
    }
    // The server's edit distance does not grow with what the client asks: a word three edits away stays unfound.
    expect((await expectOk('/search?q=hxxbxxr&fuzzy=100')).total).toBe(0)
    await expectBadParameter('/search?q=harbour&fuzzy=banana', 'fuzzy')
    await expectBadParameter('/search?q=harbour&prefix=maybe', 'prefix')
  })

  // How much work a query may cause is bounded by the engine's QUERY_LIMITS (terms kept, expansions per term, text
  // read), asserted in packages/shared/src/search/query.test.ts; how long these take is for benches to say. Here: the
  // worker answers each of them with a proper page.
  it('answers queries built to be expensive with a proper page', async () => {
    const costly = [
      `/search?q=${Array.from({ length: 128 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('+')}&prefix=true&fuzzy=true`,
      `/search?q=${'a'.repeat(256)}&fuzzy=true&prefix=true`,
      `/search?q=${encodeURIComponent('*'.repeat(100))}&prefix=true`,
      `/search?q=${encodeURIComponent('.*+?^{}$()|[]\\'.repeat(10))}&fuzzy=true`,
      `/search?q=${encodeURIComponent('"harbour" AND (NOT copper) OR -cocoa ~2 harbour^10 h*')}`,
      '/search?q=h&prefix=true&facets=source,author,lang,tags&sort=newest',
      `/suggest?q=${'h'.repeat(256)}`,
      '/search?q=%00%E2%80%8B%EF%BB%BF%ED%A0%80',
    ]
    for (const path of costly) {
      const page = await expectOk(path)
      if (!path.startsWith('/search')) continue
      expect(page.hits.length, path).toBeLessThanOrEqual(page.limit)
      expect(page.total, path).toBeGreaterThanOrEqual(page.hits.length)
    }
  })

  it('answers 400 to repeated single parameters and to too many filter values', async () => {
    await expectBadParameter('/search?q=harbour&q=copper', 'q')
    await expectBadParameter('/search?q=harbour&limit=5&limit=6', 'limit')
    await expectBadParameter(`/search?q=harbour&${Array.from({ length: 21 }, (_, i) => `tag=t${i}`).join('&')}`, 'tag')
    await expectBadParameter(`/search?q=harbour&source=${'s'.repeat(201)}`, 'source')
    await expectBadParameter('/search?q=harbour&facets=source,password', 'facets')
  })

  it('treats __proto__, constructor and unknown parameters as nothing special', async () => {
    const res = await expectOk('/search?q=harbour&__proto__=x&__proto__=y&constructor=z&toString=1&hasOwnProperty=2')
    expect(res.total).toBe(30)
    expect((await expectOk('/search?q=harbour&tag=__proto__&source=constructor')).total).toBe(0)
    expect(({} as Record<string, unknown>).x).toBeUndefined()
  })

  it('survives broken percent-encoding and odd bytes in the URL', async () => {
    for (const path of ['/search?q=%E0%A4%A', '/search?q=%ZZ', '/search?q=%00', '/search?q=%FF%FE', '/search?%=%']) {
      const res = await get(path)
      expect(res.status, path).toBeLessThan(500)
    }
  })

  it('answers 404 problem+json to unknown or absurd article ids, never asking KV with an oversized key', async () => {
    for (const id of ['nope', 'x'.repeat(600), '%ZZ', '..%2F..%2Fetc%2Fpasswd', encodeURIComponent('article:x')]) {
      const res = await get(`/articles/${id}`)
      expect(res.status, id).toBe(404)
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    }
  })

  it('answers 405 with Allow to writes on read routes, and 404 to unknown paths', async () => {
    for (const path of ['/search', '/suggest', '/stats']) {
      const res = await SELF.fetch(`${SEARCH}${path}`, { method: 'POST', body: '{}' })
      expect(res.status, path).toBe(405)
      expect(res.headers.get('allow')).toBe('GET')
    }
    const res = await get('/no/such/route')
    expect(res.status).toBe(404)
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
  })

  it('answers an empty query on an index with documents as a normal search', async () => {
    const res = await expectOk('/search?q=')
    expect(res.limit).toBe(10)
    expect(res.offset).toBe(0)
  })
})
