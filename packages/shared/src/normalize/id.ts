import { sha256Hex } from './hash'
import { canonicalizeUrl } from './url'

/** Length of an article id in hex characters (128 bits: collisions are not a practical concern). */
export const ARTICLE_ID_LENGTH = 32

/** stable id: same canonical url -> same id; else same externalId -> same id. Lowercase hex, 32 chars, URL-safe. */
export async function articleIdFor(input: { url?: string | null; externalId?: string | null }): Promise<string> {
  const url = input.url?.trim()
  // The url is the article's identity when present (contract); prefixes keep the two id spaces apart.
  const key = url ? `url:${canonicalizeUrl(url)}` : `ext:${(input.externalId ?? '').trim()}`
  return (await sha256Hex(key)).slice(0, ARTICLE_ID_LENGTH)
}
