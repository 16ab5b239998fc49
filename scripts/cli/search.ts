/** `npm run search -- "query" [options]`: asks the search worker and prints readable results. */
import { EdgewireClient, EdgewireError, type SearchParams } from '@edgewire/client'
import type { SearchResponse } from '@edgewire/shared/api-schemas'
import { searchUrl } from '../lib/local-config'
import { CliError, ensureRunning, intOption, parseCommandLine, problemText, run } from './common'
import { clean, snippetRuns, styler, textWidth, useColor, wrapRuns } from './terminal'

const HELP = `Usage: npm run search -- "query" [options]

Searches the articles Edgewire holds and prints the best matches with their
source, date, url and a snippet in which the matching words stand out.

Query syntax
  oil prices         any of the words (close together ranks higher; typos ok)
  "crude oil"        the words in this order, next to each other (required, exact)
  -palm  -"new york" leave out articles with this word or phrase
  (quote the whole query for the shell: npm run search -- '"crude oil" -palm')

Options
  --lang <tag>       only articles in this language, e.g. en, ko, ja (repeatable)
  --source <name>    only articles from this source (repeatable)
  --author <name>    only articles by this author (repeatable)
  --tag <tag>        only articles with this tag (repeatable)
  --from <date>      published on or after this date (YYYY-MM-DD)
  --to <date>        published on or before this date (YYYY-MM-DD)
  --sort <order>     relevance (default), newest or oldest
  --limit <n>        results per page, 1 to 100 (default 10)
  --page <n>         which page of results (default 1)
  --facets           also count the matches by source, language and tag
  --exact            no typo tolerance and no prefix matching
  --json             print the API's JSON answer as it is
  --url <url>        the search worker (default ${searchUrl()}; SEARCH_PORT moves it)
  -h, --help         show this help

Examples
  npm run search -- GSOMIA
  npm run search -- "oil prices" --sort newest --limit 5
  npm run search -- 월식 --lang ko
  npm run search -- '"state of the art" -chrysler'
`

const DEFAULT_LIMIT = 10

/** A published value (ISO string or epoch ms) as YYYY-MM-DD; the API may send either. */
function day(published: string | null): string {
  if (published === null || published === '') return ''
  const d = new Date(published)
  return Number.isNaN(d.getTime()) ? clean(String(published)) : d.toISOString().slice(0, 10)
}

/** A url as people read it: percent-encoded Korean or Japanese shown as letters (still a working address). */
function readableUrl(url: string): string {
  try {
    return clean(decodeURI(url)).replaceAll(' ', '%20')
  } catch {
    return clean(url)
  }
}

const quote = (s: string) => (/^[\p{L}\p{N}_.-]+$/u.test(s) ? s : `"${s.replaceAll('"', '\\"')}"`)

