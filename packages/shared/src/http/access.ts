import type { Context, Env, MiddlewareHandler } from 'hono'
import { bearerAuth } from 'hono/bearer-auth'
import { HTTPException } from 'hono/http-exception'
import { timingSafeEqual } from 'hono/utils/buffer'
import { ProblemError } from './problem'

/** The part of the Workers Rate Limiting binding (`[[ratelimits]]` in wrangler.toml) the middleware uses. */
export interface RateLimiter {
  limit(options: { key: string }): Promise<{ success: boolean }>
}

export interface RateLimitOptions<E extends Env> {
  /** The binding of this worker, or undefined where it is not configured (then nothing is limited). */
  binding: (c: Context<E>) => RateLimiter | undefined
  /** The binding's `simple.period` in seconds (10 or 60): `Retry-After` says when the window ends. */
  periodSeconds: 10 | 60
  /** Names the limiter in keys, so two limiters sharing one namespace never share counters. */
  scope: string
  /**
   * 'wait' (writes, admin): each request waits for the limiter's verdict. 'ahead' (reads without side effects):
   * a request never waits; it is counted beside the answer (see requestsPerCall), and a refusal applies to the
   * address's following requests in this isolate until the window ends. A few requests past the limit may be
   * answered: the binding's counts are per location and approximate anyway, and a search must not pay a round trip
   * to the limiter (2–3 ms locally) before it starts.
   */
  mode?: 'wait' | 'ahead'
  /**
   * 'ahead' mode only: the binding is asked on every this-many-th request of an address in one isolate, and each of
   * its units stands for that many requests (configure the binding's limit divided by it). Local limiter calls cost
   * milliseconds of the same thread; deployed ones are cheap, but still a call per request saved. Default 1.
   */
  requestsPerCall?: number
}

/** Requests per address counted in this isolate, for 'ahead' sampling: window number and count. */
const counted = new Map<string, { window: number; n: number }>()
/** Bounds that map (and the refusals below): past this many addresses, old entries go. */
const MAX_TRACKED = 10_000

/** This request's number among the address's requests in the current window, in this isolate. */
function countRequest(key: string, periodSeconds: number): number {
  const window = Math.floor(Date.now() / 1000 / periodSeconds)
  const entry = counted.get(key)
  if (entry && entry.window === window) return ++entry.n
  if (!entry && counted.size >= MAX_TRACKED) {
    for (const [k, e] of counted) if (e.window !== window) counted.delete(k)
    if (counted.size >= MAX_TRACKED) counted.clear()
  }
  counted.set(key, { window, n: 1 })
  return 1
}

/** Seconds to the end of the current fixed window (windows are aligned to the clock). */
const windowRest = (periodSeconds: number) => periodSeconds - (Math.floor(Date.now() / 1000) % periodSeconds)

/** Addresses refused in 'ahead' mode, until the end of their window (epoch ms), per isolate. */
const refusedUntil = new Map<string, number>()
function refuse(key: string, until: number): void {
  if (refusedUntil.size >= MAX_TRACKED) {
    const now = Date.now()
    for (const [k, until] of refusedUntil) if (until <= now) refusedUntil.delete(k)
    if (refusedUntil.size >= MAX_TRACKED) refusedUntil.delete(refusedUntil.keys().next().value as string)
  }
  refusedUntil.set(key, until)
}

/**
 * The part of a client address that names one client: an IPv4 address whole, an IPv6 address by its /64 (a host
 * picks its own interface id, and one subscriber usually gets a whole /64: rotating within it must not reset the
 * count). Anything else (not an address at all) is taken as it is.
 */
export function clientKey(address: string): string {
  if (!address.includes(':')) return address
  const groups = expandIpv6(address)
  return groups === null ? address : `${groups.slice(0, 4).join(':')}::/64`
}

/** The eight 16-bit groups of an IPv6 address, lower-case hex without leading zeros; null if it is not one. */
function expandIpv6(address: string): string[] | null {
  const zoneless = address.split('%')[0] ?? ''
  // An embedded IPv4 tail (::ffff:192.0.2.1) is two groups.
  const v4 = /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(zoneless)
  let text = zoneless
  if (v4) {
    const [, head = '', a, b, c, d] = v4
    const bytes = [a, b, c, d].map(Number)
    if (bytes.some((n) => n > 255)) return null
    const [b0 = 0, b1 = 0, b2 = 0, b3 = 0] = bytes
    text = `${head}${((b0 << 8) | b1).toString(16)}:${((b2 << 8) | b3).toString(16)}`
  }
  const halves = text.split('::')
  if (halves.length > 2) return null
  const parse = (part: string | undefined) => (part ? part.split(':') : [])
  const head = parse(halves[0])
  const tail = parse(halves[1])
  const missing = 8 - head.length - tail.length
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null
  const groups = [...head, ...Array.from({ length: halves.length === 2 ? missing : 0 }, () => '0'), ...tail]
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/i.test(g))) return null
  return groups.map((g) => Number.parseInt(g, 16).toString(16))
}

