/**
 * `npm run ingest -- <file | dir | url>...`: sends articles to the ingest worker through the signed webhook,
 * with a progress bar, then prints what became of them.
 */
import { readdir, readFile, stat } from 'node:fs/promises'
import { extname, join, relative, resolve } from 'node:path'
import { type ArticleInput, readArticles } from '../lib/corpus'
import { ingestArticles } from '../lib/ingest-files'
import { ingestUrl, localSecrets } from '../lib/local-config'
import { CliError, ensureRunning, parseCommandLine, run } from './common'
import { styler, useColor } from './terminal'

const HELP = `Usage: npm run ingest -- <file | dir | url>... [options]

Sends articles to the ingest worker through the signed webhook (Standard Webhooks),
in batches, with a progress bar, then prints how many were created, updated,
unchanged or rejected (and why the first rejections were).

Inputs
  file.jsonl, .ndjson   one article (ArticleInput) per line
  file.json             one article, an array of them, or { "articles": [...] }
  file.html, .htm       one page; the file name becomes its externalId
  file.txt              plain text (may carry navigation junk); likewise
  dir/                  every file of those kinds in it (not in subfolders)
  http(s)://...         fetched and sent as html with that url (JSON answers are read as articles)

Records in the corpus shape { id, title, body, ... } (as in ../shared/corpus) are
sent as { externalId: id, title, text: body, ... }.

Options
  --source <name>   set "source" on articles that have none
  --lang <tag>      set "lang" (BCP 47, e.g. ko) on articles that have none
  --url <url>       the ingest worker (default ${ingestUrl()}; INGEST_PORT moves it)
  --dry-run         read and count the input, send nothing
  -h, --help        show this help

Signs with WEBHOOK_SECRET from the environment, else .dev.vars, else the local
default that \`npm start\` also uses. Exit status: 0 when every article was
accepted, 1 when some were rejected or something failed, 2 for bad usage.

Example
  npm run ingest -- ../shared/corpus/reuters21578.jsonl
`

/** Where an article came from, to name it when it is rejected. */
type Origin = string

// npm runs scripts from the project root; paths on the command line are relative to where the user was.
const USER_CWD = process.env.INIT_CWD ?? process.cwd()

const FORMATS = new Set(['.jsonl', '.ndjson', '.json', '.html', '.htm', '.txt'])
const MAX_REJECTIONS_SHOWN = 10

const articlesText = (n: number) => `${n.toLocaleString('en')} article${n === 1 ? '' : 's'}`

/** Reads one file with readArticles, adding a line number to JSON errors and an origin to each article. */
async function readFileArticles(path: string): Promise<{ articles: ArticleInput[]; origins: Origin[] }> {
  const name = relative(USER_CWD, path) || path
  const ext = extname(path).toLowerCase()
  let articles: ArticleInput[]
  try {
    articles = await readArticles(path)
  } catch (err) {
    const message = (err as Error).message
    if (ext === '.json' && err instanceof SyntaxError) {
      const text = await readFile(path, 'utf8')
      const at = /position (\d+)/.exec(message)
      const line = at ? text.slice(0, Number(at[1])).split('\n').length : undefined
      throw new CliError(`${name}${line ? `:${line}` : ''}: not valid JSON (${message})`)
    }
    // JSONL positions count from the start of the line that readArticles names; say "column" for them.
    throw new CliError(
      message
        .replace(path, name)
        .replace(/at position (\d+)(?: \(line \d+ column \d+\))?/, (_, at: string) => `at column ${Number(at) + 1}`),
    )
  }
  let origins: Origin[] = articles.map(() => name)
  if (ext === '.jsonl' || ext === '.ndjson') {
    // readArticles skips blank lines: the n-th article is the n-th non-blank line.
    const text = await readFile(path, 'utf8')
    const lines: number[] = []
    text.split('\n').forEach((line, i) => {
      if (line.trim() !== '') lines.push(i + 1)
    })
    origins = articles.map((_, i) => `${name}:${lines[i] ?? '?'}`)
  } else if (ext === '.json' && articles.length > 1) origins = articles.map((_, i) => `${name} [${i}]`)
  articles.forEach((article, i) => {
    if (typeof article !== 'object' || article === null || Array.isArray(article))
      throw new CliError(`${origins[i]}: expected an article object, found ${JSON.stringify(article).slice(0, 60)}`)
  })
  return { articles, origins }
}

