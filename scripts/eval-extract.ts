/**
 * `npm run eval:extract`: scores the normalizer on the extraction dev set with the benchmark's own method
 * and prints it beside the published figures of other extractors.
 *
 *   --verbose     list the worst pages
 *   --baseline    also score plain Readability (textContent) on the same DOM, as a sanity check
 *   --only=ID     run one page and print its extracted body
 *   --save=FILE   write per-page F1 as JSON; --compare=FILE prints the pages that moved since
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { Readability } from '@mozilla/readability'
import { parseHTML } from 'linkedom'
import { normalizeArticle } from '../packages/shared/src/normalize'
import { loadDevPages } from './lib/extract-dev-set'
import { aggregate, type PageCounts, pageF1, shingleCounts, titleIsRight } from './lib/extract-score'

/** Figures published for other extractors on the same pages (corpus README). */
const REFERENCE = [
  { name: 'trafilatura', f1: 0.963 },
  { name: 'Readability.js', f1: 0.95 },
] as const

const args = process.argv.slice(2)
const verbose = args.includes('--verbose')
const baseline = args.includes('--baseline')
const only = args.find((a) => a.startsWith('--only='))?.slice('--only='.length)
const save = args.find((a) => a.startsWith('--save='))?.slice('--save='.length)
const compare = args.find((a) => a.startsWith('--compare='))?.slice('--compare='.length)

function plainReadability(html: string): string {
  const { document } = parseHTML(html) as unknown as { document: Document }
  return new Readability(document).parse()?.textContent ?? ''
}

const pct = (x: number): string => x.toFixed(3)

async function main(): Promise<void> {
  const pages = loadDevPages().filter((p) => only === undefined || p.id === only)
  const counts: PageCounts[] = []
  const baseCounts: PageCounts[] = []
  const rows: { id: string; f1: number; title: boolean; got: string; want: string }[] = []
  let titlesRight = 0
  const started = performance.now()
  for (const page of pages) {
    const article = await normalizeArticle({ url: page.url, externalId: page.id, html: page.html }, new Date())
    const c = shingleCounts(page.body, article.body)
    counts.push(c)
    const right = titleIsRight(page.title, article.title)
    if (right) titlesRight++
    rows.push({ id: page.id, f1: pageF1(c), title: right, got: article.title, want: page.title })
    if (baseline) baseCounts.push(shingleCounts(page.body, plainReadability(page.html)))
    if (only !== undefined)
      console.log(`${article.title}\n${article.byline}\n${article.published}\n\n${article.body}\n`)
  }
  const ms = performance.now() - started
  const s = aggregate(counts)
  console.log(`Extraction on ${pages.length} dev pages (${(ms / pages.length).toFixed(0)} ms/page in Node)\n`)
  console.log(`  edgewire        F1 ${pct(s.f1)}  precision ${pct(s.precision)}  recall ${pct(s.recall)}`)
  if (baseline) {
    const b = aggregate(baseCounts)
    console.log(
      `  readability+ld  F1 ${pct(b.f1)}  precision ${pct(b.precision)}  recall ${pct(b.recall)}  (plain Readability here)`,
    )
  }
  for (const ref of REFERENCE) console.log(`  ${ref.name.padEnd(15)} F1 ${pct(ref.f1)}  (published)`)
  console.log(
    `\n  titles right    ${titlesRight}/${pages.length} = ${pct(titlesRight / Math.max(1, pages.length))}` +
      '  (lower-cased \\w+ tokens equal the benchmark title, whole or without a short " - Site"/"Site | " segment)',
  )
  const perPage = Object.fromEntries(rows.map((r) => [r.id, Number(r.f1.toFixed(4))]))
  if (save !== undefined) writeFileSync(save, JSON.stringify(perPage, null, 1))
  if (compare !== undefined) {
    const before = JSON.parse(readFileSync(compare, 'utf8')) as Record<string, number>
    console.log('\nMoved since the saved run:')
    for (const [id, f1] of Object.entries(perPage)) {
      const was = before[id]
      if (was !== undefined && Math.abs(was - f1) >= 0.001) console.log(`  ${id}  ${pct(was)} -> ${pct(f1)}`)
    }
  }
  if (verbose) {
    console.log('\nWorst pages:')
    for (const r of [...rows].sort((a, b) => a.f1 - b.f1).slice(0, 25)) console.log(`  ${pct(r.f1)}  ${r.id}`)
    console.log('\nWrong titles:')
    for (const r of rows.filter((x) => !x.title)) console.log(`  ${r.id}\n    got  ${r.got}\n    want ${r.want}`)
  }
}

await main()
