import { ProblemError } from '@edgewire/shared'

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
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return bytes
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

/** Parses JSON, answering 400 with the parser's position on failure; refuses nesting deeper than `maxDepth`. */
export function parseJson(text: string, maxDepth = 64): unknown {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (err) {
    throw new ProblemError(400, 'malformed-json', `The body is not valid JSON: ${(err as Error).message}`)
  }
  if (depthOf(value, maxDepth) > maxDepth) {
    throw new ProblemError(400, 'too-deep', `The JSON is nested deeper than ${maxDepth} levels.`)
  }
  return value
}

function depthOf(value: unknown, cap: number): number {
  // Iterative, so a hostile 100,000-level document cannot overflow the stack here.
  let max = 0
  const stack: [unknown, number][] = [[value, 1]]
  while (stack.length > 0) {
    const item = stack.pop()
    if (!item) break
    const [node, depth] = item
    if (node === null || typeof node !== 'object') continue
    if (depth > max) max = depth
    if (max > cap) return max
    for (const child of Object.values(node)) stack.push([child, depth + 1])
  }
  return max
}