function limited(ip: string, retryAfter: number): ProblemError {
  return new ProblemError(429, 'rate-limited', `Too many requests from ${ip}; retry in ${retryAfter} s.`, {
    headers: { 'retry-after': String(retryAfter) },
  })
}

/** The limiter's verdict for a key; true (let through) when the limiter itself fails. */
async function ask(limiter: RateLimiter, key: string): Promise<boolean> {
  try {
    return (await limiter.limit({ key })).success
  } catch (err) {
    console.error(
      JSON.stringify({ level: 'warn', msg: 'rate limiter failed; request let through', error: String(err) }),
    )
    return true
  }
}

/**
 * Limits requests per client address (`cf-connecting-ip`, which Cloudflare's edge sets and a client cannot
 * forge). A request without it did not come through the edge (a service binding, a test calling the worker
 * directly): there is no client to attribute it to, so it is not limited. Answers 429 problem+json with
 * `Retry-After`. If the limiter itself fails, the request goes through: an outage of the limiter must not
 * become an outage of the service.
 */
export function rateLimit<E extends Env>(options: RateLimitOptions<E>): MiddlewareHandler<E> {
  return async (c, next) => {
    const limiter = options.binding(c)
    const ip = c.req.header('cf-connecting-ip')
    if (limiter && ip) {
      const key = `${options.scope}:${clientKey(ip)}`
      if (options.mode === 'ahead') {
        const until = refusedUntil.get(key)
        if (until !== undefined && until > Date.now()) throw limited(ip, Math.ceil((until - Date.now()) / 1000))
        // The binding is asked on the n-th read, not the first: an isolate that sees an address only a few times
        // never charges it a whole unit. (Counts err on the lenient side; they are approximate anyway.)
        const every = options.requestsPerCall ?? 1
        if (countRequest(key, options.periodSeconds) % every === 0) {
          // A refusal holds until the end of the window it was asked in, not the one its answer arrives in.
          const windowEnd = Date.now() + windowRest(options.periodSeconds) * 1000
          c.executionCtx.waitUntil(
            ask(limiter, key).then((allowed) => {
              if (!allowed && windowEnd > Date.now()) refuse(key, windowEnd)
            }),
          )
        }
      } else if (!(await ask(limiter, key))) {
        throw limited(ip, windowRest(options.periodSeconds))
      }
    }
    await next()
  }
}

/**
 * Charges a request that cost more than a read (a miss of `/articles/:id`) a whole unit of the binding, waiting for
 * the verdict; with the options of an 'ahead' limiter, that unit stands for `requestsPerCall` of its reads. Call it
 * once the cost is known. A refusal answers this request 429 and, as in 'ahead' mode, refuses the address's
 * following requests in this isolate until the window ends, before they do any work. Like `rateLimit`, a request
 * without `cf-connecting-ip` is not counted, and a failing limiter lets it through.
 */
export function rateLimitCharge<E extends Env>(options: RateLimitOptions<E>): (c: Context<E>) => Promise<void> {
  return async (c) => {
    const limiter = options.binding(c)
    const ip = c.req.header('cf-connecting-ip')
    if (!limiter || !ip) return
    const key = `${options.scope}:${clientKey(ip)}`
    const windowEnd = Date.now() + windowRest(options.periodSeconds) * 1000
    if (await ask(limiter, key)) return
    if (windowEnd > Date.now()) refuse(key, windowEnd)
    throw limited(ip, windowRest(options.periodSeconds))
  }
}

/**
 * Admin routes: `Authorization: Bearer <ADMIN_TOKEN>`, compared in constant time (hono/bearer-auth hashes both
 * sides and compares the digests). With no token configured every admin request is refused: an unset secret
 * must never mean "open".
 */
export function adminAuth<E extends Env>(token: (c: Context<E>) => string | undefined): MiddlewareHandler<E> {
  const guard = bearerAuth<E>({
    realm: 'edgewire-admin',
    verifyToken: async (presented, c: Context<E>) => {
      const expected = token(c)
      return expected ? timingSafeEqual(expected, presented) : false
    },
  })
  return async (c, next) => {
    let authorized = false
    try {
      // Only the check runs inside the guard, so errors of the admin handler itself are not mistaken for its own.
      await guard(c, async () => {
        authorized = true
      })
    } catch (err) {
      if (!(err instanceof HTTPException)) throw err
      const challenge = err.getResponse().headers.get('www-authenticate') ?? 'Bearer realm="edgewire-admin"'
      const status = err.status === 400 ? 400 : 401
      throw new ProblemError(
        status,
        status === 400 ? 'invalid-authorization' : 'unauthorized',
        status === 400
          ? 'The Authorization header must be "Bearer <token>".'
          : 'This route needs Authorization: Bearer <ADMIN_TOKEN>.',
        { headers: { 'www-authenticate': challenge } },
      )
    }
    if (authorized) await next()
  }
}