/** Fetches a URL: a page becomes one article with that url; a JSON or JSONL answer is read as articles. */
async function readUrl(url: string): Promise<{ articles: ArticleInput[]; origins: Origin[] }> {
  let res: Response
  try {
    res = await fetch(url, {
      headers: { accept: 'text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.5' },
      signal: AbortSignal.timeout(30_000),
    })
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause
    throw new CliError(`cannot fetch ${url}: ${cause?.code ?? cause?.message ?? (err as Error).message}`)
  }
  if (!res.ok) throw new CliError(`cannot fetch ${url}: it answered ${res.status} ${res.statusText}`)
  const type = (res.headers.get('content-type') ?? '').toLowerCase()
  const text = await res.text()
  if (type.includes('ndjson') || type.includes('jsonl')) {
    const articles = text
      .split('\n')
      .filter((l) => l.trim())
      .map((l, i) => {
        try {
          return JSON.parse(l) as ArticleInput
        } catch {
          throw new CliError(`${url}: line ${i + 1} is not JSON`)
        }
      })
    return { articles, origins: articles.map((_, i) => `${url} [${i}]`) }
  }
  if (type.includes('json')) {
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch (err) {
      throw new CliError(`${url}: not valid JSON (${(err as Error).message})`)
    }
    const list = Array.isArray(value) ? value : (value as { articles?: unknown }).articles
    const articles = (Array.isArray(list) ? list : [value]) as ArticleInput[]
    return { articles, origins: articles.map((_, i) => `${url} [${i}]`) }
  }
  if (type.startsWith('text/plain')) return { articles: [{ url, text }], origins: [url] }
  return { articles: [{ url, html: text }], origins: [url] }
}

/**
 * Corpus files (../shared/corpus) name an article's fields `id` and `body`; the webhook's ArticleInput calls
 * them `externalId` and `text`. Renamed only where the ArticleInput field is absent, so real input is untouched.
 */
function fromCorpusShape(article: ArticleInput): ArticleInput {
  const { id, body, ...rest } = article
  const out: ArticleInput = { ...rest }
  if (typeof id === 'string' && rest.externalId === undefined) out.externalId = id
  else if (id !== undefined) out.id = id
  if (typeof body === 'string' && rest.text === undefined && rest.html === undefined) out.text = body
  else if (body !== undefined) out.body = body
  return out
}

/** Reads every input in order: files, folders (their known files, sorted) and URLs. */
async function readInputs(inputs: string[]): Promise<{ articles: ArticleInput[]; origins: Origin[] }> {
  const articles: ArticleInput[] = []
  const origins: Origin[] = []
  const add = (part: { articles: ArticleInput[]; origins: Origin[] }) => {
    articles.push(...part.articles)
    origins.push(...part.origins)
  }
  for (const given of inputs) {
    if (/^https?:\/\//i.test(given)) {
      add(await readUrl(given))
      continue
    }
    const input = resolve(USER_CWD, given)
    const info = await stat(input).catch(() => {
      throw new CliError(`${given}: no such file or folder`)
    })
    if (info.isDirectory()) {
      const names = (await readdir(input)).filter((n) => FORMATS.has(extname(n).toLowerCase())).sort()
      if (names.length === 0) throw new CliError(`${given}: no .jsonl, .json, .html or .txt files in this folder`)
      for (const name of names) add(await readFileArticles(join(input, name)))
    } else add(await readFileArticles(input))
  }
  return { articles, origins }
}

