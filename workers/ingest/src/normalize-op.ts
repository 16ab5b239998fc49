import { type ArticleInput, type ArticleResult, normalizeArticle } from '@edgewire/shared'
import type { WriteOp } from './index-writer'

/**
 * Largest normalized article stored, in bytes of its JSON. The writer keeps each article in one SQLite row, and a
 * Durable Object's SQLite refuses strings over 2 MB (SQLITE_TOOBIG): a larger article would fail the whole delivery
 * on every retry. About 600,000 words of English, or 200,000 characters of Korean or Japanese per 600 KB.
 */
export const MAX_STORED_ARTICLE_BYTES = 1_800_000

const encoder = new TextEncoder()

/** Normalizes one article into an upsert, or a `rejected` result saying why it cannot be stored. */
export async function normalizeOp(input: ArticleInput, now: Date): Promise<WriteOp> {
  const rejected = (error: string): WriteOp => {
    const result: ArticleResult = { status: 'rejected', error }
    if (input.url) result.url = input.url
    return { kind: 'rejected', result }
  }
  let article: Awaited<ReturnType<typeof normalizeArticle>>
  try {
    article = await normalizeArticle(input, now)
  } catch (err) {
    return rejected(`could not normalize the article: ${err instanceof Error ? err.message : String(err)}`)
  }
  const json = JSON.stringify(article)
  // A UTF-16 unit takes one to three bytes of UTF-8: encode only when the length alone cannot tell.
  const bytes = json.length * 3 <= MAX_STORED_ARTICLE_BYTES ? json.length : encoder.encode(json).length
  if (bytes > MAX_STORED_ARTICLE_BYTES) {
    return rejected(
      `the normalized article is ${bytes} bytes; at most ${MAX_STORED_ARTICLE_BYTES} are stored (split it or send less text)`,
    )
  }
  return { kind: 'upsert', article }
}
