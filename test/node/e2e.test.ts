import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readArticles } from '../../scripts/lib/corpus'
import { type DevServers, startDevServers, type WorkerName } from '../../scripts/lib/dev-servers'
import { ROOT } from '../../scripts/lib/local-config'
import { WebhookClient } from '../../scripts/lib/webhook-client'
import { cpuProfile, findUserWorkerd, isolateHeap } from '../../scripts/lib/workerd-probe'
import { eventually } from '../eventually'

// The real thing: the three workers under wrangler (its programmatic startWorker, as the bench runs them; the browser
// test runs the `wrangler dev` CLI), one persisted local state, the signed webhook over HTTP.
const SECRET = 'whsec_ZTJlLXRlc3Qtc2VjcmV0LWZvci1lZGdld2lyZQ=='
const BASE_PORT = 18787 + Math.floor(Math.random() * 500)

let dir: string
let servers: DevServers
const start = () =>
  startDevServers({
    ingestPort: BASE_PORT,
    searchPort: BASE_PORT + 1,
    persistTo: join(dir, 'state'),
    vars: { WEBHOOK_SECRET: SECRET, ADMIN_TOKEN: 'e2e-admin' },
    output: 'ignore',
  })

const searchFor = async (q: string) =>
  (await (await fetch(`${servers.search}/search?q=${encodeURIComponent(q)}`)).json()) as {
    total: number
    hits: { id: string; title: string; source: string | null; published: string | null }[]
  }

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edgewire-e2e-'))
  servers = await start()
})

afterAll(async () => {
  await servers?.stop()
  await rm(dir, { recursive: true, force: true })
})

