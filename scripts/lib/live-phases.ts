import { setTimeout as sleep } from 'node:timers/promises'
import { quantile, sumOf } from './bench-stats'
import { pairedSearchesInProcess } from './paired-search-process'
import type { WebhookClient } from './webhook-client'

/**
 * Search while news keeps arriving: the bench's steady-feed and after-burst phases. For a fixed time it runs, side
 * by side, (1) searches at the search worker's own socket, each paired with an empty /healthz on the same
 * connection, (2) freshness probes: an upsert with a unique marker, then searches until it is found, timed from its
 * 202, and optionally (3) a feed: single upserts at `upsertsPerSecond` plus a batch of `batchSize` articles every
 * `batchEverySeconds`. Every answer that is not a 200 is counted.
 */
export interface LivePhaseOptions {
  /** the search worker's own socket (no wrangler proxy in front) */
  workerUrl: string
  client: WebhookClient
  seconds: number
  queries: string[]
  /** articles to send as the feed (their text is changed each round, so every send is a real change) */
  feed?: {
    articles: { externalId: string; title: string; text: string }[]
    upsertsPerSecond: number
    batchSize: number
    batchEverySeconds: number
  }
  /** puts the process that times the searches beside the search worker (`BENCH_PIN=1`, see pinSearchWorker) */
  pinTimer?: (pid: number) => void
  /** writer's reader calls so far (GET /admin/writer), to give the writer's load from readers per second */
  readerCalls?: () => Promise<number>
}

export interface LivePhaseFigures {
  seconds: number
  searches: number
  searchP50Ms: number
  searchP99Ms: number
  healthzP50Ms: number
  healthzP99Ms: number
  /** per pair: the search's time minus its /healthz's, the worker's own share */
  workerP50Ms: number
  workerP99Ms: number
  freshnessSamples: number
  freshnessP50Ms: number
  freshnessP99Ms: number
  non200: number
  /** the answers other than 200 (202 for the webhook), by status */
  non200By: Record<string, number>
  /** times a search answered with a lower indexVersion than an earlier one (searches at the worker's socket) */
  indexVersionDecreases: number
  /** probes deleted after they were found, and how many times a search found one again after it was seen gone */
  deletedProbes: number
  reappeared: number
  fed?: { upserts: number; batches: number; articles: number }
  writerReaderCallsPerSecond?: number
}

const FRESHNESS_GIVE_UP_MS = 30_000
/**
 * Timed searches a second, at most. The search worker allows one address 10,000 reads a minute (about 167 a second,
 * wrangler.toml), and the freshness probes' searches count too: searches back to back went past it once a search
 * took under about 6 ms with its /healthz, and were answered 429 (session 13: 1,886 and 10,504 in the two phases,
 * with freshness p99 6.8 and 28.9 s, probes' searches refused). The probes search every PROBE_POLL_MS until found,
 * and each round looks for every deleted probe again (thousands of searches a phase), and the minute before the
 * phase adds the burst's: at 100 a second one run still saw 344 answers other than 200 after the burst. 80 a second
 * is a little under the load earlier sessions' figures were taken at (100–130, back to back), the same for every
 * version.
 */
export const LIVE_SEARCHES_PER_SECOND = 80
/**
 * How often a freshness probe searches for itself until found. Every 10 ms, faster searches (session 15: p50 0.73
 * ms) let the probes and the timed searches pass the limit again (824 answers 429 in the steady feed); every 20 ms
 * halves the probes' share, and a freshness figure is late by 10 ms at most more.
 */
const PROBE_POLL_MS = 20

