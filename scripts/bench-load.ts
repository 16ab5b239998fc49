/**
 * `npm run bench:load`: load on loopback against the real workers under `wrangler dev` (workerd), with autocannon.
 * Loads corpus/ through the signed webhook, then raises the number of connections on GET /search step by step and
 * reports, for each step and for the best step without a single error, the requests per second held and the
 * latency p50 / p99; then the same for signed single-article webhooks. Writes bench-results/bench-load.json.
 *
 * Every request carries its own `cf-connecting-ip` from 198.18.0.0/15 (the range RFC 2544 sets aside for
 * benchmarks): many readers and publishers, each far under the per-address rate limit, so the limiter runs on every
 * request, as in production, without throttling the load (test/access.test.ts shows one address being limited).
 * About two minutes; BENCH_LOAD_SECONDS sets the length of each step (default 8).
 */

import { createHmac, randomUUID } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import autocannon, { type RawRequest, type Result } from 'autocannon'
import { fmt } from './lib/bench-stats'
import { readArticles } from './lib/corpus'
import { startDevServers, stopWorkersOnSignal } from './lib/dev-servers'
import { ingestArticles } from './lib/ingest-files'
import { ROOT } from './lib/local-config'

stopWorkersOnSignal()

const SECRET = 'whsec_YmVuY2gtbG9hZC1zZWNyZXQtZm9yLWVkZ2V3aXJl'
const STEP_SECONDS = Number(process.env.BENCH_LOAD_SECONDS || 8)
const SEARCH_CONNECTIONS = [1, 4, 16, 64]
const WEBHOOK_CONNECTIONS = [1, 4, 16]
/** The whole run is cut off after this, whatever happens. */
const DEADLINE_MS = 10 * 60 * 1000

const log = (line: string) => process.stderr.write(`${line}\n`)

/** The next address of 198.18.0.0/15, round robin over its 131,072 addresses. */
let addressCounter = 0
function nextAddress(): string {
  const n = addressCounter++ % 131_072
  return `198.${18 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}`
}

interface Step {
  connections: number
  requestsPerSecond: number
  requests: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  errors: number
  non2xx: number
  statusCodes: Record<string, number>
}

function summarize(connections: number, r: Result): Step {
  const statusCodes = Object.fromEntries(Object.entries(r.statusCodeStats).map(([code, s]) => [code, s.count]))
  return {
    connections,
    requestsPerSecond: Math.round(r.requests.average),
    requests: Object.values(statusCodes).reduce((a, b) => a + b, 0),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    maxMs: r.latency.max,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    statusCodes,
  }
}

const clean = (s: Step) => s.errors === 0 && s.non2xx === 0

function show(label: string, s: Step): void {
  log(
    `  ${label.padEnd(10)} ${String(s.connections).padStart(3)} conn  ${String(s.requestsPerSecond).padStart(6)} req/s  ` +
      `p50 ${fmt(s.p50Ms, 0).padStart(4)} ms  p99 ${fmt(s.p99Ms, 0).padStart(5)} ms  ` +
      `errors ${s.errors}  non-2xx ${s.non2xx}${s.non2xx ? ` ${JSON.stringify(s.statusCodes)}` : ''}`,
  )
}

/** Search words from the corpus titles, so most queries find something and some find a lot. */
function queriesFrom(articles: Record<string, unknown>[]): string[] {
  const words = new Set<string>()
  for (const a of articles) {
    for (const w of String(a.title ?? '')
      .toLowerCase()
      .match(/[a-z]{4,}/g) ?? [])
      words.add(w)
  }
  const list = [...words].slice(0, 400)
  // A reader's mix: mostly plain words and pairs, some typos with fuzzy on, some prefixes with facets.
  return list.flatMap((w, i) => {
    const pair = `${w}+${list[(i * 7) % list.length] ?? 'oil'}`
    if (i % 7 === 0) return [`/search?q=${w.slice(0, -1)}x&fuzzy=true`]
    if (i % 7 === 1) return [`/search?q=${w.slice(0, 3)}&prefix=true&facets=source,lang`]
    return [`/search?q=${w}`, `/search?q=${pair}`]
  })
}

