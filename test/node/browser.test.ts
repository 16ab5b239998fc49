import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { delimiter, join } from 'node:path'
import { type Browser, chromium, type Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type DevServers, startDevServers } from '../../scripts/lib/dev-servers'
import { ROOT } from '../../scripts/lib/local-config'
import { WebhookClient } from '../../scripts/lib/webhook-client'
import { eventually } from '../eventually'
import { BROWSER_ARTICLES } from './lib/browser-fixtures'

// The search page in Debian's Chromium, against both workers under `wrangler dev`, fed through the signed webhook.
// Chromium is found on PATH (as .ci/run installs it) or at EDGEWIRE_CHROMIUM. Under CI a missing browser fails the
// run; elsewhere the test is skipped, and says so in its name and on stderr (vitest hides console output of tests).
const CHROMIUM = findChromium()
const IN_CI = Boolean(process.env.CI) && process.env.CI !== 'false'
const MISSING = 'Chromium is not installed (apt-get install chromium; .ci/run does), nor named by EDGEWIRE_CHROMIUM'
if (!CHROMIUM && !IN_CI) process.stderr.write(`\nSkipping the browser test: ${MISSING}.\n\n`)

function findChromium(): string | null {
  const named = process.env.EDGEWIRE_CHROMIUM
  if (named) return existsSync(named) ? named : null
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of ['chromium', 'chromium-browser']) {
      if (dir && existsSync(join(dir, name))) return join(dir, name)
    }
  }
  return null
}

if (!CHROMIUM && IN_CI) {
  describe('the search page in headless Chromium', () => {
    it('has a Chromium to run in (CI must not skip the browser test)', () => {
      throw new Error(MISSING)
    })
  })
}

const SECRET = 'whsec_YnJvd3Nlci10ZXN0LXNlY3JldC1mb3ItZWRnZXdpcmU='
// Apart from e2e.test.ts (18787–19287) so both may run at once.
const BASE_PORT = 19300 + Math.floor(Math.random() * 300) * 2
const ARTIFACTS = join(ROOT, 'test-results', 'browser')
/** `UPDATE_DOCS_SCREENSHOT=1` also refreshes the README's screenshot. */
const DOCS_SCREENSHOT = process.env.UPDATE_DOCS_SCREENSHOT === '1' ? join(ROOT, 'docs', 'search-page.png') : null

let dir: string
let servers: DevServers | undefined
let browser: Browser | undefined
let page: Page
const problems: string[] = []
const requests: string[] = []

const totalFor = async (q: string) => {
  const res = await fetch(`${servers?.search}/search?q=${encodeURIComponent(q)}`)
  return ((await res.json()) as { total: number }).total
}

/** The number at the start of the result count ("1–2 of 5 results …" → 5, "1 result" → 1). */
async function shownTotal(): Promise<number> {
  const text = (await page.locator('#status').textContent()) ?? ''
  const match = /of ([\d,]+) results|^(1) result\b/.exec(text)
  return Number((match?.[1] ?? match?.[2] ?? 'NaN').replaceAll(',', ''))
}

