import { ProblemError } from '@edgewire/shared'

/** The body's length as declared by `content-length`, refused (413) over `limit` before anything is read; null if absent. */
export function declaredLength(request: Request, limit: number): number | null {
  const header = request.headers.get('content-length')
  if (header === null) return null
  const declared = Number(header)
  if (!Number.isSafeInteger(declared) || declared < 0) {
    throw new ProblemError(400, 'invalid-content-length', 'Content-Length is not a length.')
  }
  if (declared > limit) throw tooLarge(limit)
  return declared
}

/**
 * A request body read once into one buffer that starts with `reserve` free bytes (where the signature's prefix goes,
 * so the signed content needs no second copy). `signed` is the whole buffer, `body` the bytes after the reserve.
 */
export interface HeldBody {
  signed: Uint8Array
  body: Uint8Array
}

/**
 * Reads a request body, refusing (413) as soon as it passes `limit`, whatever Content-Length says. With a declared
 * length the bytes go straight into a buffer of that size, each chunk copied in and let go: the body is held once.
 * Without one (a chunked upload), the chunks are joined once at the end.
 */
export async function readBodyLimited(
  request: Request,
  limit: number,
  declared: number | null,
  reserve = 0,
): Promise<HeldBody> {
  const reader = request.body?.getReader()
  if (!reader) return hold(new Uint8Array(reserve), reserve)
  if (declared !== null) {
    const signed = new Uint8Array(reserve + declared)
    let at = reserve
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      if (at + value.byteLength > signed.length) {
        await reader.cancel()
        throw new ProblemError(400, 'body-longer-than-declared', 'The body is longer than its Content-Length.')
      }
      signed.set(value, at)
      at += value.byteLength
    }
    if (at !== signed.length) {
      throw new ProblemError(400, 'body-shorter-than-declared', 'The body is shorter than its Content-Length.')
    }
    return hold(signed, reserve)
  }
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > limit) {
      await reader.cancel()
      throw tooLarge(limit)
    }
    chunks.push(value)
  }
  const signed = new Uint8Array(reserve + size)
  let at = reserve
  for (const chunk of chunks.splice(0)) {
    signed.set(chunk, at)
    at += chunk.byteLength
  }
  return hold(signed, reserve)
}

function hold(signed: Uint8Array, reserve: number): HeldBody {
  return { signed, body: signed.subarray(reserve) }
}

/**
 * Body bytes one isolate holds at once, for deliveries being read, parsed and applied. A delivery costs about twice
 * its body at its peak (the bytes and the decoded text, then the text and the parsed JSON: the webhook lets the bytes
 * go before the parse), so one 32 MiB delivery at a time, with the language detector's 12 MB (normalize/lang.ts),
 * keeps an isolate under its 128 MB (`npm run bench:hostile` measures it); smaller ones share the budget. The rest
 * wait, before reading their body, their bytes still in the network.
 */
export const MAX_BODY_BYTES_IN_FLIGHT = 32 * 1024 * 1024
/** Longest wait for that budget; past it the sender is told to retry (503). */
export const MAX_BODY_WAIT_MS = 30_000
const BODY_WAIT_STEP_MS = 20

let bytesInFlight = 0
let peakBytesInFlight = 0

/** The most body bytes this isolate has held at once (the memory test reads it). */
export function bodyBytesPeak(): number {
  return peakBytesInFlight
}

/**
 * Runs `work` once `bytes` fit the isolate's body budget (a delivery alone always fits). Polls rather than queueing
 * promises: a promise made in one request and resolved from another is not something Workers allow.
 */
export async function withBodyBudget<T>(bytes: number, work: () => Promise<T>): Promise<T> {
  const started = Date.now()
  while (bytesInFlight > 0 && bytesInFlight + bytes > MAX_BODY_BYTES_IN_FLIGHT) {
    if (Date.now() - started > MAX_BODY_WAIT_MS) {
      throw new ProblemError(503, 'busy', 'Too many large deliveries at once; nothing was stored. Retry.', {
        headers: { 'retry-after': '5' },
      })
    }
    await new Promise((resolve) => setTimeout(resolve, BODY_WAIT_STEP_MS))
  }
  bytesInFlight += bytes
  peakBytesInFlight = Math.max(peakBytesInFlight, bytesInFlight)
  try {
    return await work()
  } finally {
    bytesInFlight -= bytes
  }
}

function tooLarge(limit: number): ProblemError {
  return new ProblemError(413, 'body-too-large', `The body is larger than ${limit} bytes (${limit / 1024 / 1024} MiB).`)
}

/** Decodes UTF-8 strictly: invalid bytes are a 400, never silently replaced. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes)
  } catch {
    throw new ProblemError(400, 'invalid-utf8', 'The body is not valid UTF-8.')
  }
}

/**
 * Parses JSON, answering 400 with the parser's position on failure; refuses nesting deeper than `maxDepth`. Strings
 * holding lone surrogates (`"\ud800"` is valid JSON but no Unicode text) get U+FFFD in their place, as a lenient
 * decoder would: what is hashed, stored and indexed is then always well-formed.
 */
export function parseJson(text: string, maxDepth = 64): unknown {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new ProblemError(
      400,
      'malformed-json',
      `The body is not valid JSON: ${err instanceof Error ? err.message : ''}`,
    )
  }
  return inspect(value, maxDepth)
}

const LONE_SURROGATE = /[\uD800-\uDFFF]/

function wellFormed(value: string): string {
  return LONE_SURROGATE.test(value) ? value.toWellFormed() : value
}

/** Checks the depth and mends strings in one walk; iterative, so a 100,000-level document cannot overflow the stack. */
function inspect(root: unknown, maxDepth: number): unknown {
  if (typeof root === 'string') return wellFormed(root)
  const stack: [object, number][] = []
  if (root !== null && typeof root === 'object') stack.push([root, 1])
  while (stack.length > 0) {
    const item = stack.pop()
    if (!item) break
    const [node, depth] = item
    if (depth > maxDepth) {
      throw new ProblemError(400, 'too-deep', `The JSON is nested deeper than ${maxDepth} levels.`)
    }
    const record = node as Record<string, unknown>
    for (const key of Object.keys(record)) {
      const child = record[key]
      if (typeof child === 'string') {
        if (LONE_SURROGATE.test(child)) record[key] = child.toWellFormed()
      } else if (child !== null && typeof child === 'object') {
        stack.push([child, depth + 1])
      }
    }
  }
  return root
}
