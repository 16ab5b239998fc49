import type { IndexWriter } from './index-writer'

/** Bindings of the ingest worker: generated ones from wrangler.toml, plus secrets and the writer typed for RPC. */
export type IngestEnv = Omit<Cloudflare.IngestEnv, 'INDEX'> & {
  INDEX: DurableObjectNamespace<IndexWriter>
  /** `whsec_<base64>`; several separated by spaces while rotating keys. */
  WEBHOOK_SECRET?: string
  ADMIN_TOKEN?: string
}

export interface IngestVariables {
  requestId: string
}

export type IngestApp = { Bindings: IngestEnv; Variables: IngestVariables }

/** The one writer of the index (see index-writer.ts). */
export const writerStub = (env: IngestEnv) => env.INDEX.get(env.INDEX.idFromName('main'))
