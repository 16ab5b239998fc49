import { writerName } from '@edgewire/shared/shards'
import type { IndexWriterRpc } from '@edgewire/shared/writer-rpc'
import type { InboxMessage } from './inbox'

/** Bindings of the ingest worker: generated ones from wrangler.toml, plus secrets and the writer typed for RPC. */
export type IngestEnv = Omit<Cloudflare.IngestEnv, 'INDEX' | 'INGEST_QUEUE' | 'INGEST_RATE_LIMIT'> & {
  /** The writer worker's IndexWriters (workers/writer/src/index-writer.ts), one per shard (shards.ts), for RPC. */
  INDEX: DurableObjectNamespace<IndexWriterRpc>
  /** Carries staged deliveries to the consumer (queue-consumer.ts); see inbox.ts. */
  INGEST_QUEUE: Queue<InboxMessage>
  /** Per-address limit on every route; optional so a deployment without it still runs. */
  INGEST_RATE_LIMIT?: RateLimit
  /** `whsec_<base64>`; several separated by spaces while rotating keys. */
  WEBHOOK_SECRET?: string
  ADMIN_TOKEN?: string
  /** CPU time one article may take to normalize, in ms (normalize-op.ts); unset: DEFAULT_NORMALIZE_BUDGET_MS. */
  NORMALIZE_BUDGET_MS?: string
}

export interface IngestVariables {
  requestId: string
}

export type IngestApp = { Bindings: IngestEnv; Variables: IngestVariables }

/** The writer of one shard of the index (see index-writer.ts and shards.ts); shard 0 is the writer named 'main'. */
export const writerStub = (env: IngestEnv, shard: number) => env.INDEX.get(env.INDEX.idFromName(writerName(shard)))
