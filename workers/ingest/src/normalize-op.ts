import {
  type Article,
  type ArticleInput,
  type ArticleResult,
  countWords,
  DEFAULT_NORMALIZE_BUDGET_MS,
  type NormalizeOptions,
  normalizeArticle,
} from '@edgewire/shared'
import type { WriteOp } from '@edgewire/shared/writer-rpc'

/**
 * Largest normalized article stored, in bytes of its JSON. The writer keeps each article in one SQLite row, and a
 * Durable Object's SQLite refuses strings over 2 MB (SQLITE_TOOBIG): a larger article would fail its whole delivery
 * on every retry. That is about 300,000 words of English, or 600,000 characters of Korean or Japanese.
 */
export const MAX_STORED_ARTICLE_BYTES = 1_800_000

const encoder = new TextEncoder()

function utf8Length(json: string): number {
  // A UTF-16 unit takes one to three bytes of UTF-8: encode only when the length alone cannot tell.
  return json.length * 3 <= MAX_STORED_ARTICLE_BYTES ? json.length : encoder.encode(json).length
}

/**
 * Cuts the body of an article too large to store at the last paragraph (or word) break that fits. The article is
 * kept, searchable by all but its tail: an article answered `queued` must not be refused later, and this is the
 * only way normalization can fail to fit.
 */
export function fitForStorage(article: Article): { article: Article; cutFrom: number | null } {
  let bytes = utf8Length(JSON.stringify(article))
  if (bytes <= MAX_STORED_ARTICLE_BYTES) return { article, cutFrom: null }
  const originalLength = article.body.length
  let fitted = article
  for (let attempt = 0; attempt < 8 && bytes > MAX_STORED_ARTICLE_BYTES; attempt++) {
    const overhead = bytes - utf8Length(JSON.stringify(fitted.body))
    const budget = Math.max(0, Math.floor((MAX_STORED_ARTICLE_BYTES - overhead) * (1 - 0.02 * (attempt + 1))))
    // encodeInto stops at the last whole character that fits; escapes (\n, quotes) are why this may take two tries.
    const fits = encoder.encodeInto(fitted.body, new Uint8Array(budget)).read
    let cut = fitted.body.lastIndexOf('\n\n', fits)
    if (cut < fits * 0.9) cut = fitted.body.lastIndexOf(' ', fits)
    if (cut < fits * 0.9) cut = fits
    const body = fitted.body.slice(0, cut).trimEnd()
    fitted = { ...fitted, body, wordCount: countWords(body) }
    bytes = utf8Length(JSON.stringify(fitted))
  }
  return { article: fitted, cutFrom: originalLength }
}

/**
 * The normalizer's options from the worker's settings: `NORMALIZE_BUDGET_MS` sets the CPU budget per article (an
 * operator on a plan with other CPU limits may move it; the tests lower it to drive an article past it through the
 * real webhook). Anything but a positive number leaves DEFAULT_NORMALIZE_BUDGET_MS.
 */
export function normalizeOptionsOf(env: { NORMALIZE_BUDGET_MS?: string }): NormalizeOptions {
  const budgetMs = Number(env.NORMALIZE_BUDGET_MS)
  return { budgetMs: Number.isFinite(budgetMs) && budgetMs > 0 ? budgetMs : DEFAULT_NORMALIZE_BUDGET_MS }
}

/**
 * Normalizes one article into an upsert, or a `rejected` result saying why it could not be normalized: an error, or
 * its CPU budget passed (see normalizeOptionsOf; checked between steps; each article of a batch has its own, so
 * one costly article is refused and the others go through).
 */
export async function normalizeOp(input: ArticleInput, now: Date, options: NormalizeOptions = {}): Promise<WriteOp> {
  let article: Article
  try {
    article = await normalizeArticle(input, now, options)
  } catch (err) {
    const result: ArticleResult = {
      status: 'rejected',
      error: `could not normalize the article: ${err instanceof Error ? err.message : String(err)}`,
    }
    if (input.url) result.url = input.url
    return { kind: 'rejected', result }
  }
  const fitted = fitForStorage(article)
  if (fitted.cutFrom !== null) {
    console.warn(
      JSON.stringify({
        level: 'warn',
        msg: 'article body cut to fit storage',
        id: article.id,
        chars: fitted.cutFrom,
        kept: fitted.article.body.length,
      }),
    )
  }
  return { kind: 'upsert', article: fitted.article }
}
