import type { IngestEnv } from './context'
import { app } from './ingest.app'
import { handleQueue } from './queue-consumer'

export default {
  fetch: app.fetch,
  queue: handleQueue,
} satisfies ExportedHandler<IngestEnv>
