import { writerName } from '@edgewire/shared/shards'
import type { IndexWriterRpc, WriterRelayRpc } from '@edgewire/shared/writer-rpc'

/** Bindings of the writer worker: generated ones from wrangler.toml, with its own Durable Objects typed for RPC. */
export type WriterEnv = Omit<Cloudflare.WriterEnv, 'INDEX' | 'RELAY'> & {
  /** The IndexWriter Durable Objects (index-writer.ts), one per shard (packages/shared/src/shards.ts). */
  INDEX: DurableObjectNamespace<IndexWriterRpc>
  /** The writers' relays (writer-relay.ts), one per search location and shard; the search worker calls them. */
  RELAY: DurableObjectNamespace<WriterRelayRpc>
}

/** The writer of one shard of the index (see index-writer.ts); shard 0 is the writer named 'main'. */
export const writerStub = (env: WriterEnv, shard: number) => env.INDEX.get(env.INDEX.idFromName(writerName(shard)))
