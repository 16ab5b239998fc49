import { writerName } from '@edgewire/shared/shards'
import type { IndexReader, SearchWriterRpc, WriterRelayRpc } from '@edgewire/shared/writer-rpc'

/** Bindings of the search worker: generated ones from wrangler.toml, with the Durable Object typed for RPC. */
export type SearchEnv = Omit<Cloudflare.SearchEnv, 'INDEX' | 'RELAY'> & {
  /** The writer worker's IndexWriters, one per shard (shards.ts): reads, and the admin routes' two writes. */
  INDEX: DurableObjectNamespace<SearchWriterRpc>
  /** The writer worker's WriterRelay, one per location and shard: how readers follow the writers (see writer-feed.ts). */
  RELAY?: DurableObjectNamespace<WriterRelayRpc>
  ADMIN_TOKEN?: string
}

export interface SearchVariables {
  requestId: string
}

export type SearchApp = { Bindings: SearchEnv; Variables: SearchVariables }

/** The writer of one shard of the index, read-only (shard 0 is the writer named 'main'). */
export const writerStub = (env: SearchEnv, shard: number): DurableObjectStub<IndexReader> => adminWriterStub(env, shard)

/** A shard's writer with the admin writes too (apply, reindex): for admin.ts only. */
export const adminWriterStub = (env: SearchEnv, shard: number) => env.INDEX.get(env.INDEX.idFromName(writerName(shard)))
