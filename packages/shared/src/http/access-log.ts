import type { MiddlewareHandler } from 'hono'

/**
 * One structured JSON line per request, with the request id that `hono/request-id` set (and echoed in the
 * `X-Request-Id` response header), so a client's report can be found in `wrangler tail` or Workers Logs.
 */
const LEVELS = { debug: 0, info: 1, warn: 2, error: 3 } as const
type Level = keyof typeof LEVELS

/** The `LOG_LEVEL` binding as a level; anything else is `info`. */
function threshold(value: unknown): number {
  return typeof value === 'string' && value in LEVELS ? LEVELS[value as Level] : LEVELS.info
}

export function accessLog(service: string): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now()
    await next()
    const level: Level = c.res.status >= 500 ? 'error' : c.res.status >= 400 ? 'warn' : 'info'
    // `LOG_LEVEL=warn` keeps only failures: a log line costs about a millisecond under wrangler dev.
    if (LEVELS[level] < threshold((c.env as { LOG_LEVEL?: unknown } | undefined)?.LOG_LEVEL)) return
    const requestId: unknown = c.get('requestId' as never)
    const line = {
      level,
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
