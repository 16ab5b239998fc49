import type { IndexWriter } from '../../ingest/src/index-writer'

/** Bindings of the search worker: generated ones from wrangler.toml, with the Durable Object typed for RPC. */
export type SearchEnv = Omit<Cloudflare.SearchEnv, 'INDEX'> & {
  INDEX: DurableObjectNamespace<IndexWriter>
  ADMIN_TOKEN?: string
}

export interface SearchVariables {
  requestId: string
}

export type SearchApp = { Bindings: SearchEnv; Variables: SearchVariables }

/** The one writer of the index; sharding would pick among several by article id. */
export const writerStub = (env: SearchEnv) => env.INDEX.get(env.INDEX.idFromName('main'))
