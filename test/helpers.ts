import { env, SELF } from 'cloudflare:test'
import { signPayload } from '@edgewire/shared'
import { eventually } from './eventually'

export const TEST_SECRET = 'whsec_dGVzdC1zZWNyZXQtZm9yLWVkZ2V3aXJlLXRlc3Rz'
export const INGEST = 'http://ingest.test'
export const SEARCH = 'http://search.test'

let counter = 0
/** A fresh webhook-id for each call unless one is given. */
export const nextId = () => `msg_test_${Date.now()}_${counter++}`

export interface SignOptions {
  id?: string
  secret?: string
  timestamp?: number
  contentType?: string
}

/** A signed webhook request, as a Standard Webhooks sender makes it. */
export async function signedRequest(body: string | Uint8Array, options: SignOptions = {}): Promise<Request> {
  const bytes = typeof body === 'string' ? new TextEncoder().encode(body) : body
  const id = options.id ?? nextId()
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000)
  const signature = await signPayload(options.secret ?? TEST_SECRET, id, timestamp, bytes)
  return new Request(`${INGEST}/webhooks/articles`, {
    method: 'POST',
    headers: {
      'content-type': options.contentType ?? 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signature,
    },
    body: bytes,
  })
}

/** Posts a body to the webhook through the worker's real entry point, signed as a sender would. */
export async function postSigned(body: string | Uint8Array, options: SignOptions = {}): Promise<Response> {
  return SELF.fetch(await signedRequest(body, options))
}

/** Sends one event of the contract's envelope. */
export function sendEvent(type: string, data: unknown, options: SignOptions = {}): Promise<Response> {
  return postSigned(JSON.stringify({ type, timestamp: new Date().toISOString(), data }), options)
}

export interface Hit {
  id: string
  title: string
  snippet: string
  url: string | null
  source: string | null
  lang: string
  published: string | null
}
export interface SearchBody {
  total: number
  hits: Hit[]
  facets?: Record<string, { value: string; count: number }[]>
  indexVersion: number
}

/** GET /search with the given parameters. */
export async function search(params: Record<string, string>): Promise<SearchBody> {
  const res = await SELF.fetch(`${SEARCH}/search?${new URLSearchParams(params)}`)
  if (res.status !== 200) throw new Error(`search answered ${res.status}: ${await res.text()}`)
  return res.json()
}

/** Searches until the total is what the test expects (or the time is up) and returns the last answer. */
export const searchUntil = (params: Record<string, string>, total: number) =>
  eventually(
    () => search(params),
    (r) => r.total === total,
  )

export { eventually } from './eventually'
export { env, SELF }
