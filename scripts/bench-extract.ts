/**
 * `npm run bench:extract`: extraction time per page (p50 / p99) and peak memory on the extraction dev pages,
 * inside workerd (wrangler's `unstable_startWorker` running scripts/lib/extract-bench-worker.ts), with the
 * same figures in Node for comparison.
 *
 * Time inside workerd is measured from outside, because workerd's clocks stand still while a request only
 * computes: per page, the median round trip of `/extract` minus the median round trip of `/echo` (same body,
 * parsed, not extracted). Memory is the workerd process's peak resident set (VmHWM in /proc), shown beside
 * its resident set right after start-up.
 *   --repeat=N   round trips per page and endpoint (default 3)
 */
import { resolve } from 'node:path'
import { unstable_startWorker } from 'wrangler'
import { normalizeArticle } from '../packages/shared/src/normalize'
import { descendantsNamed, processMemory, quantile } from './lib/bench-stats'
import { type DevPage, loadDevPages, PROJECT_ROOT } from './lib/extract-dev-set'

/** Round trips per page and endpoint; the median is kept. */
const DEFAULT_REPEAT = 3
const WARMUP_PAGES = 5

const repeat = Number(process.argv.find((a) => a.startsWith('--repeat='))?.slice('--repeat='.length) ?? DEFAULT_REPEAT)

function median(values: readonly number[]): number {
  return quantile([...values], 0.5)
}

/** A /proc/<pid>/status figure in MiB (Linux only), or NaN. */
function procStatusMiB(pid: number, field: 'peak' | 'rss'): number {
  const memory = processMemory(pid)
  return memory ? memory[field] / 1024 / 1024 : Number.NaN
}

/** Pids of workerd processes started below this process (wrangler runs workerd as a child). */
const workerdPids = (): number[] => descendantsNamed(process.pid, 'workerd')

const ms = (x: number): string => `${x.toFixed(1)} ms`
const mib = (x: number): string => `${x.toFixed(0)} MiB`

async function benchWorkerd(pages: readonly DevPage[]): Promise<void> {
  // No network here: skip miniflare's download of a real `request.cf` object (a placeholder is fine).
  process.env.CLOUDFLARE_CF_FETCH_ENABLED ??= 'false'
  const worker = await unstable_startWorker({
    entrypoint: resolve(PROJECT_ROOT, 'scripts/lib/extract-bench-worker.ts'),
    compatibilityDate: '2026-11-01',
    compatibilityFlags: ['nodejs_compat'],
    dev: { server: { hostname: '127.0.0.1', port: 0 }, inspector: false, logLevel: 'warn' },
  })
  try {
    await worker.ready
    const pids = workerdPids()
    const startRss = pids.reduce((sum, pid) => sum + procStatusMiB(pid, 'rss'), 0)
    const roundTrip = async (path: string, body: string): Promise<number> => {
      const started = performance.now()
      const response = await worker.fetch(`http://bench${path}`, { method: 'POST', body })
      if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`)
      await response.arrayBuffer()
      return performance.now() - started
    }
    for (const page of pages.slice(0, WARMUP_PAGES)) await roundTrip('/extract', JSON.stringify(page))
    const perPage: number[] = []
    for (const page of pages) {
      const body = JSON.stringify({ url: page.url, html: page.html })
      const extract: number[] = []
      const echo: number[] = []
      for (let i = 0; i < repeat; i++) {
        echo.push(await roundTrip('/echo', body))
        extract.push(await roundTrip('/extract', body))
      }
      perPage.push(Math.max(0, median(extract) - median(echo)))
    }
    const sorted = perPage.sort((a, b) => a - b)
    const peak = pids.reduce((sum, pid) => sum + procStatusMiB(pid, 'peak'), 0)
    console.log(`workerd (${pids.length} process${pids.length === 1 ? '' : 'es'}, ${repeat} round trips per page)`)
    console.log(
      `  extraction per page  p50 ${ms(quantile(sorted, 0.5))}  p99 ${ms(quantile(sorted, 0.99))}  max ${ms(sorted[sorted.length - 1] ?? Number.NaN)}`,
    )
    console.log(`  workerd memory       resident after start ${mib(startRss)}, peak resident (VmHWM) ${mib(peak)}`)
  } finally {
    await worker.dispose()
  }
}

async function benchNode(pages: readonly DevPage[]): Promise<void> {
  for (const page of pages.slice(0, WARMUP_PAGES))
    await normalizeArticle({ url: page.url, externalId: 'w', html: page.html }, new Date())
  const perPage: number[] = []
  const startRss = procStatusMiB(process.pid, 'rss')
  for (const page of pages) {
    const times: number[] = []
    for (let i = 0; i < repeat; i++) {
      const started = performance.now()
      await normalizeArticle({ url: page.url, externalId: 'bench', html: page.html }, new Date())
      times.push(performance.now() - started)
    }
    perPage.push(median(times))
  }
  const sorted = perPage.sort((a, b) => a - b)
  console.log(`Node ${process.version}`)
  console.log(
    `  extraction per page  p50 ${ms(quantile(sorted, 0.5))}  p99 ${ms(quantile(sorted, 0.99))}  max ${ms(sorted[sorted.length - 1] ?? Number.NaN)}`,
  )
  console.log(
    `  node memory          resident before ${mib(startRss)} (dev set loaded), peak resident (VmHWM) ${mib(procStatusMiB(process.pid, 'peak'))}`,
  )
}

async function main(): Promise<void> {
  const pages = loadDevPages()
  const sizes = pages.map((p) => p.html.length).sort((a, b) => a - b)
  const largest = (sizes[sizes.length - 1] ?? 0) / 1024 / 1024
  console.log(
    `Extraction benchmark on ${pages.length} dev pages (html ${(quantile(sizes, 0.5) / 1024).toFixed(0)} KiB median, ${largest.toFixed(1)} MiB largest)\n`,
  )
  // Node first, so its peak resident figure is the normalizer's and not wrangler's.
  await benchNode(pages)
  console.log('')
  await benchWorkerd(pages)
}

await main()
