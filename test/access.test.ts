import { env } from 'cloudflare:test'
import { signPayload } from '@edgewire/shared'
import { describe, expect, it } from 'vitest'
import { READS_PER_LIMITER_CALL } from '../workers/search/src/search.app'
import { allWriters, ingestEnv, writersStats } from './faults'
import { eventually, INGEST, nextId, SEARCH, SELF, searchUntil, sendEvent, TEST_SECRET } from './helpers'

// Who may do what: admin routes behind ADMIN_TOKEN, CORS on the search worker's read routes only, and a rate limit
// per client address on both workers. test/wrangler.toml sets small limits (ingest 5, search 10 a minute) so the
// 429 path is cheap to reach; requests that carry no cf-connecting-ip (all other tests) are not counted.

const ADMIN_TOKEN = (env as unknown as { ADMIN_TOKEN: string }).ADMIN_TOKEN
const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
/** SEARCH_RATE_LIMIT's limit in test/wrangler.toml. */
const SEARCH_LIMIT = 10
let addresses = 0
/** A client address of the TEST-NET-3 range no other test uses. */
const freshIp = () => `203.0.113.${++addresses}`

/**
 * Runs a burst of requests from a fresh address inside one window. Windows are fixed minutes, and a burst that
 * straddles the turn of a minute is counted in two: then it runs again from another address (a loaded machine may
 * take any time over a burst, so no pace is assumed). Returns the address and what the burst returned.
 */
async function inOneWindow<T>(burst: (ip: string) => Promise<T>): Promise<{ ip: string; result: T }> {
  const minute = () => Math.floor(Date.now() / 60_000)
  for (let attempt = 1; ; attempt++) {
    const started = minute()
    const ip = freshIp()
    const result = await burst(ip)
    if (minute() === started || attempt === 3) return { ip, result }
  }
}

async function created(url: string, text: string): Promise<string> {
  const res = await sendEvent('article.upsert', { url, text })
  const { results } = (await res.json()) as { results: { id: string; status: string }[] }
  expect(results[0]?.status).toBe('created')
  return results[0]?.id ?? ''
}

