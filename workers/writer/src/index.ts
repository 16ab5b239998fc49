import { accessLog, onNotFound, onProblem } from '@edgewire/shared/http'
import { Hono } from 'hono'
import type { WriterEnv } from './context'

export { IndexWriter } from './index-writer'
export { WriterRelay } from './writer-relay'

/**
 * The writer worker hosts the index's Durable Objects and nothing else: the ingest worker applies deliveries to them
 * and the search worker follows them, both through bindings with `script_name = "edgewire-writer"`. It is a script of
 * its own so that the writers' isolates hold the index alone, not the webhook's parsers and language data too, and
 * so that locally (where workerd runs a process's isolates on one thread) normalizing and indexing run side by side.
 * Its only route is the health check that local runs wait for.
 */
const app = new Hono<{ Bindings: WriterEnv }>()
app.use(accessLog('writer'))
app.onError(onProblem)
app.notFound(onNotFound)
app.get('/healthz', (c) => c.json({ ok: true }, 200))

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<WriterEnv>
