/**
 * Standard Webhooks signature verification (https://www.standardwebhooks.com/), over the raw body bytes.
 *
 * WebCrypto rather than the `standardwebhooks` package on the receiving side: the package signs a decoded
 * string, so a body with invalid UTF-8 could not be checked as sent, and its pure-JS SHA-256 is slow on
 * 32 MiB bodies. `crypto.subtle.verify` compares in constant time. The package stays our reference: the
 * tests check this verifier against it, and our tools sign with it.
 */

/** Seconds a `webhook-timestamp` may differ from now, either way. */
export const DEFAULT_TOLERANCE_SECONDS = 5 * 60
/** At most this many signatures in one header are tried (key rotation needs two or three). */
export const MAX_SIGNATURES = 8
const SECRET_PREFIX = 'whsec_'

export type SignatureFailure =
  | 'missing-headers'
  | 'invalid-timestamp'
  | 'timestamp-too-old'
  | 'timestamp-too-new'
  | 'no-matching-signature'

export type SignatureCheck = { ok: true; id: string; timestamp: number } | { ok: false; reason: SignatureFailure }

export interface SignedHeaders {
  id: string | null | undefined
  timestamp: string | null | undefined
  signature: string | null | undefined
}

function decodeBase64(value: string): Uint8Array | null {
  try {
    const binary = atob(value)
    const bytes = new Uint8Array(binary.length)
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
    return bytes
  } catch {
    return null
  }
}

/** Decodes a `whsec_<base64>` secret (the prefix is optional) to key bytes; throws on an empty or malformed secret. */
function decodeSecret(secret: string): Uint8Array {
  const raw = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret
  const bytes = decodeBase64(raw)
  if (!bytes || bytes.length === 0) throw new Error('webhook secret must be whsec_ followed by base64')
  return bytes
}

/** Imports one or more secrets (space- or comma-separated, for rotation) as HMAC-SHA256 keys. */
export async function importSecrets(secrets: string): Promise<CryptoKey[]> {
  const list = secrets.split(/[\s,]+/).filter(Boolean)
  if (list.length === 0) throw new Error('no webhook secret configured')
  return Promise.all(
    list.map((s) =>
      crypto.subtle.importKey('raw', decodeSecret(s), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']),
    ),
  )
}

/** What the headers alone say: enough to refuse a request before its body is read. */
export type HeaderCheck =
  | {
      ok: true
      id: string
      timestamp: number /** `{id}.{timestamp}.`, which the signed content starts with */
      prefix: Uint8Array /** the well-formed v1 signatures, at most MAX_SIGNATURES */
      macs: Uint8Array[]
    }
  | { ok: false; reason: SignatureFailure }

/** Checks the three Standard Webhooks headers without the body: present, a readable timestamp inside the window. */
export function checkSignatureHeaders(
  headers: SignedHeaders,
  now: number = Math.floor(Date.now() / 1000),
  toleranceSeconds: number = DEFAULT_TOLERANCE_SECONDS,
): HeaderCheck {
  const { id, timestamp, signature } = headers
  if (!id || !timestamp || !signature) return { ok: false, reason: 'missing-headers' }
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'invalid-timestamp' }
  const ts = Number(timestamp)
  if (now - ts > toleranceSeconds) return { ok: false, reason: 'timestamp-too-old' }
  if (ts - now > toleranceSeconds) return { ok: false, reason: 'timestamp-too-new' }
  const macs: Uint8Array[] = []
  for (const candidate of signature.split(' ').slice(0, MAX_SIGNATURES)) {
    const [version, value] = candidate.split(',', 2)
    if (version !== 'v1' || !value) continue
    const mac = decodeBase64(value)
    if (mac?.length === 32) macs.push(mac)
  }
  return { ok: true, id, timestamp: ts, prefix: new TextEncoder().encode(`${id}.${timestamp}.`), macs }
}

/** True when one of the signatures matches `signed`, the whole signed content (`{id}.{timestamp}.{body}`). */
export async function verifySignedContent(keys: CryptoKey[], macs: Uint8Array[], signed: Uint8Array): Promise<boolean> {
  for (const mac of macs) {
    for (const key of keys) {
      if (await crypto.subtle.verify('HMAC', key, mac, signed)) return true
    }
  }
  return false
}

/** Checks the three Standard Webhooks headers against the raw body; `now` is Unix seconds. */
export async function verifySignature(
  keys: CryptoKey[],
  headers: SignedHeaders,
  body: Uint8Array,
  now: number = Math.floor(Date.now() / 1000),
  toleranceSeconds: number = DEFAULT_TOLERANCE_SECONDS,
): Promise<SignatureCheck> {
  const check = checkSignatureHeaders(headers, now, toleranceSeconds)
  if (!check.ok) return check
  if (await verifySignedContent(keys, check.macs, signedContent(check.prefix, body)))
    return { ok: true, id: check.id, timestamp: check.timestamp }
  return { ok: false, reason: 'no-matching-signature' }
}

function signedContent(prefix: Uint8Array, body: Uint8Array): Uint8Array {
  const data = new Uint8Array(prefix.length + body.length)
  data.set(prefix, 0)
  data.set(body, prefix.length)
  return data
}

/** Signs a body as a Standard Webhooks sender would: the value of `webhook-signature` (`v1,<base64>`). */
export async function signPayload(secret: string, id: string, timestamp: number, body: Uint8Array): Promise<string> {
  const [key] = await importSecrets(secret)
  if (!key) throw new Error('no webhook secret')
  const mac = new Uint8Array(
    await crypto.subtle.sign('HMAC', key, signedContent(new TextEncoder().encode(`${id}.${timestamp}.`), body)),
  )
  let binary = ''
  for (const byte of mac) binary += String.fromCharCode(byte)
  return `v1,${btoa(binary)}`
}
