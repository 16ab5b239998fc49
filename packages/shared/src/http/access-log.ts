import type { MiddlewareHandler } from 'hono'

/**
 * One structured JSON line per request, with the request id that `hono/request-id` set (and echoed in the
 * `X-Request-Id` response header), so a client's report can be found in `wrangler tail` or Workers Logs.
 */
export function accessLog(service: string): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now()
    await next()
    const requestId: unknown = c.get('requestId' as never)
    const line = {
      level: c.res.status >= 500 ? 'error' : c.res.status >= 400 ? 'warn' : 'info',
      msg: 'request',
      service,
      requestId: typeof requestId === 'string' ? requestId : undefined,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      ms: Math.round((performance.now() - started) * 100) / 100,
    }
    console.log(JSON.stringify(line))
  }
}
