// Entry of the test worker: exposes both apps and the writer worker's Durable Object classes inside one workerd.
export { IndexWriter, WriterRelay } from '../workers/writer/src/index'

import type { IngestEnv } from '../workers/ingest/src/context'
import ingest from '../workers/ingest/src/index'
import search from '../workers/search/src/index'

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext) {
    const host = new URL(request.url).hostname
    return host.startsWith('ingest') ? ingest.fetch(request, env, ctx) : search.fetch(request, env, ctx)
  },
  // The inbox queue and its dead-letter queue are consumed by the ingest worker.
  queue(batch: MessageBatch<unknown>, env: Env) {
    return ingest.queue(batch, env as unknown as IngestEnv)
  },
}
