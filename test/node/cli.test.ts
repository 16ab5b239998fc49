import { execFile } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { clean, snippetRuns, textWidth, wrapRuns } from '../../scripts/cli/terminal'
import { ROOT } from '../../scripts/lib/local-config'

// The CLI as users run it (a child process through tsx), against small stand-in servers: fast, no wrangler.
const SECRET = 'whsec_Y2xpLXRlc3Qtc2VjcmV0LWZvci1lZGdld2lyZQ=='
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx')

interface Run {
  code: number
  stdout: string
  stderr: string
}

function cli(script: 'ingest' | 'search', args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      TSX,
      [join(ROOT, 'scripts', 'cli', `${script}.ts`), ...args],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: '', FORCE_COLOR: '', WEBHOOK_SECRET: SECRET, ...env } },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    )
  })
}

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void

async function serve(handler: Handler): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    let body = ''
    req.setEncoding('utf8')
    req.on('data', (chunk: string) => {
      body += chunk
    })
    req.on('end', () => handler(req, body, res))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { server, port: (server.address() as AddressInfo).port }
}

const json = (res: ServerResponse, status: number, value: unknown, type = 'application/json') => {
  res.writeHead(status, { 'content-type': type })
  res.end(JSON.stringify(value))
}

const HIT = {
  id: 'a1',
  url: 'https://www.koreaherald.com/view.php?ud=1',
  title: 'Groundwork laid for GSOMIA\u001b[2J: Kang',
  source: 'The Korea Herald',
  author: 'Jo He-rim',
  published: '2019-11-22T01:00:00.000Z',
  lang: 'en',
  tags: [],
  score: 6.7,
  snippet: '… pull out from the <mark>GSOMIA</mark> on Aug. 23 &amp; said &lt;no&gt; …',
}

describe('npm run search', () => {
  let api: { server: Server; port: number }
  const seen: string[] = []

  beforeAll(async () => {
    api = await serve((req, _body, res) => {
      const url = new URL(req.url ?? '/', 'http://x')
      seen.push(url.search)
      if (url.pathname === '/healthz') return json(res, 200, { ok: true })
      if (url.searchParams.get('q') === 'refused')
        return json(
          res,
          400,
          {
            type: 'https://edgewire.dev/problems/invalid-parameter',
            title: 'Bad Request',
            status: 400,
            detail: 'Invalid query parameter: q.',
            errors: [{ pointer: '/q', detail: 'q: must be at most 256 characters' }],
          },
          'application/problem+json',
        )
      return json(res, 200, {
        query: url.searchParams.get('q'),
        total: 12,
        offset: 0,
        limit: 1,
        hits: [HIT],
        facets: { lang: [{ value: 'en', count: 12 }] },
        indexVersion: 3,
        tookMs: 1.5,
      })
    })
  })

  afterAll(() => api.server.close())

  it('prints title, source, date, url and the snippet with the match in bold inverse', async () => {
    const run = await cli('search', ['GSOMIA', '--lang', 'en', '--limit', '1', '--facets'], {
      SEARCH_PORT: String(api.port),
      FORCE_COLOR: '1',
    })
    expect(run.code).toBe(0)
    expect(seen.at(-1)).toContain('lang=en')
    expect(seen.at(-1)).toContain('facets=source%2Clang%2Ctags')
    expect(run.stdout).toContain('12 results for')
    expect(run.stdout).toContain('The Korea Herald · 2019-11-22 · Jo He-rim · en')
    expect(run.stdout).toContain('https://www.koreaherald.com/view.php?ud=1')
    expect(run.stdout).toContain('\u001b[7m\u001b[1mGSOMIA\u001b[22m\u001b[27m')
    expect(run.stdout).toContain('& said <no>')
    // An escape sequence inside a title never reaches the terminal.
    expect(run.stdout).not.toContain('\u001b[2J')
    expect(run.stdout).toContain('\u001b[1mlang:\u001b[22m en (12)')
    expect(run.stdout).toContain('Next page: npm run search -- GSOMIA --lang en --limit 1 --facets --page 2')
  })

  it('prints plain text when the output is not a terminal', async () => {
    const run = await cli('search', ['GSOMIA'], { SEARCH_PORT: String(api.port) })
    expect(run.stdout).not.toContain('\u001b[')
    expect(run.stdout).toContain('pull out from the GSOMIA on Aug. 23')
  })

  it('shows the problem the server reported, naming the parameter', async () => {
    const run = await cli('search', ['refused'], { SEARCH_PORT: String(api.port) })
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('400 Bad Request: Invalid query parameter: q.')
    expect(run.stderr).toContain('q: must be at most 256 characters')
  })

  it('checks its own options before asking', async () => {
    const run = await cli('search', ['x', '--limit', '0'], { SEARCH_PORT: String(api.port) })
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('--limit must be a whole number from 1 to 100')
  })

  it('says to run npm start when nothing listens', async () => {
    const run = await cli('search', ['GSOMIA'], { SEARCH_PORT: '9' })
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('cannot reach the search worker at http://127.0.0.1:9')
    expect(run.stderr).toContain('npm start')
  })

  it('explains itself with --help', async () => {
    const run = await cli('search', ['--help'])
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/^Usage: npm run search -- "query" \[options\]/)
  })
})