async function main(): Promise<number> {
  const { values, positionals } = parseCommandLine(
    {
      allowPositionals: true,
      options: {
        source: { type: 'string' },
        lang: { type: 'string' },
        url: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    },
    'Run `npm run ingest -- --help` for usage.',
  )
  if (values.help) {
    process.stdout.write(HELP)
    return 0
  }
  if (positionals.length === 0) throw new CliError(`name a file, a folder or a URL to ingest.\n\n${HELP}`, 2)
  if (values.lang !== undefined && !/^[a-z]{2,3}(-[a-z0-9]{1,8})*$/i.test(values.lang))
    throw new CliError(`--lang must be a BCP 47 language tag such as en, ko or ja (got "${values.lang}")`, 2)

  const paint = styler(useColor(process.stdout))
  const read = await readInputs(positionals)
  const articles = read.articles.map(fromCorpusShape)
  const origins = read.origins
  if (articles.length === 0) throw new CliError(`no articles in ${positionals.join(', ')}`)
  for (const article of articles) {
    if (values.source !== undefined && article.source === undefined) article.source = values.source
    if (values.lang !== undefined && article.lang === undefined) article.lang = values.lang
  }
  if (values['dry-run']) {
    console.log(`Read ${articlesText(articles.length)} from ${positionals.join(', ')}; nothing sent (--dry-run).`)
    return 0
  }

  const base = (values.url ?? ingestUrl()).replace(/\/+$/, '')
  await ensureRunning(base, 'ingest worker', 'INGEST_PORT')
  const rejections: { origin: Origin; reason: string }[] = []
  const started = performance.now()
  let summary: Awaited<ReturnType<typeof ingestArticles>>
  try {
    summary = await ingestArticles(`${base}/webhooks/articles`, localSecrets().WEBHOOK_SECRET, articles, {
      label: 'Ingesting',
      onRejected: (index, result) => {
        rejections.push({ origin: origins[index] ?? `article ${index}`, reason: result.error ?? 'rejected' })
      },
    })
  } catch (err) {
    throw new CliError(
      `sending failed: ${(err as Error).message}. Is the ingest worker at ${base} still running (\`npm start\`)?`,
    )
  }
  const seconds = (performance.now() - started) / 1000
  const rate = seconds > 0 ? articles.length / seconds : articles.length

  const rows: [string, number][] = [
    ['created', summary.created],
    ['updated', summary.updated],
    ['unchanged', summary.unchanged],
    ['queued', summary.queued],
    ['deleted', summary.deleted],
    ['rejected', summary.rejected],
  ]
  const width = Math.max(...rows.map(([, n]) => n.toLocaleString('en').length))
  console.log(
    `\n${paint('bold', articlesText(articles.length))} sent to ${base} in ${seconds.toFixed(1)} s ` +
      `(${rate.toFixed(0)} articles/s)`,
  )
  for (const [label, n] of rows) {
    if (n === 0 && (label === 'queued' || label === 'deleted')) continue
    const count = n.toLocaleString('en').padStart(width)
    console.log(`  ${label.padEnd(10)} ${label === 'rejected' && n > 0 ? paint(['bold', 'red'], count) : count}`)
  }
  if (summary.failedBatches > 0) console.log(`  (${summary.failedBatches} batch(es) refused as a whole)`)
  if (rejections.length > 0) {
    console.log(`\n${paint('bold', 'First rejections:')}`)
    for (const { origin, reason } of rejections.slice(0, MAX_REJECTIONS_SHOWN)) console.log(`  ${origin}  ${reason}`)
    if (rejections.length > MAX_REJECTIONS_SHOWN)
      console.log(`  … and ${(rejections.length - MAX_REJECTIONS_SHOWN).toLocaleString('en')} more`)
    if (rejections.some((r) => /signature/i.test(r.reason)))
      console.log('\nThe signature was refused: set WEBHOOK_SECRET to the secret the ingest worker was started with.')
  }
  return summary.rejected > 0 ? 1 : 0
}

await run(main)