describe.skipIf(!CHROMIUM)(`the search page in headless Chromium${CHROMIUM ? '' : ` (skipped: ${MISSING})`}`, () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgewire-browser-'))
    // wrangler's dev registry (how ingest finds the search worker's Durable Object) is global and keyed by
    // worker name: with `npm start` or another test running, ingest would write to their index. A private
    // registry keeps this pair to itself; startDevServers passes the environment on to wrangler.
    process.env.WRANGLER_REGISTRY_PATH = join(dir, 'registry')
    servers = await startDevServers({
      ingestPort: BASE_PORT,
      searchPort: BASE_PORT + 1,
      persistTo: join(dir, 'state'),
      vars: { WEBHOOK_SECRET: SECRET, ADMIN_TOKEN: 'browser-admin' },
      output: 'ignore',
      // The page as `npm start` serves it: through the wrangler dev CLI (e2e.test.ts covers the programmatic API).
      via: 'wrangler dev',
    })
    const client = new WebhookClient(`${servers.ingest}/webhooks/articles`, SECRET)
    const sent = await client.send('article.batch', { articles: BROWSER_ARTICLES })
    expect(sent.status).toBe(202)
    expect(sent.results.map((r) => r.status)).toEqual(BROWSER_ARTICLES.map(() => 'created'))
    expect(
      await eventually(
        () => totalFor('lighthouse'),
        (n) => n >= 5,
      ),
    ).toBeGreaterThanOrEqual(5)

    await mkdir(ARTIFACTS, { recursive: true })
    browser = await chromium.launch({
      executablePath: CHROMIUM ?? undefined,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    })
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-US' })
    context.setDefaultTimeout(15_000)
    page = await context.newPage()
    // Script errors and CSP violations (which Chromium logs as console errors) fail the last test.
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`))
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console: ${msg.text()}`)
    })
    page.on('request', (req) => requests.push(new URL(req.url()).pathname))
  })

  afterAll(async () => {
    await browser?.close()
    await servers?.stop()
    delete process.env.WRANGLER_REGISTRY_PATH
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('shows highlighted results while the query is typed, with suggestions', async () => {
    await page.goto(`${servers?.search}/`)
    const box = page.getByRole('combobox', { name: 'Search articles' })
    await box.pressSequentially('lighth', { delay: 40 })
    await page.locator('#results mark').first().waitFor()
    expect(await page.locator('#status').textContent()).toMatch(/results? for “lighth”/)
    expect(new URL(page.url()).searchParams.get('q')).toBe('lighth')
    expect(requests).toContain('/search')
    expect(requests).toContain('/suggest')
    // Only <mark> comes in as markup; the highlighted word is the one typed.
    const marked = await page.locator('#results mark').allTextContents()
    expect(marked.some((m) => m.toLowerCase().startsWith('lighth'))).toBe(true)

    const suggestions = page.getByRole('listbox', { name: 'Suggestions' })
    await suggestions.getByRole('option').first().waitFor()
    await box.press('ArrowDown')
    const active = await box.getAttribute('aria-activedescendant')
    expect(active).toBeTruthy()
    expect(await page.locator(`#${active}`).getAttribute('aria-selected')).toBe('true')
    const chosen = (await page.locator(`#${active}`).textContent()) ?? ''
    await box.press('Enter')
    await page.waitForURL((url) => url.searchParams.get('q') === chosen)
    await expect.poll(() => suggestions.isHidden()).toBe(true)
    expect(await box.getAttribute('aria-expanded')).toBe('false')
    await page.locator('#results mark').first().waitFor()
    await page.screenshot({ path: join(ARTIFACTS, 'results.png'), fullPage: true })
  })

  it('closes suggestions with Esc, then clears the query with a second Esc', async () => {
    await page.goto(`${servers?.search}/`)
    const box = page.getByRole('combobox', { name: 'Search articles' })
    await box.pressSequentially('keep', { delay: 30 })
    await page.getByRole('option').first().waitFor()
    await box.press('Escape')
    await expect.poll(() => page.getByRole('listbox', { name: 'Suggestions' }).isHidden()).toBe(true)
    expect(await box.inputValue()).toBe('keep')
    await box.press('Escape')
    expect(await box.inputValue()).toBe('')
    await page.waitForURL((url) => !url.searchParams.has('q'))
    // With no query the page lists the newest articles.
    await expect
      .poll(() => page.locator('#welcome .latest time').first().getAttribute('datetime'))
      .toMatch(/^2025-05-02/)
  })

  it('filters by a source facet, keeps the filter in the URL, and Back undoes it', async () => {
    await page.goto(`${servers?.search}/?q=lighthouse`)
    await page.locator('#results li').first().waitFor()
    const before = await shownTotal()
    await page.getByRole('checkbox', { name: /Harbour Gazette/ }).check()
    await page.waitForURL((url) => url.searchParams.getAll('source').includes('Harbour Gazette'))
    await expect.poll(shownTotal).toBe(3)
    expect(await page.locator('#results .source').allTextContents()).toEqual(Array(3).fill('Harbour Gazette'))
    // The re-rendered checkbox keeps the keyboard focus and its state.
    expect(await page.evaluate(() => document.activeElement?.getAttribute('type'))).toBe('checkbox')
    expect(await page.getByRole('checkbox', { name: /Harbour Gazette/ }).isChecked()).toBe(true)
    // The other sources stay on offer, counted as if this one were not chosen; a second one widens the results.
    await page.getByRole('checkbox', { name: /Coastal Times/ }).check()
    await page.waitForURL((url) => url.searchParams.getAll('source').length === 2)
    await expect.poll(shownTotal).toBe(4)
    await page.screenshot({ path: join(ARTIFACTS, 'facet.png'), fullPage: true })
    await page.goBack()
    await expect.poll(shownTotal).toBe(3)
    await page.goBack()
    await expect.poll(shownTotal).toBe(before)
    expect(await page.getByRole('checkbox', { name: /Harbour Gazette/ }).isChecked()).toBe(false)
  })

  it('filters by language and by date', async () => {
    await page.goto(`${servers?.search}/?q=lighthouse`)
    await page.locator('#results li').first().waitFor()
    await page.getByLabel('From', { exact: true }).fill('2024-03-01')
    await page.waitForURL((url) => url.searchParams.get('from') === '2024-03-01')
    await expect.poll(shownTotal).toBe(3)
    await page.getByLabel('To', { exact: true }).fill('2024-03-10')
    await page.waitForURL((url) => url.searchParams.get('to') === '2024-03-10')
    // "To" includes the whole day: the article of 10 March at 18:00 is still in.
    await expect.poll(shownTotal).toBe(2)
    await page.getByRole('button', { name: 'Clear filters' }).click()
    await page.waitForURL((url) => !url.searchParams.has('from') && !url.searchParams.has('to'))
    await page.getByRole('checkbox', { name: /English/ }).check()
    await page.waitForURL((url) => url.searchParams.get('lang') === 'en')
    expect(
      await page.locator('#results h3').evaluateAll((hs) => hs.every((h) => h.getAttribute('lang') === 'en')),
    ).toBe(true)
  })

  it('sorts newest first and pages through the results', async () => {
    await page.goto(`${servers?.search}/?q=lighthouse&limit=2`)
    await page.locator('#results li').first().waitFor()
    const total = await shownTotal()
    expect(total).toBeGreaterThanOrEqual(5)
    await page.getByLabel('Sort by').selectOption('newest')
    await page.waitForURL((url) => url.searchParams.get('sort') === 'newest')
    await expect.poll(() => page.locator('#results time').first().getAttribute('datetime')).toMatch(/^2024-03-20/)
    const dates = await page
      .locator('#results time')
      .evaluateAll((ts) => ts.map((t) => t.getAttribute('datetime') ?? ''))
    expect([...dates].sort().reverse()).toEqual(dates)

    await page.getByRole('navigation', { name: 'Result pages' }).getByRole('link', { name: 'Next page' }).click()
    await page.waitForURL((url) => url.searchParams.get('page') === '2')
    await expect.poll(() => page.locator('#status').textContent()).toMatch(new RegExp(`^3–4 of ${total} results`))
    expect(await page.locator('[aria-current="page"]').textContent()).toBe('2')
    // Paging moves focus to the results, so keyboard users start reading at the top.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('results-heading')
  })

  it('opens an article as text paragraphs, credits Wikinews, and returns to the same result', async () => {
    await page.goto(`${servers?.search}/?q=keepers`)
    const link = page.locator('#results a[data-id]').first()
    await link.waitFor()
    const title = (await link.textContent()) ?? ''
    const id = (await link.getAttribute('data-id')) ?? ''
    await link.click()
    await page.waitForURL((url) => url.searchParams.get('id') === id)
    const heading = page.locator('#article-view h2')
    await heading.waitFor()
    expect(await heading.textContent()).toBe(title)
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('article-title')
    expect(await page.locator('#article-view .body p').count()).toBeGreaterThanOrEqual(2)
    const credit = page.getByRole('link', { name: 'Read the original on Wikinews' })
    expect(await credit.getAttribute('href')).toBe(
      'https://en.wikinews.org/wiki/Last_lighthouse_keepers_leave_Skerry_Rock',
    )
    await page.screenshot({ path: join(ARTIFACTS, 'article.png'), fullPage: true })

    await page.getByRole('link', { name: '← Back to results' }).click()
    await page.waitForURL((url) => !url.searchParams.has('id') && url.searchParams.get('q') === 'keepers')
    await page.locator('#results a[data-id]').first().waitFor()
    await expect.poll(() => page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.id)).toBe(id)
  })

  it('finds and shows Korean and Japanese articles, marked with their language', async () => {
    await page.goto(`${servers?.search}/`)
    const box = page.getByRole('combobox', { name: 'Search articles' })
    await box.fill('월식')
    await page.locator('#results h3[lang="ko"]').first().waitFor()
    expect(await page.locator('#results .snippet[lang="ko"] mark').first().textContent()).toContain('월식')
    expect(await page.locator('#results h3').first().textContent()).toContain('월식')
    await page.screenshot({ path: join(ARTIFACTS, 'korean.png'), fullPage: true })

    await box.fill('地震')
    await page.locator('#results h3[lang="ja"]').first().waitFor()
    expect(await page.locator('#results .snippet[lang="ja"] mark').first().textContent()).toContain('地震')
    await page.getByRole('checkbox', { name: /Japanese/ }).check()
    await page.waitForURL((url) => url.searchParams.get('lang') === 'ja')
    await page.screenshot({ path: join(ARTIFACTS, 'japanese.png'), fullPage: true })
  })

  it('shows values from articles as text, never as markup', async () => {
    await page.goto(`${servers?.search}/?q=${encodeURIComponent('beacon fund')}`)
    await page.locator('#results li').first().waitFor()
    expect(await page.locator('#results img, #results script, #results b').count()).toBe(0)
    await page.locator('#results a[data-id]').first().click()
    await page.locator('#article-view h2').waitFor()
    expect(await page.locator('#article-view img, #article-view script').count()).toBe(0)
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined()
  })

  it('shows where keyboard focus is', async () => {
    await page.goto(`${servers?.search}/?q=lighthouse`)
    await page.locator('#results li').first().waitFor()
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur())
    await page.keyboard.press('Tab')
    const outline = await page.evaluate(() => {
      const el = document.activeElement
      return el ? getComputedStyle(el).outlineStyle : 'none'
    })
    expect(outline).not.toBe('none')
    if (DOCS_SCREENSHOT) {
      await mkdir(join(ROOT, 'docs'), { recursive: true })
      await page.locator('#q').fill('lighthouse')
      await page.locator('#results mark').first().waitFor()
      await page.locator('#q').blur()
      await page.screenshot({ path: DOCS_SCREENSHOT })
    }
  })

  it('folds the filters behind a button on a phone-sized screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 })
    try {
      await page.goto(`${servers?.search}/?q=lighthouse`)
      await page.locator('#results li').first().waitFor()
      const source = page.getByRole('checkbox', { name: /Harbour Gazette/ })
      expect(await source.isVisible()).toBe(false)
      const toggle = page.getByRole('button', { name: 'Show filters' })
      await toggle.click()
      expect(await source.isVisible()).toBe(true)
      expect(await page.getByRole('button', { name: 'Hide filters' }).getAttribute('aria-expanded')).toBe('true')
      await page.screenshot({ path: join(ARTIFACTS, 'phone.png') })
    } finally {
      await page.setViewportSize({ width: 1280, height: 860 })
    }
  })

  it('renders the API reference at /docs from /openapi.json, under the same policy', async () => {
    await page.goto(`${servers?.search}/docs`)
    await page.getByRole('heading', { name: 'GET /search' }).waitFor()
    expect(await page.getByRole('heading', { name: 'POST /webhooks/articles' }).count()).toBe(1)
    expect(await page.getByRole('heading', { name: 'Schemas' }).count()).toBe(1)
    await page.screenshot({ path: join(ARTIFACTS, 'docs.png'), fullPage: false })
  })

  it('logged no script errors and no Content-Security-Policy violations', () => {
    expect(problems).toEqual([])
  })
})
