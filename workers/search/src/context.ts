import type { IndexReader, SearchWriterRpc, WriterRelayRpc } from '@edgewire/shared/writer-rpc'

/** Bindings of the search worker: generated ones from wrangler.toml, with the Durable Object typed for RPC. */
export type SearchEnv = Omit<Cloudflare.SearchEnv, 'INDEX' | 'RELAY'> & {
  /** The ingest worker's IndexWriter: reads, and the admin routes' two writes. */
  INDEX: DurableObjectNamespace<SearchWriterRpc>
  /** The ingest worker's WriterRelay, one per location: how readers follow the writer (see writer-feed.ts). */
  RELAY?: DurableObjectNamespace<WriterRelayRpc>
  ADMIN_TOKEN?: string
}

export interface SearchVariables {
  requestId: string
}

export type SearchApp = { Bindings: SearchEnv; Variables: SearchVariables }

/** The one writer of the index, read-only; sharding would pick among several by article id. */
export const writerStub = (env: SearchEnv): DurableObjectStub<IndexReader> => adminWriterStub(env)

/** The writer with the admin writes too (apply, reindex): for admin.ts only. */
export const adminWriterStub = (env: SearchEnv) => env.INDEX.get(env.INDEX.idFromName('main'))