describe('npm start, end to end over HTTP', () => {
  it('serves the seed article for "GSOMIA" after it arrives through the signed webhook, with its publisher and date', async () => {
    // As `npm start` sends it: the scraped text, and what the publisher's webhook carries beside it (seed-article.meta.json).
    const [seed] = await readArticles(join(ROOT, 'corpus', 'seed-article.txt'))
    expect(seed).toMatchObject({ externalId: 'seed-article', source: 'The Korea Herald', published: '2019-11-22' })
    const client = new WebhookClient(`${servers.ingest}/webhooks/articles`, SECRET)
    const sent = await client.send('article.upsert', seed)
    expect(sent.status).toBe(202)
    expect(sent.results[0]?.status).toBe('created')
    const found = await eventually(
      () => searchFor('GSOMIA'),
      (r) => r.total > 0,
    )
    expect(found.hits[0]?.title).toBe('Groundwork laid for negotiation on Tokyo’s trade curbs, GSOMIA: Kang')
    // What the search page shows beside the title (it said "Unknown source" without them), and the stored article.
    expect(found.hits[0]).toMatchObject({ source: 'The Korea Herald', published: '2019-11-22T00:00:00.000Z' })
    const res = await fetch(`${servers.search}/articles/${found.hits[0]?.id}`)
    const stored = (await res.json()) as { source?: string | null; published?: string | null }
    expect(res.status, JSON.stringify(stored).slice(0, 300)).toBe(200)
    expect(stored).toMatchObject({ source: 'The Korea Herald', published: '2019-11-22T00:00:00.000Z' })
  })

  it('answers a forged signature with 401 problem+json', async () => {
    const body = JSON.stringify({ type: 'article.upsert', data: { url: 'https://evil.example/x', text: 'forged' } })
    const forger = new WebhookClient('http://unused', 'whsec_bm90LXRoZS1yZWFsLXNlY3JldA==')
    const now = Math.floor(Date.now() / 1000)
    const res = await fetch(`${servers.ingest}/webhooks/articles`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': 'msg_forged',
        'webhook-timestamp': String(now),
        'webhook-signature': forger.signatureFor('msg_forged', now, body),
      },
      body,
    })
    expect(res.status).toBe(401)
    expect(res.headers.get('content-type')).toContain('application/problem+json')
    expect(((await res.json()) as { status: number }).status).toBe(401)
  })

  it('gives the same id to the same canonical url, tracking parameters removed', async () => {
    const client = new WebhookClient(`${servers.ingest}/webhooks/articles`, SECRET)
    const a = await client.send('article.upsert', { url: 'https://Example.com/news/1?utm_source=x&id=7', text: 'One' })
    const b = await client.send('article.upsert', { url: 'https://example.com/news/1?id=7#section', text: 'Two' })
    expect(a.results[0]?.id).toBeDefined()
    expect(b.results[0]?.id).toBe(a.results[0]?.id)
  })

  it("reports Miniflare's own sockets of the search worker: its entry without the proxy, its isolate's inspector", async () => {
    const worker = findUserWorkerd(servers, 'search')
    expect(worker.entry).not.toBe(servers.search)
    const res = await fetch(`${worker.entry}/search?q=GSOMIA`)
    expect(res.status).toBe(200)
    expect(((await res.json()) as { total: number }).total).toBe(1)
    expect(worker.inspector).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/core:user:edgewire-search$/)
    const heap = await isolateHeap(worker.inspector, () =>
      fetch(`${worker.entry}/healthz`).then((r) => r.arrayBuffer()),
    )
    // A live isolate: megabytes of code and objects, and no more after a full collection than before it.
    expect(heap.afterGc.usedSize).toBeGreaterThan(1_000_000)
    expect(heap.afterGc.usedSize).toBeLessThanOrEqual(heap.beforeGc.usedSize)
  })

  it('keeps what it stored across a restart', async () => {
    await servers.stop()
    servers = await start()
    const found = await eventually(
      () => searchFor('GSOMIA'),
      (r) => r.total > 0,
    )
    expect(found.total).toBe(1)
  })

  /** One isolate's CPU profile while 20 new articles come through the signed webhook (a sample every 200 µs). */
  const profileWhileIngesting = async (which: WorkerName, site: string) => {
    const worker = findUserWorkerd(servers, which)
    const poke = () => fetch(`${worker.entry}/healthz`).then((r) => r.arrayBuffer())
    const profile = await cpuProfile(worker.inspector, poke, 200)
    const client = new WebhookClient(`${servers.ingest}/webhooks/articles`, SECRET)
    const [seed] = await readArticles(join(ROOT, 'corpus', 'seed-article.txt'))
    for (let i = 0; i < 20; i++) {
      expect((await client.send('article.upsert', { ...seed, url: `https://${site}/${i}` })).status).toBe(202)
    }
    return profile.stop(200)
  }

  it("profiles the ingest isolate's CPU through its inspector: a webhook's time goes to normalizing the article", async () => {
    const cpu = await profileWhileIngesting('ingest', 'profile.example')
    expect(cpu.busyMs).toBeGreaterThan(0)
    expect(cpu.busyMs).toBeLessThanOrEqual(cpu.profiledMs)
    const normalizing = cpu.total.find((f) => f.fn.startsWith('normalizeArticle '))
    expect(normalizing?.ms).toBeGreaterThan(0)
    expect(normalizing?.ms).toBeLessThanOrEqual(cpu.busyMs)
    // The index writers are Durable Objects of the writer worker: what they do to apply a delivery is not here.
    expect(cpu.total.filter((f) => /^#apply(New|Upsert) /.test(f.fn))).toEqual([])
  })

  it('runs the index writers in a worker of their own, which answers nothing but its health check', async () => {
    const writer = findUserWorkerd(servers, 'writer')
    expect(writer.inspector).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/core:user:edgewire-writer$/)
    expect((await fetch(`${servers.writer}/healthz`)).status).toBe(200)
    const stray = await fetch(`${servers.writer}/webhooks/articles`, { method: 'POST', body: '{}' })
    expect(stray.status).toBe(404)
    expect(stray.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    // The writer isolate applies what the ingest worker sends it (through its binding), and normalizes nothing.
    const cpu = await profileWhileIngesting('writer', 'writer.example')
    expect(cpu.total.find((f) => f.fn.startsWith('#applyNew '))?.ms).toBeGreaterThan(0)
    expect(cpu.total.filter((f) => f.fn.startsWith('normalizeArticle '))).toEqual([])
  })
})
