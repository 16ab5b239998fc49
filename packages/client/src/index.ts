import type { SearchResponse, StatsResponse, SuggestResponse, WebhookResponse } from '@edgewire/shared/api-schemas'
import type { Article, ArticleInput } from '@edgewire/shared/article'
import type { Problem } from '@edgewire/shared/http'
import type { SearchQuerySchema } from '@edgewire/shared/search-query'
import { Webhook } from 'standardwebhooks'
import type { z } from 'zod'

/**
 * A typed client of both workers. Response types are inferred from the zod schemas that /openapi.json is generated
 * from, and search parameters from the schema that validates them, so client, server and document agree.
 */

type SearchQueryInput = z.input<typeof SearchQuerySchema>
/** `GET /search` parameters; repeatable filters take arrays. */
export type SearchParams = {
  [K in keyof SearchQueryInput]?: K extends 'source' | 'author' | 'lang' | 'tag' ? string[] : string | number | boolean
}

/** The parts of a query, for `queryText`. */
export interface QueryParts {
  /** plain words: any of them, ranked, typo-tolerant, the last one completed */
  words?: string
  /** phrases every hit must contain: the words in order, adjacent, exact (no typos, no completion) */
  phrases?: string[]
  /** words or phrases no hit may contain */
  exclude?: string[]
}

/**
 * `q` in the query syntax (`"phrase"`, `-word`, `-"phrase"`) from its parts, so a caller never quotes by hand.
 * Quotes inside a part are dropped (the syntax has no escape for them); empty parts are left out.
 */
export function queryText(parts: QueryParts): string {
  const clean = (s: string): string =>
    s
      .replace(/["\u201c\u201d\u201e]/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
  const out: string[] = []
  for (const phrase of parts.phrases ?? []) if (clean(phrase) !== '') out.push(`"${clean(phrase)}"`)
  for (const word of parts.exclude ?? []) {
    const w = clean(word)
    if (w !== '') out.push(/\s/.test(w) ? `-"${w}"` : `-${w.replace(/^-+/, '')}`)
  }
  // Plain words last: the last word of a query is completed as a prefix while it is being typed.
  const words = clean(parts.words ?? '')
  if (words !== '') out.push(words)
  return out.join(' ')
}

export type WebhookEvent =
  | { type: 'article.upsert'; data: ArticleInput }
  | { type: 'article.batch'; data: { articles: ArticleInput[] } }
  | { type: 'article.delete'; data: { id: string } | { url: string } }

/** The request for one signed webhook delivery: Standard Webhooks headers over the exact body sent. */
export function signedWebhookInit(webhook: Webhook, id: string, body: string, now: Date = new Date()): RequestInit {
  return {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
      'webhook-signature': webhook.sign(id, now, body),
    },
    body,
  }
}

/** An error answer of the API, with its RFC 9457 problem details. */
export class EdgewireError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Partial<Problem>,
    readonly retryAfterSeconds: number | null,
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`)
    this.name = 'EdgewireError'
  }
}

export interface ClientOptions {
  /** e.g. http://127.0.0.1:8788 */
  searchUrl?: string
  /** e.g. http://127.0.0.1:8787 */
  ingestUrl?: string
  /** `whsec_…`, needed to send webhooks */
  secret?: string
  fetch?: typeof fetch
}

export class EdgewireClient {
  private readonly doFetch: typeof fetch
  private readonly webhook: Webhook | null

  constructor(private readonly options: ClientOptions) {
    this.doFetch = options.fetch ?? ((input, init) => fetch(input, init))
    this.webhook = options.secret ? new Webhook(options.secret) : null
  }

  /**
   * Ranked hits with snippets, facets and the total. `q` takes the query syntax: words, `"a phrase"`, `-word`,
   * `-"a phrase"` (see `queryText` and the README).
   */
  search(params: SearchParams): Promise<SearchResponse> {
    return this.get<SearchResponse>('/search', params)
  }

  /** Completions for search-as-you-type. */
  suggest(q: string, limit?: number): Promise<SuggestResponse> {
    return this.get<SuggestResponse>('/suggest', { q, ...(limit ? { limit } : {}) })
  }

  /** One normalized article. */
  article(id: string): Promise<Article> {
    return this.get<Article>(`/articles/${encodeURIComponent(id)}`, {})
  }

  stats(): Promise<StatsResponse> {
    return this.get<StatsResponse>('/stats', {})
  }

  /** Signs and sends one webhook event; `id` is the webhook-id (a resend with the same id is a replay). */
  async send(
    event: WebhookEvent,
    id: string = `msg_${crypto.randomUUID().replaceAll('-', '')}`,
  ): Promise<WebhookResponse> {
    if (!this.webhook || !this.options.ingestUrl) throw new Error('send needs ingestUrl and secret')
    const body = JSON.stringify({ ...event, timestamp: new Date().toISOString() })
    const res = await this.doFetch(
      `${this.options.ingestUrl}/webhooks/articles`,
      signedWebhookInit(this.webhook, id, body),
    )
    return this.read<WebhookResponse>(res)
  }

  private async get<T>(path: string, params: Record<string, unknown>): Promise<T> {
    if (!this.options.searchUrl) throw new Error('searchUrl is not set')
    const query = new URLSearchParams()
    for (const [key, value] of Object.entries(params)) {
      if (value === undefined) continue
      for (const v of Array.isArray(value) ? value : [value]) query.append(key, String(v))
    }
    const qs = query.toString()
    return this.read<T>(await this.doFetch(`${this.options.searchUrl}${path}${qs ? `?${qs}` : ''}`))
  }

  private async read<T>(res: Response): Promise<T> {
    if (res.ok) return (await res.json()) as T
    const problem = (await res.json().catch(() => ({}))) as Partial<Problem>
    const retryAfter = Number(res.headers.get('retry-after'))
    throw new EdgewireError(res.status, problem, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : null)
  }
}