describe('npm run ingest', () => {
  let dir: string
  let hook: { server: Server; port: number }
  let page: { server: Server; port: number }
  const received: { type: string; data: { articles: Record<string, unknown>[] } }[] = []

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgewire-cli-'))
    const webhook = new Webhook(SECRET)
    hook = await serve((req, body, res) => {
      if (req.url === '/healthz') return json(res, 200, { ok: true })
      try {
        webhook.verify(body, {
          'webhook-id': String(req.headers['webhook-id']),
          'webhook-timestamp': String(req.headers['webhook-timestamp']),
          'webhook-signature': String(req.headers['webhook-signature']),
        })
      } catch {
        return json(res, 401, { title: 'Unauthorized', status: 401, detail: 'signature' })
      }
      const event = JSON.parse(body) as (typeof received)[number]
      received.push(event)
      const results = event.data.articles.map((a, i) =>
        a.title === 'bad'
          ? { status: 'rejected', error: '/url: must be an absolute http(s) URL' }
          : { id: `id${i}`, status: i === 0 ? 'created' : 'unchanged' },
      )
      json(res, 202, { results })
    })
    page = await serve((_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      res.end('<html><head><title>Local page</title></head><body><p>Hello from a page.</p></body></html>')
    })
  })

  afterAll(async () => {
    hook.server.close()
    page.server.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('signs, sends and sums up, naming the line of each rejected article', async () => {
    const file = join(dir, 'articles.jsonl')
    await writeFile(
      file,
      [
        JSON.stringify({ externalId: 'one', title: 'One', text: 'First.' }),
        JSON.stringify({ externalId: 'two', title: 'Two', text: 'Second.' }),
        '',
        JSON.stringify({ externalId: 'three', title: 'bad', url: 'ftp://x', text: 'Third.' }),
      ].join('\n'),
    )
    const run = await cli('ingest', [file], { INGEST_PORT: String(hook.port) })
    expect(run.code).toBe(1)
    expect(received.at(-1)?.type).toBe('article.batch')
    expect(received.at(-1)?.data.articles).toHaveLength(3)
    expect(run.stdout).toMatch(/3 articles sent to http:\/\/127\.0\.0\.1:\d+ in [\d.]+ s \(\d+ articles\/s\)/)
    expect(run.stdout).toMatch(/created\s+1\n\s+updated\s+0\n\s+unchanged\s+1\n\s+rejected\s+1/)
    expect(run.stdout).toContain('articles.jsonl:4  /url: must be an absolute http(s) URL')
    expect(run.stderr).toContain('3/3 articles')
  })

  it('reads the corpus shape { id, title, body } as { externalId, title, text }', async () => {
    const file = join(dir, 'corpus.jsonl')
    await writeFile(
      file,
      `${JSON.stringify({ id: 'reuters-1', title: 'BAHIA COCOA REVIEW', body: 'Showers continued.' })}\n`,
    )
    const run = await cli('ingest', [file], { INGEST_PORT: String(hook.port) })
    expect(run.code).toBe(0)
    expect(received.at(-1)?.data.articles[0]).toEqual({
      externalId: 'reuters-1',
      title: 'BAHIA COCOA REVIEW',
      text: 'Showers continued.',
    })
  })

  it('fetches a URL and sends it as html with that url', async () => {
    const url = `http://127.0.0.1:${page.port}/story`
    const run = await cli('ingest', [url, '--source', 'Local'], { INGEST_PORT: String(hook.port) })
    expect(run.code).toBe(0)
    const sent = received.at(-1)?.data.articles[0]
    expect(sent).toMatchObject({ url, source: 'Local' })
    expect(String(sent?.html)).toContain('Hello from a page.')
  })

  it('names the file and line of input that is not JSON, and sends nothing', async () => {
    const file = join(dir, 'broken.jsonl')
    await writeFile(file, '{"externalId":"a","text":"ok"}\n{"externalId": oops}\n')
    const before = received.length
    const run = await cli('ingest', [file], { INGEST_PORT: String(hook.port) })
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('broken.jsonl:2: not JSON')
    expect(received.length).toBe(before)
  })

  it('says to run npm start when the ingest worker is not running', async () => {
    const file = join(dir, 'one.txt')
    await writeFile(file, 'Some text.')
    const run = await cli('ingest', [file], { INGEST_PORT: '9' })
    expect(run.code).toBe(1)
    expect(run.stderr).toContain('cannot reach the ingest worker')
    expect(run.stderr).toContain('npm start')
  })

  it('refuses unknown options with a pointer to --help', async () => {
    const run = await cli('ingest', ['--frobnicate'])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('npm run ingest -- --help')
  })
})

describe('terminal output', () => {
  it('wraps CJK text at the width, counting each character as two columns', () => {
    const lines = wrapRuns(snippetRuns('二段落目の<mark>地震</mark>について震源の深さを更新した'), 20, (t) => `[${t}]`)
    expect(lines.every((l) => textWidth(l.replace(/[[\]]/g, '')) <= 20)).toBe(true)
    expect(lines.join('')).toBe('二段落目の[地震]について震源の深さを更新した')
  })

  it('wraps Latin text at spaces', () => {
    const lines = wrapRuns(snippetRuns('the quick brown <mark>fox</mark> jumps over the lazy dog'), 16, (t) =>
      t.toUpperCase(),
    )
    expect(lines).toEqual(['the quick brown', 'FOX jumps over', 'the lazy dog'])
  })

  it('removes control characters and bidirectional overrides from article text', () => {
    expect(clean('a\u001b[31mred\u0007\u202e b\n c')).toBe('a[31mred b c')
  })
})