async function main(): Promise<number> {
  const { values, positionals } = parseCommandLine(
    {
      allowPositionals: true,
      options: {
        lang: { type: 'string', multiple: true },
        source: { type: 'string', multiple: true },
        author: { type: 'string', multiple: true },
        tag: { type: 'string', multiple: true },
        from: { type: 'string' },
        to: { type: 'string' },
        sort: { type: 'string' },
        limit: { type: 'string' },
        page: { type: 'string' },
        facets: { type: 'boolean', default: false },
        exact: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        url: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    },
    'Run `npm run search -- --help` for usage.',
  )
  if (values.help) {
    process.stdout.write(HELP)
    return 0
  }
  const q = positionals.join(' ').trim()
  const filtered = Boolean(values.lang ?? values.source ?? values.author ?? values.tag ?? values.from ?? values.to)
  if (!q && !filtered) throw new CliError(`give a query, e.g. npm run search -- GSOMIA\n\n${HELP}`, 2)
  if (values.sort !== undefined && !['relevance', 'newest', 'oldest'].includes(values.sort))
    throw new CliError(`--sort must be relevance, newest or oldest (got "${values.sort}")`, 2)
  for (const name of ['from', 'to'] as const) {
    const v = values[name]
    if (v !== undefined && !(/^\d{4}-\d{2}(-\d{2})?/.test(v) && Number.isFinite(Date.parse(v))))
      throw new CliError(`--${name} must be a date such as 2019-08-22 (got "${v}")`, 2)
  }
  const limit = intOption(values.limit, 'limit', 1, 100) ?? DEFAULT_LIMIT
  const page = intOption(values.page, 'page', 1, 10_001) ?? 1

  const params: SearchParams = { q, limit, offset: (page - 1) * limit }
  if (values.sort) params.sort = values.sort
  for (const name of ['lang', 'source', 'author', 'tag'] as const) if (values[name]) params[name] = values[name]
  if (values.from) params.from = values.from
  // "To" names a day: include all of it.
  if (values.to) params.to = /^\d{4}-\d{2}-\d{2}$/.test(values.to) ? `${values.to}T23:59:59.999Z` : values.to
  if (values.facets) params.facets = 'source,lang,tags'
  if (values.exact) {
    params.fuzzy = false
    params.prefix = false
  }

  const base = (values.url ?? searchUrl()).replace(/\/+$/, '')
  let answer: SearchResponse
  try {
    answer = await new EdgewireClient({ searchUrl: base }).search(params)
  } catch (err) {
    if (err instanceof EdgewireError) throw new CliError(problemText(err.status, err.problem))
    // Say why: most often nothing is running at that address.
    await ensureRunning(base, 'search worker', 'SEARCH_PORT')
    throw new CliError(`the search worker at ${base} did not answer (${(err as Error).message})`)
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(answer, null, 2)}\n`)
    return 0
  }
  print(answer, { q, page, limit, args: process.argv.slice(2) })
  return 0
}

/** Prints an answer for people: a header line, numbered hits, facet counts and how to get the next page. */
function print(answer: SearchResponse, ctx: { q: string; page: number; limit: number; args: string[] }): void {
  const paint = styler(useColor(process.stdout))
  const columns = Math.max(40, Math.min(process.stdout.columns || 100, 120))
  const shown = answer.hits.length
  const from = answer.offset + 1
  const what = ctx.q ? ` for ${paint('bold', quote(ctx.q))}` : ''
  const count = `${answer.total.toLocaleString('en')} result${answer.total === 1 ? '' : 's'}`
  const range = shown > 0 && answer.total > shown ? `, showing ${from}–${answer.offset + shown}` : ''
  console.log(`${count}${what}${range} ${paint('dim', `· ${answer.tookMs} ms`)}`)
  const number = String(answer.offset + shown).length
  answer.hits.forEach((hit, i) => {
    const n = `${String(answer.offset + i + 1).padStart(number)}.`
    const indent = ' '.repeat(n.length + 1)
    console.log(`\n${n} ${paint('bold', clean(hit.title) || '(untitled)')}`)
    const meta = [clean(hit.source), day(hit.published), clean(hit.author), clean(hit.lang)].filter(Boolean)
    console.log(`${indent}${paint('dim', meta.join(' · '))}`)
    if (hit.url) console.log(`${indent}${paint('underline', readableUrl(hit.url))}`)
    if (hit.snippet) {
      const width = columns - textWidth(indent)
      for (const line of wrapRuns(snippetRuns(hit.snippet), width, (t) => paint(['bold', 'inverse'], t)))
        console.log(`${indent}${line}`)
    }
  })
  for (const [name, counts] of Object.entries(answer.facets ?? {})) {
    if (counts.length === 0) continue
    const list = counts
      .slice(0, 12)
      .map((c) => `${clean(c.value)} (${c.count.toLocaleString('en')})`)
      .join(', ')
    console.log(`\n${paint('bold', `${name}:`)} ${list}`)
  }
  if (answer.offset + shown < answer.total && answer.offset + shown < 10_000) {
    // The same command with the next page, so it can be copied as it is.
    const rest: string[] = []
    for (let i = 0; i < ctx.args.length; i++) {
      const arg = ctx.args[i] ?? ''
      if (arg === '--page') i++
      else if (!arg.startsWith('--page=')) rest.push(arg)
    }
    const next = ['npm', 'run', 'search', '--', ...rest.map(quote), '--page', String(ctx.page + 1)].join(' ')
    console.log(`\n${paint('dim', `Next page: ${next}`)}`)
  } else if (shown === 0 && answer.total === 0)
    console.log(paint('dim', 'Try fewer words, another spelling, or fewer filters.'))
}

await run(main)
