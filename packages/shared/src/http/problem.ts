import type { Context, ErrorHandler, NotFoundHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'

/** One field at fault, named by a JSON Pointer (RFC 6901) into the request. */
export interface FieldError {
  pointer: string
  detail: string
}

/** RFC 9457 problem details: the one error shape of every Edgewire endpoint. */
export interface Problem {
  type: string
  title: string
  status: number
  detail: string
  instance?: string
  requestId?: string
  errors?: FieldError[]
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
}

/** Problem `type` URIs are stable identifiers documented in README (no network lookup needed). */
export const problemType = (slug: string) => `https://edgewire.dev/problems/${slug}`

/** Thrown by handlers; the app's error handler turns it into a problem+json response. */
export class ProblemError extends HTTPException {
  readonly slug: string
  readonly errors: FieldError[] | undefined
  readonly headers: Record<string, string>

  constructor(
    status: ContentfulStatusCode,
    slug: string,
    detail: string,
    options: { errors?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(status, { message: detail })
    this.slug = slug
    this.errors = options.errors
    this.headers = options.headers ?? {}
  }
}

/** Builds the problem+json response for a status, with optional field errors and headers. */
export function problemResponse(problem: Problem, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: { 'content-type': 'application/problem+json; charset=utf-8', ...headers },
  })
}

function requestIdOf(c: Context): string | undefined {
  const id: unknown = c.get('requestId' as never)
  return typeof id === 'string' ? id : undefined
}

/** Hono `onError`: known problems are answered as they are; anything else is logged and answered 500 without detail. */
export const onProblem: ErrorHandler = (err, c) => {
  const requestId = requestIdOf(c)
  const instance = new URL(c.req.url).pathname
  if (err instanceof ProblemError) {
    return problemResponse(
      {
        type: problemType(err.slug),
        title: TITLES[err.status] ?? 'Error',
        status: err.status,
        detail: err.message,
        instance,
        ...(requestId ? { requestId } : {}),
        ...(err.errors ? { errors: err.errors } : {}),
      },
      err.headers,
    )
  }
  if (err instanceof HTTPException) {
    return problemResponse({
      type: problemType(slugFor(err.status)),
      title: TITLES[err.status] ?? 'Error',
      status: err.status,
      detail: err.message || TITLES[err.status] || 'Error',
      instance,
      ...(requestId ? { requestId } : {}),
    })
  }
  console.error(
    JSON.stringify({
      level: 'error',
      msg: 'unhandled error',
      requestId,
      path: instance,
      error: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err),
    }),
  )
  return problemResponse({
    type: problemType('internal'),
    title: TITLES[500] ?? 'Error',
    status: 500,
    detail: 'The server failed to handle this request. It has been logged.',
    instance,
    ...(requestId ? { requestId } : {}),
  })
}

function slugFor(status: number): string {
  return (TITLES[status] ?? 'error').toLowerCase().replaceAll(' ', '-')
}

/** Hono `notFound`: 404 problem+json. */
export const onNotFound: NotFoundHandler = (c) =>
  problemResponse({
    type: problemType('not-found'),
    title: 'Not Found',
    status: 404,
    detail: `No route for ${c.req.method} ${new URL(c.req.url).pathname}`,
    instance: new URL(c.req.url).pathname,
  })

/** Answers 405 for a known path with a method it does not serve. */
export function methodNotAllowed(allowed: string[]): never {
  throw new ProblemError(405, 'method-not-allowed', `Allowed methods: ${allowed.join(', ')}`, {
    headers: { allow: allowed.join(', ') },
  })
}
