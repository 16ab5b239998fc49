/**
 * `npm start`: the three workers under `wrangler dev` over one local state in .wrangler/state, then corpus/ loaded
 * through the real signed webhook. SEED=0 starts empty; INGEST_PORT / SEARCH_PORT / WRITER_PORT move the ports;
 * WEBHOOK_SECRET / ADMIN_TOKEN override the local defaults. Stays up until Ctrl-C.
 */
import { join } from 'node:path'
import { readArticles } from './lib/corpus'
import { killAllDevServers, startDevServers } from './lib/dev-servers'
import { ingestArticles } from './lib/ingest-files'
import { localSecrets, ROOT } from './lib/local-config'

const ingestPort = Number(process.env.INGEST_PORT || 8787)
const searchPort = Number(process.env.SEARCH_PORT || 8788)
const writerPort = Number(process.env.WRITER_PORT || 8789)
const seed = process.env.SEED !== '0'
const secrets = localSecrets()

// Until the servers are up, Ctrl-C must still stop the wrangler processes already started.
const early = () => {
  killAllDevServers()
  process.exit(130)
}
process.once('SIGINT', early)
process.once('SIGTERM', early)

console.log('Starting Edgewire (wrangler dev, local state in .wrangler/state)…')
const servers = await startDevServers({
  ingestPort,
  searchPort,
  writerPort,
  persistTo: join(ROOT, '.wrangler', 'state'),
  // KV_PROPAGATION_MS=N: the search worker reads KV as a location N ms from the writer would (README).
  vars: { ...secrets, ...(process.env.KV_PROPAGATION_MS ? { KV_PROPAGATION_MS: process.env.KV_PROPAGATION_MS } : {}) },
  via: 'wrangler dev',
})

let stopping = false
const shutdown = async () => {
  if (stopping) return
  stopping = true
  console.log('\nStopping…')
  await servers.stop()
  process.exit(0)
}
process.off('SIGINT', early)
process.off('SIGTERM', early)
process.on('SIGINT', shutdown)
process.on('SIGTERM', shutdown)

if (seed) {
  const articles = await readArticles(join(ROOT, 'corpus'))
  const summary = await ingestArticles(`${servers.ingest}/webhooks/articles`, secrets.WEBHOOK_SECRET, articles, {
    label: 'Seeding corpus/',
  })
  console.log(
    `Seeded ${articles.length} articles: ${summary.created} created, ${summary.updated} updated, ${summary.unchanged} unchanged, ${summary.queued} queued, ${summary.rejected} rejected.`,
  )
}

console.log(`
  Ingest  ${servers.ingest}   POST /webhooks/articles (signed, Standard Webhooks)
  Search  ${servers.search}   the search page, /search?q=GSOMIA, /stats, /openapi.json
  Writer  ${servers.writer}   the index's Durable Objects (the other two call them)

Ctrl-C stops all three.`)
