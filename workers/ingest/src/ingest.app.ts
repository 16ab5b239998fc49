import { accessLog, adminAuth, methodNotAllowed, onNotFound, onProblem, rateLimit } from '@edgewire/shared'
import { Hono } from 'hono'
import { requestId } from 'hono/request-id'
import { admin } from './admin'
import type { IngestApp } from './context'
import { handleWebhook } from './webhook'

/** The ingest worker: the webhook that takes articles in, admin routes, a health check. No CORS: no page calls it. */
export const app = new Hono<IngestApp>()

app.use(requestId())
app.use(accessLog('ingest'))
app.onError(onProblem)
app.notFound(onNotFound)

app.get('/healthz', (c) => c.json({ ok: true }))

// Before the body is read or the signature checked: a flood costs one counter lookup per request.
const limit = rateLimit<IngestApp>({ binding: (c) => c.env.INGEST_RATE_LIMIT, periodSeconds: 60, scope: 'ingest' })
app.use('/webhooks/*', limit)
app.post('/webhooks/articles', handleWebhook)
app.all('/webhooks/articles', () => methodNotAllowed(['POST']))

app.use(
  '/admin/*',
  limit,
  adminAuth<IngestApp>((c) => c.env.ADMIN_TOKEN),
)
app.route('/admin', admin)
