import { Progress } from './progress'
import { type ArticleResult, type ArticleStatus, WebhookClient } from './webhook-client'

export type Summary = Record<ArticleStatus, number> & { failedBatches: number }

/** Articles per `article.batch` event; the contract guarantees at least 1000 work. */
export const BATCH_SIZE = 500

/** Sends articles through the signed webhook in batches, with a progress bar, and counts the outcomes. */
export async function ingestArticles(
  endpoint: string,
  secret: string,
  articles: Record<string, unknown>[],
  options: { label?: string; concurrency?: number; onRejected?: (index: number, result: ArticleResult) => void } = {},
): Promise<Summary> {
  const client = new WebhookClient(endpoint, secret)
  const summary: Summary = {
    created: 0,
    updated: 0,
    unchanged: 0,
    deleted: 0,
    queued: 0,
    rejected: 0,
    failedBatches: 0,
  }
  const progress = new Progress(options.label ?? 'Loading', articles.length)
  const batches: number[] = []
  for (let i = 0; i < articles.length; i += BATCH_SIZE) batches.push(i)
  let next = 0
  const worker = async () => {
    while (next < batches.length) {
      const start = batches[next++] ?? 0
      const slice = articles.slice(start, start + BATCH_SIZE)
      const res = await client.send('article.batch', { articles: slice })
      if (res.status !== 202) {
        summary.failedBatches++
        summary.rejected += slice.length
        const why = res.problem?.detail ?? `HTTP ${res.status}`
        for (let k = 0; k < slice.length; k++) options.onRejected?.(start + k, { status: 'rejected', error: why })
      } else {
        res.results.forEach((r, k) => {
          summary[r.status]++
          if (r.status === 'rejected') options.onRejected?.(start + k, r)
        })
      }
      progress.tick(slice.length)
    }
  }
  await Promise.all(Array.from({ length: Math.min(options.concurrency ?? 2, batches.length) }, worker))
  return summary
}
