import { accessLog, adminAuth, methodNotAllowed, onNotFound, onProblem, rateLimit } from '@edgewire/shared'
import { healthRoute, onInvalidRequest, webhookRoute } from '@edgewire/shared/api-routes'
import { OpenAPIHono } from '@hono/zod-openapi'
import { requestId } from 'hono/request-id'
import { admin } from './admin'
import type { IngestApp } from './context'
import { handleWebhook } from './webhook'

/**
 * The ingest worker: the webhook that takes articles in, admin routes, a health check. No CORS: no page calls it.
 * Routes are served from their declarations in @edgewire/shared/api-routes, which the search worker's /openapi.json
 * documents.
 */
export const app = new OpenAPIHono<IngestApp>({ defaultHook: onInvalidRequest })

app.use(requestId())
app.use(accessLog('ingest'))
app.onError(onProblem)
app.notFound(onNotFound)

app.openapi(healthRoute, (c) => c.json({ ok: true }, 200))

// Before the body is read or the signature checked: a flood costs one counter lookup per request.
const limit = rateLimit<IngestApp>({ binding: (c) => c.env.INGEST_RATE_LIMIT, periodSeconds: 60, scope: 'ingest' })
app.use('/webhooks/*', limit)
// The route declares no zod body: handleWebhook reads the raw bytes itself, since the signature covers them.
app.openapi(webhookRoute, handleWebhook)
app.all('/webhooks/articles', () => methodNotAllowed(['POST']))

app.use(
  '/admin/*',
  limit,
  adminAuth<IngestApp>((c) => c.env.ADMIN_TOKEN),
)
app.route('/', admin)
