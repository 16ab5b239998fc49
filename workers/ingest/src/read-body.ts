import { joinParts, ProblemError } from '@edgewire/shared'

/** Reads a request body as bytes, refusing (413) as soon as it passes `limit`, whatever Content-Length says. */
export async function readBodyLimited(request: Request, limit: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN)
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit)
  if (!request.body) return new Uint8Array(0)
  const reader = request.body.getReader()
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
  return joinParts(chunks)
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
