/**
 * `npm run bench:readers`: does the writer's load grow with the number of search isolates? Runs the ingest worker
 * and 16 search worker processes over one local state (the isolates of one location: one KV, one Cache API), loads
 * corpus/reuters21578-2000.jsonl, then for 1, 4 and 16 isolates searches each one continuously while a steady feed
 * (20 upserts a second) runs, and prints the writer's calls from readers per second (GET /admin/writer), by method.
 * Needs only the project (no ../shared). Takes about three minutes.
 */

import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { BENCH_SECRET, benchVars, writerStats } from './lib/bench-servers'
import { fmt, quantile, titleQueries } from './lib/bench-stats'
import { startDevServers, stopWorkersOnSignal } from './lib/dev-servers'
import { HttpTimer } from './lib/http-timer'
import { ROOT } from './lib/local-config'
import { WebhookClient } from './lib/webhook-client'

stopWorkersOnSignal()

const ISOLATES = [1, 4, 16]
const SECONDS = Number(process.env.BENCH_PHASE_SECONDS ?? 20)
const PROPAGATION_MS = Number(process.env.KV_PROPAGATION_MS ?? 0)

interface CorpusDoc {
  externalId: string
  title: string
  text: string
}
const docs = (await readFile(join(ROOT, 'corpus', 'reuters21578-2000.jsonl'), 'utf8'))
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as CorpusDoc)
const queries = titleQueries(docs, 300)

const dir = await mkdtemp(join(tmpdir(), 'edgewire-readers-'))
const PORT = 29001 + Math.floor(Math.random() * 500) * 2
const log = (line: string) => process.stderr.write(`${line}\n`)
log(`Starting the ingest worker and ${Math.max(...ISOLATES)} search processes…`)
const servers = await startDevServers({
  ingestPort: PORT,
  searchPort: PORT + 1,
  persistTo: join(dir, 'state'),
  vars: benchVars(PROPAGATION_MS),
  output: 'ignore',
  searchProcesses: Math.max(...ISOLATES),
})
const rows: { isolates: number; perSecond: Record<string, number>; total: number; searches: number; p50: number }[] = []
try {
  const client = new WebhookClient(`${servers.ingest}/webhooks/articles`, BENCH_SECRET)
  for (let i = 0; i < docs.length; i += 1000) {
    const res = await client.send('article.batch', { articles: docs.slice(i, i + 1000) })
    if (res.status !== 202) throw new Error(`batch answered ${res.status}`)
  }
  const searchSockets = [servers.sockets?.search, ...servers.moreSearch].flatMap((s) => (s ? [s.entry] : []))
  const readerCalls = async () => (await writerStats(servers)).readerCalls
  // Every isolate loads cold first, outside the timed phases.
  for (const entry of searchSockets) await fetch(`${entry}/search?q=oil`).then((r) => r.arrayBuffer())
  for (const isolates of ISOLATES) {
    const until = performance.now() + SECONDS * 1000
    const before = await readerCalls()
    const started = performance.now()
    const times: number[] = []
    const searchLoop = async (entry: string, offset: number) => {
      const timer = new HttpTimer(entry)
      try {
        for (let i = offset; performance.now() < until; i++) {
          times.push(await timer.time(`/search?q=${encodeURIComponent(queries[i % queries.length] ?? 'oil')}`))
          await sleep(50)
        }
      } finally {
        timer.close()
      }
    }
    const feed = async () => {
      for (let i = 0; performance.now() < until; i++) {
        const doc = docs[i % docs.length] ?? docs[0]
        if (doc) await client.send('article.upsert', { ...doc, text: `${doc.text}\n\nUpdate ${isolates}-${i}.` })
        await sleep(50)
      }
    }
    await Promise.all([feed(), ...searchSockets.slice(0, isolates).map((entry, i) => searchLoop(entry, i * 17))])
    const seconds = (performance.now() - started) / 1000
    const after = await readerCalls()
    const perSecond = Object.fromEntries(
      Object.entries(after).map(([method, n]) => [method, (n - (before[method] ?? 0)) / seconds]),
    )
    const total = Object.values(perSecond).reduce((n, c) => n + c, 0)
    rows.push({ isolates, perSecond, total, searches: times.length, p50: quantile(times, 0.5) })
    log(`  ${isolates} isolates: ${fmt(total, 1)} writer calls/s from readers, ${times.length} searches`)
  }
} finally {
  await servers.stop()
  await rm(dir, { recursive: true, force: true })
}

console.log(
  `\nwriter calls per second from readers, during searches and a feed of 20 upserts/s (KV_PROPAGATION_MS=${PROPAGATION_MS})`,
)
console.log(`${'isolates'.padEnd(9)} ${'all'.padStart(6)}  by method${' '.repeat(40)}searches  p50 ms`)
for (const r of rows) {
  const methods = Object.entries(r.perSecond)
    .filter(([, n]) => n > 0)
    .map(([m, n]) => `${m} ${fmt(n, 1)}`)
    .join(', ')
  console.log(
    `${String(r.isolates).padEnd(9)} ${fmt(r.total, 1).padStart(6)}  ${methods.padEnd(49)} ${String(r.searches).padStart(8)}  ${fmt(r.p50, 2)}`,
  )
}
console.log(JSON.stringify({ kvPropagationMs: PROPAGATION_MS, readers: rows }))