const signer = (secret: string) => {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64')
  return (id: string, ts: number, body: string) =>
    `v1,${createHmac('sha256', key).update(`${id}.${ts}.${body}`).digest('base64')}`
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'edgewire-bench-load-'))
  const port = 29001 + Math.floor(Math.random() * 500) * 2
  const watchdog = setTimeout(() => {
    log('bench:load passed its time limit; stopping.')
    process.exit(3)
  }, DEADLINE_MS)
  log('Starting the workers under wrangler dev…')
  const servers = await startDevServers({
    ingestPort: port,
    searchPort: port + 1,
    persistTo: join(dir, 'state'),
    vars: { WEBHOOK_SECRET: SECRET, ADMIN_TOKEN: randomUUID() },
    output: 'ignore',
  })
  const report: Record<string, unknown> = { stepSeconds: STEP_SECONDS }
  try {
    const articles = await readArticles(join(ROOT, 'corpus'))
    log(`Loading ${articles.length} articles of corpus/ through the signed webhook…`)
    const summary = await ingestArticles(`${servers.ingest}/webhooks/articles`, SECRET, articles, { label: 'Seeding' })
    const accepted = articles.length - summary.rejected
    for (;;) {
      const stats = (await (await fetch(`${servers.search}/stats`)).json()) as { documents: number }
      if (stats.documents >= accepted) break
      await sleep(100)
    }
    report.documents = accepted

    const paths = queriesFrom(articles)
    log(`\nGET /search, ${paths.length} distinct queries, ${STEP_SECONDS} s per step:`)
    const searchSteps: Step[] = []
    for (const connections of SEARCH_CONNECTIONS) {
      let i = 0
      const result = await autocannon({
        url: servers.search,
        connections,
        duration: STEP_SECONDS,
        timeout: 10,
        requests: [
          {
            setupRequest: (request: RawRequest) => ({
              ...request,
              path: paths[i++ % paths.length] ?? '/search?q=oil',
              headers: { ...request.headers, 'cf-connecting-ip': nextAddress() },
            }),
          },
        ],
      })
      const step = summarize(connections, result)
      searchSteps.push(step)
      show('search', step)
    }
    const bestSearch = searchSteps.filter(clean).sort((a, b) => b.requestsPerSecond - a.requestsPerSecond)[0]
    report.search = { steps: searchSteps, heldWithoutErrors: bestSearch ?? null }

    log(`\nPOST /webhooks/articles, one signed article each, ${STEP_SECONDS} s per step:`)
    const sign = signer(SECRET)
    let n = 0
    const webhookSteps: Step[] = []
    for (const connections of WEBHOOK_CONNECTIONS) {
      const result = await autocannon({
        url: `${servers.ingest}/webhooks/articles`,
        connections,
        duration: STEP_SECONDS,
        timeout: 30,
        method: 'POST',
        requests: [
          {
            method: 'POST',
            setupRequest: (request: RawRequest) => {
              const k = n++
              const body = JSON.stringify({
                type: 'article.upsert',
                timestamp: new Date().toISOString(),
                data: {
                  externalId: `load-${k}`,
                  title: `Load test story ${k}`,
                  text: `Story ${k} of the load test. Copper, cocoa and coffee prices moved in London trading today.\n\nTraders said volumes were normal for the season.`,
                  lang: 'en',
                },
              })
              const id = `msg_load_${k}_${randomUUID()}`
              const ts = Math.floor(Date.now() / 1000)
              return {
                ...request,
                method: 'POST',
                body,
                headers: {
                  'content-type': 'application/json',
                  'webhook-id': id,
                  'webhook-timestamp': String(ts),
                  'webhook-signature': sign(id, ts, body),
                  'cf-connecting-ip': nextAddress(),
                },
              }
            },
          },
        ],
      })
      const step = summarize(connections, result)
      webhookSteps.push(step)
      show('webhook', step)
    }
    const bestWebhook = webhookSteps.filter(clean).sort((a, b) => b.requestsPerSecond - a.requestsPerSecond)[0]
    report.webhook = { steps: webhookSteps, heldWithoutErrors: bestWebhook ?? null }

    log('\nHeld with 0 errors:')
    if (bestSearch) {
      log(
        `  GET /search               ${bestSearch.requestsPerSecond} req/s, p99 ${fmt(bestSearch.p99Ms, 0)} ms (${bestSearch.connections} connections)`,
      )
    }
    if (bestWebhook) {
      log(
        `  POST /webhooks/articles   ${bestWebhook.requestsPerSecond} req/s, p99 ${fmt(bestWebhook.p99Ms, 0)} ms (${bestWebhook.connections} connections)`,
      )
    }
  } finally {
    clearTimeout(watchdog)
    await servers.stop()
    await rm(dir, { recursive: true, force: true })
  }
  await mkdir(join(ROOT, 'bench-results'), { recursive: true })
  await writeFile(join(ROOT, 'bench-results', 'bench-load.json'), JSON.stringify(report, null, 2))
  console.log(JSON.stringify(report, null, 2))
}

await main()