export async function livePhase(options: LivePhaseOptions): Promise<LivePhaseFigures> {
  const startedAt = performance.now()
  const until = startedAt + options.seconds * 1000
  const running = () => performance.now() < until
  const non200By: Record<string, number> = {}
  const countNon200 = (status: number | string) => {
    non200By[status] = (non200By[status] ?? 0) + 1
  }
  // Not awaited before the phase starts: right after a burst the writer may take seconds to answer it.
  const callsBefore = options.readerCalls ? options.readerCalls() : Promise.resolve(0)

  // In a process of its own, so that signing the feed here does not delay reading its answers (see the module).
  const searchLoop = pairedSearchesInProcess(
    {
      workerUrl: options.workerUrl,
      queries: options.queries,
      untilEpochMs: Date.now() + options.seconds * 1000,
      perSecond: LIVE_SEARCHES_PER_SECOND,
    },
    (child) => {
      if (child.pid !== undefined) options.pinTimer?.(child.pid)
    },
  )

  const freshness: number[] = []
  let highestVersion = 0
  let indexVersionDecreases = 0
  /** deleted probes, and whether a search has seen each one gone yet (only then can it reappear) */
  const deleted = new Map<string, boolean>()
  let reappeared = 0
  /** A search at the worker's socket, checking that its indexVersion never goes back. */
  const searchJson = async (q: string): Promise<{ total: number }> => {
    // Exact words only: with typos and completion on, one probe's marker would find another's (they differ by a
    // character or two), and a deleted probe would look found again.
    const res = await fetch(`${options.workerUrl}/search?q=${q}&fuzzy=false&prefix=false`)
    if (res.status !== 200) {
      countNon200(res.status)
      return { total: 0 }
    }
    const body = (await res.json()) as { total: number; indexVersion: number }
    if (body.indexVersion < highestVersion) indexVersionDecreases++
    highestVersion = Math.max(highestVersion, body.indexVersion)
    return body
  }
  const freshnessLoop = async () => {
    for (let i = 0; running(); i++) {
      const marker = `live${i}x${Date.now().toString(36)}`
      const sent = await options.client.send('article.upsert', {
        externalId: `live-probe-${marker}`,
        title: `Freshness probe ${marker}`,
        text: `This probe carries the marker ${marker} and nothing else of note.`,
        lang: 'en',
      })
      if (sent.status !== 202) {
        countNon200(sent.status)
        continue
      }
      const acceptedAt = performance.now()
      for (;;) {
        if ((await searchJson(marker)).total > 0) break
        if (performance.now() - acceptedAt > FRESHNESS_GIVE_UP_MS) break
        await sleep(PROBE_POLL_MS)
      }
      freshness.push(performance.now() - acceptedAt)
      // Every other probe is deleted once found; the next probes look for every deleted one again.
      const id = sent.results[0]?.id
      if (i % 2 === 0 && id) {
        const gone = await options.client.send('article.delete', { id })
        if (gone.status === 202) deleted.set(marker, false)
      }
      await sleep(200)
      // A delete takes as long as an upsert to reach search: a probe counts as reappeared only if found after a
      // search had already seen it gone.
      for (const [m, seenGone] of deleted) {
        const found = (await searchJson(m)).total > 0
        if (found && seenGone) reappeared++
        if (!found) deleted.set(m, true)
      }
    }
  }

  const fed = { upserts: 0, batches: 0, articles: 0 }
  const feedLoops = (): Promise<void>[] => {
    const feed = options.feed
    if (!feed || feed.articles.length === 0) return []
    let cursor = 0
    let round = 0
    const nextArticles = (n: number) =>
      Array.from({ length: n }, () => {
        const a = feed.articles[cursor++ % feed.articles.length] ?? { externalId: 'x', title: 'x', text: 'x' }
        if (cursor % feed.articles.length === 0) round++
        return { ...a, text: `${a.text}\n\nRevision ${round}.`, lang: 'en' }
      })
    const send = async (type: string, data: unknown, count: number) => {
      const res = await options.client.send(type, data)
      if (res.status !== 202) countNon200(res.status)
      fed.articles += count
    }
    const upserts = async () => {
      const gap = 1000 / feed.upsertsPerSecond
      for (let next = performance.now(); running(); next += gap) {
        const [article] = nextArticles(1)
        await send('article.upsert', article, 1)
        fed.upserts++
        const wait = next + gap - performance.now()
        if (wait > 0) await sleep(wait)
      }
    }
    const batches = async () => {
      while (running()) {
        const due = performance.now() + feed.batchEverySeconds * 1000
        await send('article.batch', { articles: nextArticles(feed.batchSize) }, feed.batchSize)
        fed.batches++
        const wait = due - performance.now()
        if (wait > 0) await sleep(Math.min(wait, Math.max(0, until - performance.now())))
      }
    }
    return [upserts(), batches()]
  }

  const [paired] = await Promise.all([searchLoop, freshnessLoop(), ...feedLoops()])
  for (const [status, n] of Object.entries(paired.non200By)) non200By[status] = (non200By[status] ?? 0) + n
  const elapsed = (performance.now() - startedAt) / 1000
  const callsAfter = options.readerCalls ? await options.readerCalls() : 0
  return {
    seconds: elapsed,
    searches: paired.search.length,
    searchP50Ms: quantile(paired.search, 0.5),
    searchP99Ms: quantile(paired.search, 0.99),
    healthzP50Ms: quantile(paired.floor, 0.5),
    healthzP99Ms: quantile(paired.floor, 0.99),
    workerP50Ms: quantile(paired.worker, 0.5),
    workerP99Ms: quantile(paired.worker, 0.99),
    freshnessSamples: freshness.length,
    freshnessP50Ms: quantile(freshness, 0.5),
    freshnessP99Ms: quantile(freshness, 0.99),
    non200: sumOf(non200By),
    non200By,
    indexVersionDecreases,
    deletedProbes: deleted.size,
    reappeared,
    ...(options.feed ? { fed } : {}),
    ...(options.readerCalls ? { writerReaderCallsPerSecond: (callsAfter - (await callsBefore)) / elapsed } : {}),
  }
}

/** "0 non-200", or "344 non-200 (429 ×340, 503 ×4)". */
export function non200Text(f: Pick<LivePhaseFigures, 'non200' | 'non200By'>): string {
  const by = Object.entries(f.non200By).map(([status, n]) => `${status} ×${n}`)
  return by.length > 0 ? `${f.non200} non-200 (${by.join(', ')})` : `${f.non200} non-200`
}
