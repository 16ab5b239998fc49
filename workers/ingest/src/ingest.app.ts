import { methodNotAllowed, onNotFound, onProblem } from '@edgewire/shared'
import { Hono } from 'hono'
import { requestId } from 'hono/request-id'
import type { IngestApp } from './context'
import { handleWebhook } from './webhook'

/** The ingest worker: one webhook that takes articles in, plus a health check. */
export const app = new Hono<IngestApp>()

app.use(requestId())
app.onError(onProblem)
app.notFound(onNotFound)

app.get('/healthz', (c) => c.json({ ok: true }))
app.post('/webhooks/articles', handleWebhook)
app.all('/webhooks/articles', () => methodNotAllowed(['POST']))