describe('admin routes', () => {
  it('refuses DELETE /articles/:id without the admin token, with a wrong one, or a malformed header', async () => {
    const id = await created('https://access.example/keep', 'An article nobody may delete.')
    const attempts: Record<string, string>[] = [
      {},
      bearer('wrong-token'),
      bearer(`${ADMIN_TOKEN}x`),
      bearer(ADMIN_TOKEN.slice(0, -1)),
      { authorization: ADMIN_TOKEN },
      { authorization: `Basic ${btoa(`admin:${ADMIN_TOKEN}`)}` },
      { authorization: `Bearer ${ADMIN_TOKEN} ${ADMIN_TOKEN}` },
      { authorization: 'Bearer ' },
    ]
    for (const headers of attempts) {
      const res = await SELF.fetch(`${SEARCH}/articles/${id}`, { method: 'DELETE', headers })
      expect([400, 401], JSON.stringify(headers)).toContain(res.status)
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
      if (res.status === 401) expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/)
    }
    expect((await SELF.fetch(`${SEARCH}/articles/${id}`)).status).toBe(200)
  })

  it('deletes an article with the admin token, and answers 404 for one that is not there', async () => {
    const id = await created('https://access.example/remove', 'Removemarker: an article the admin deletes.')
    expect((await searchUntil({ q: 'removemarker' }, 1)).total).toBe(1)
    const res = await SELF.fetch(`${SEARCH}/articles/${id}`, { method: 'DELETE', headers: bearer(ADMIN_TOKEN) })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ id, status: 'deleted' })
    // KV may still hold its copy for a moment (the writer's outbox removes it after the commit), as it may at a
    // distant location for up to a minute: the article is gone once the outbox and this isolate's index follow.
    const gone = await eventually(
      () => SELF.fetch(`${SEARCH}/articles/${id}`),
      (r) => r.status === 404,
    )
    expect(gone.status).toBe(404)
    expect((await searchUntil({ q: 'removemarker' }, 0)).total).toBe(0)
    const again = await SELF.fetch(`${SEARCH}/articles/${id}`, { method: 'DELETE', headers: bearer(ADMIN_TOKEN) })
    expect(again.status).toBe(404)
  })

  it('reindexes only with the admin token: every shard writes its articles to KV again and rebuilds its segments', async () => {
    const id = await created('https://access.example/reindexed', 'Reindexmarker: survives a lost KV entry.')
    await searchUntil({ q: 'reindexmarker' }, 1)
    expect((await SELF.fetch(`${SEARCH}/admin/reindex`, { method: 'POST' })).status).toBe(401)
    expect((await SELF.fetch(`${SEARCH}/admin/reindex`, { method: 'POST', headers: bearer('nope') })).status).toBe(401)

    // KV lost the article (an operator's mistake, a bad migration): reindex writes it back from the writer.
    await eventually(
      () => writersStats().then((s) => s.kvPending),
      (n) => n === 0,
    )
    await ingestEnv.ARTICLES.delete(`article:${id}`)
    const writers = allWriters()
    const segmentsOf = (w: (typeof writers)[number]) => w.manifest().then((m) => m.segments.map((r) => r.id))
    const before = await Promise.all(writers.map(segmentsOf))
    const res = await SELF.fetch(`${SEARCH}/admin/reindex`, { method: 'POST', headers: bearer(ADMIN_TOKEN) })
    expect(res.status).toBe(202)
    const body = (await res.json()) as { documents: number; headSeq: number }
    // Every shard's articles, counted as one index's.
    expect(body.documents).toBeGreaterThan(0)
    expect(body.headSeq).toBe((await writersStats()).headSeq)
    await eventually(() => ingestEnv.ARTICLES.get(`article:${id}`).then((v) => v !== null), Boolean)
    expect(await ingestEnv.ARTICLES.get(`article:${id}`)).not.toBeNull()
    // Every segment of every shard is rebuilt, one per maintenance round: none of the earlier ones is left.
    for (const [i, w] of writers.entries()) {
      const was = before[i] ?? []
      if (was.length === 0) continue
      const rebuilt = await eventually(
        () => segmentsOf(w),
        (ids) => ids.length > 0 && ids.every((segment) => !was.includes(segment)),
      )
      expect(rebuilt.filter((segment) => was.includes(segment))).toEqual([])
    }
    expect((await searchUntil({ q: 'reindexmarker' }, 1)).total).toBe(1)
  })

  it('guards the ingest worker admin routes too', async () => {
    expect((await SELF.fetch(`${INGEST}/admin/inbox`)).status).toBe(401)
    expect((await SELF.fetch(`${INGEST}/admin/redrive`, { method: 'POST', headers: bearer('x') })).status).toBe(401)
    const inbox = await SELF.fetch(`${INGEST}/admin/inbox`, { headers: bearer(ADMIN_TOKEN) })
    expect(inbox.status).toBe(200)
    expect(await inbox.json()).toMatchObject({ staged: expect.any(Number), deadLetters: expect.any(Array) })
  })
})

describe('CORS', () => {
  it('lets any page read the search routes', async () => {
    for (const path of ['/search?q=x', '/suggest?q=x', '/stats', '/articles/none']) {
      const res = await SELF.fetch(`${SEARCH}${path}`, { headers: { origin: 'https://reader.example' } })
      expect(res.headers.get('access-control-allow-origin'), path).toBe('*')
      expect(res.headers.get('access-control-allow-credentials'), path).toBeNull()
    }
  })

  it('refuses a cross-origin DELETE or reindex at the preflight, and sends no CORS headers on admin answers', async () => {
    const preflight = await SELF.fetch(`${SEARCH}/articles/abc`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://evil.example',
        'access-control-request-method': 'DELETE',
        'access-control-request-headers': 'authorization',
      },
    })
    expect(preflight.headers.get('access-control-allow-methods') ?? '').not.toContain('DELETE')
    expect((preflight.headers.get('access-control-allow-headers') ?? '').toLowerCase()).not.toContain('authorization')
    const reindexPreflight = await SELF.fetch(`${SEARCH}/admin/reindex`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    })
    expect(reindexPreflight.headers.get('access-control-allow-origin')).toBeNull()
    const admin = await SELF.fetch(`${SEARCH}/admin/reindex`, {
      method: 'POST',
      headers: { origin: 'https://evil.example' },
    })
    expect(admin.headers.get('access-control-allow-origin')).toBeNull()
  })

  it('sends no CORS headers from the ingest worker', async () => {
    const res = await SELF.fetch(`${INGEST}/healthz`, { headers: { origin: 'https://reader.example' } })
    expect(res.headers.get('access-control-allow-origin')).toBeNull()
  })
})

