// Entry of the test worker: exposes both apps and the Durable Object classes inside one workerd.
export { IndexWriter } from '../workers/ingest/src/index'

import ingest from '../workers/ingest/src/index'
import search from '../workers/search/src/index'

export default {
  fetch(request: Request, env: Env, ctx: ExecutionContext) {
    const host = new URL(request.url).hostname
    return host.startsWith('ingest') ? ingest.fetch(request, env, ctx) : search.fetch(request, env, ctx)
  },
}