describe('rate limits', () => {
  it('answers 429 problem+json with Retry-After once one address passes the search limit', async () => {
    // The binding allows 10 units a minute here, and an isolate asks it on every READS_PER_LIMITER_CALL-th read of
    // an address: the 11th call (read 176) is refused.
    const allowed = (SEARCH_LIMIT + 1) * READS_PER_LIMITER_CALL
    const {
      ip,
      result: { statuses, limited },
    } = await inOneWindow(async (ip) => {
      const statuses: number[] = []
      let limited: Response | undefined
      for (let i = 0; i < allowed + 3; i++) {
        const res = await SELF.fetch(`${SEARCH}/search?q=harbour`, { headers: { 'cf-connecting-ip': ip } })
        statuses.push(res.status)
        if (res.status === 429) limited = res
        else await res.arrayBuffer()
      }
      return { statuses, limited }
    })
    // Reads never wait for the limiter: the refused call's read is answered (perhaps the next one too, if the verdict
    // came after its answer), and every one after is refused.
    expect(statuses.slice(0, allowed)).toEqual(Array(allowed).fill(200))
    expect(statuses.slice(allowed + 1)).toEqual([429, 429])
    expect(statuses.slice(statuses.indexOf(429)).every((s) => s === 429)).toBe(true)
    expect(limited?.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    const retryAfter = Number(limited?.headers.get('retry-after'))
    expect(retryAfter).toBeGreaterThanOrEqual(1)
    expect(retryAfter).toBeLessThanOrEqual(60)
    expect(((await limited?.json()) as { status?: number } | undefined)?.status).toBe(429)

    // Another address is not affected, nor is the health check.
    const other = await SELF.fetch(`${SEARCH}/search?q=harbour`, { headers: { 'cf-connecting-ip': freshIp() } })
    expect(other.status).toBe(200)
    expect((await SELF.fetch(`${SEARCH}/healthz`, { headers: { 'cf-connecting-ip': ip } })).status).toBe(200)
  })

  it('limits /stats as a read: 429 problem+json once the address passes the limit', async () => {
    const allowed = (SEARCH_LIMIT + 1) * READS_PER_LIMITER_CALL
    const { result } = await inOneWindow(async (ip) => {
      const statuses: number[] = []
      let limited: Response | undefined
      for (let i = 0; i < allowed + 3; i++) {
        const res = await SELF.fetch(`${SEARCH}/stats`, { headers: { 'cf-connecting-ip': ip } })
        statuses.push(res.status)
        if (res.status === 429) limited = res
        else await res.arrayBuffer()
      }
      return { statuses, limited }
    })
    expect(result.statuses.slice(0, allowed)).toEqual(Array(allowed).fill(200))
    expect(result.statuses.slice(allowed + 1)).toEqual([429, 429])
    expect(result.limited?.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    expect(result.limited?.headers.get('retry-after')).toMatch(/^\d+$/)
  })

  it('charges each miss of /articles/:id as a whole unit, and then refuses the address before any lookup', async () => {
    const id = await created('https://access.example/read-between-misses', 'A story read between misses.')
    // Readable once this isolate's index has it (KV may not show it yet).
    const readable = await eventually(
      () => SELF.fetch(`${SEARCH}/articles/${id}`),
      (r) => r.status === 200,
    )
    expect(readable.status).toBe(200)
    const { result } = await inOneWindow(async (ip) => {
      const get = async (path: string) => {
        const res = await SELF.fetch(`${SEARCH}${path}`, { headers: { 'cf-connecting-ip': ip } })
        return { status: res.status, type: res.headers.get('content-type'), retryAfter: res.headers.get('retry-after') }
      }
      const misses: number[] = []
      let limited: Awaited<ReturnType<typeof get>> | undefined
      for (let i = 0; i < SEARCH_LIMIT + 2; i++) {
        const answer = await get(`/articles/never-accepted-${i}-${ip}`)
        misses.push(answer.status)
        if (answer.status === 429) limited = answer
      }
      // Past the limit, the address is refused an article that exists too, and searches, until the window ends.
      return { misses, limited, hit: (await get(`/articles/${id}`)).status, search: (await get('/search?q=x')).status }
    })
    // Twelve requests: far fewer than READS_PER_LIMITER_CALL reads, so only the misses were charged, one unit each.
    expect(result.misses).toEqual([...Array(SEARCH_LIMIT).fill(404), 429, 429])
    expect(result.limited?.type).toMatch(/^application\/problem\+json/)
    expect(result.limited?.retryAfter).toMatch(/^\d+$/)
    expect(result.hit).toBe(429)
    expect(result.search).toBe(429)
  })

  it('makes admin writes on the search worker wait for the verdict, sharing the address counter with reads', async () => {
    const { result } = await inOneWindow(async (ip) => {
      const reads: number[] = []
      for (let i = 0; i < SEARCH_LIMIT * READS_PER_LIMITER_CALL; i++) {
        const res = await SELF.fetch(`${SEARCH}/search?q=harbour`, { headers: { 'cf-connecting-ip': ip } })
        reads.push(res.status)
        await res.arrayBuffer()
      }
      // The reads used the window's 10 units; a DELETE waits for the limiter and is refused at once.
      const res = await SELF.fetch(`${SEARCH}/articles/${'0'.repeat(32)}`, {
        method: 'DELETE',
        headers: { 'cf-connecting-ip': ip, ...bearer(ADMIN_TOKEN) },
      })
      await res.arrayBuffer()
      return { reads, status: res.status, retryAfter: res.headers.get('retry-after') }
    })
    expect(result.reads).toEqual(Array(SEARCH_LIMIT * READS_PER_LIMITER_CALL).fill(200))
    expect(result.status).toBe(429)
    expect(result.retryAfter).toMatch(/^\d+$/)
  })

  it('counts an IPv6 client by its /64: addresses rotated within it share one count', async () => {
    let subnet = 0
    const { result } = await inOneWindow(async () => {
      // A /64 of the documentation range no other test uses; every request from another interface id in it.
      const prefix = `2001:db8:${(++subnet).toString(16)}:${(Date.now() % 65_536).toString(16)}`
      const statuses: number[] = []
      for (let i = 1; i <= 7; i++) {
        const res = await SELF.fetch(`${INGEST}/webhooks/articles`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'cf-connecting-ip': `${prefix}::${i.toString(16)}` },
          body: '{}',
        })
        statuses.push(res.status)
        await res.arrayBuffer()
      }
      return statuses
    })
    expect(result).toEqual([401, 401, 401, 401, 401, 429, 429])
  })

  it('limits the webhook per address before the body is read or the signature checked', async () => {
    const { result } = await inOneWindow(async (ip) => {
      const statuses: number[] = []
      for (let i = 0; i < 7; i++) {
        const res = await SELF.fetch(`${INGEST}/webhooks/articles`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'cf-connecting-ip': ip },
          body: '{}',
        })
        statuses.push(res.status)
        await res.arrayBuffer()
      }
      // A signed delivery from a limited address is refused too; the sender retries after Retry-After.
      const body = JSON.stringify({ type: 'article.upsert', data: { externalId: 'limited', text: 'x' } })
      const id = nextId()
      const ts = Math.floor(Date.now() / 1000)
      const res = await SELF.fetch(`${INGEST}/webhooks/articles`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'cf-connecting-ip': ip,
          'webhook-id': id,
          'webhook-timestamp': String(ts),
          'webhook-signature': await signPayload(TEST_SECRET, id, ts, new TextEncoder().encode(body)),
        },
        body,
      })
      await res.arrayBuffer()
      return { statuses, signed: res.status, retryAfter: res.headers.get('retry-after') }
    })
    // Unsigned: 401 while under the limit, then 429 without looking at the body.
    expect(result.statuses).toEqual([401, 401, 401, 401, 401, 429, 429])
    expect(result.signed).toBe(429)
    expect(result.retryAfter).toMatch(/^\d+$/)
  })
})
