/**
 * The search page's script, compiled by `npm run build:page` (scripts/build-page.ts) into a static asset. The browser
 * test in test/node/browser.test.ts drives every path of it. Security rule: values from articles are set with
 * textContent or as attribute values; only a snippet that passes SAFE_SNIPPET (escaped text and <mark></mark>) goes
 * in as HTML, and only http(s) urls become links.
 */
import type { SearchResponse, StatsResponse, SuggestResponse } from '@edgewire/shared/api-schemas'
import type { Article } from '@edgewire/shared/article'
import { HELP } from './help'
import { SAFE_SNIPPET } from './snippet'

type Sort = 'relevance' | 'newest' | 'oldest'
type FacetName = 'source' | 'lang' | 'tags'
/** The filter parameters of /search (and of the page's URL). */
type Param = 'source' | 'lang' | 'tag'

interface State {
  q: string
  sort: Sort
  source: string[]
  lang: string[]
  tag: string[]
  from: string
  to: string
  limit: number
  page: number
  /** the open article, if any */
  id: string
}

interface RenderOptions {
  /** focus the result link of this article (coming back from it) */
  focusId?: string
  /** focus the results heading (after paging) */
  focusResults?: boolean
  /** recorded in the history entry: where the next one was opened from */
  marker?: string
}

type Facets = NonNullable<SearchResponse['facets']>
/** A hit or an article, as far as the page reads them: every field is checked before it is shown. */
type Shown = Partial<Record<keyof Article | 'snippet', unknown>>

const SORTS: readonly Sort[] = ['relevance', 'newest', 'oldest']
const isSort = (v: string | null): v is Sort => SORTS.some((s) => s === v)
// [facet name in /search, filter parameter, heading]
const FACETS: readonly (readonly [FacetName, Param, string])[] = [
  ['source', 'source', 'Source'],
  ['lang', 'lang', 'Language'],
  ['tags', 'tag', 'Tag'],
]
const DEFAULT_LIMIT = 10
const MAX_OFFSET = 10000
const MAX_QUERY = 256
const DEBOUNCE_MS = 150
const FACET_VALUES_SHOWN = 8
const CACHE_MS = 30000
const CACHE_ENTRIES = 50

/** The element with this id, of this type; the page's HTML (index.html) has each of them. */
function byId<T extends HTMLElement>(id: string, type: new () => T): T {
  const node = document.getElementById(id)
  if (!(node instanceof type)) throw new Error(`The page has no ${type.name} #${id}.`)
  return node
}
const form = byId('search-form', HTMLFormElement)
const input = byId('q', HTMLInputElement)
const listbox = byId('suggestions', HTMLUListElement)
const sortSelect = byId('sort', HTMLSelectElement)
const fromInput = byId('from', HTMLInputElement)
const toInput = byId('to', HTMLInputElement)
const facetsEl = byId('facets', HTMLDivElement)
const clearButton = byId('clear-filters', HTMLButtonElement)
const statusEl = byId('status', HTMLParagraphElement)
const errorEl = byId('error', HTMLDivElement)
const resultsEl = byId('results', HTMLOListElement)
const pagerEl = byId('pager', HTMLElement)
const welcomeEl = byId('welcome', HTMLDivElement)
const resultsView = byId('results-view', HTMLElement)
const resultsHeading = byId('results-heading', HTMLHeadingElement)
const articleView = byId('article-view', HTMLElement)
const filtersEl = byId('filters', HTMLElement)
const filterPanel = byId('filter-panel', HTMLDivElement)
const filtersToggle = byId('filters-toggle', HTMLButtonElement)
const layoutEl = byId('layout', HTMLDivElement)

const languageNames =
  typeof Intl.DisplayNames === 'function' ? new Intl.DisplayNames(['en'], { type: 'language' }) : null
const dateFormat = new Intl.DateTimeFormat('en', { dateStyle: 'medium', timeZone: 'UTC' })

// Read at load: readState and what it calls (isSort, the constants) are defined above this line.
let state = readState()
let typing = false
let debounceTimer = 0
let searchSeq = 0
let searchAbort: AbortController | null = null
let suggestAbort: AbortController | null = null
let articleAbort: AbortController | null = null
let activeOption = -1
const cache = new Map<string, { at: number; body: unknown }>()

// ---- small helpers -------------------------------------------------------------------------------------

type Attrs = Record<string, string | number | boolean | null | undefined>
type Child = Node | string | null | undefined | false

/** Creates an element; strings among children become text nodes, never markup. */
function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag)
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue
    if (key === 'text') node.textContent = String(value)
    else if (key === 'class') node.className = String(value)
    else node.setAttribute(key, value === true ? '' : String(value))
  }
  for (const child of children) if (child !== null && child !== undefined && child !== false) node.append(child)
  return node
}
const vh = (text: string) => h('span', { class: 'vh', text })
const plainClick = (e: MouseEvent) => e.button === 0 && !e.metaKey && !e.ctrlKey && !e.shiftKey && !e.altKey
const str = (v: unknown): string => (typeof v === 'string' ? v : '')
const langTag = (v: unknown): string | null =>
  typeof v === 'string' && /^[a-z]{2,3}(-[a-z0-9]{1,8})*$/i.test(v) ? v : null
function languageName(code: string): string {
  if (code === 'und') return 'Unknown'
  try {
    return languageNames?.of(code) || code
  } catch {
    return code
  }
}
function formatDate(iso: string): string {
  const d = new Date(iso)
  return Number.isNaN(d.getTime()) ? iso : dateFormat.format(d)
}
function safeUrl(u: unknown): string | null {
  try {
    const url = new URL(str(u))
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null
  } catch {
    return null
  }
}
const hostOf = (u: unknown) => {
  const url = safeUrl(u)
  return url ? new URL(url).host : ''
}
const isWikinews = (a: Shown) => /wikinews/i.test(str(a.source)) || /(^|\.)wikinews\.org$/i.test(hostOf(a.url))
const sourceName = (a: Shown) => str(a.source) || hostOf(a.url) || 'Unknown source'

// ---- state in the URL ----------------------------------------------------------------------------------

function readState(): State {
  const p = new URLSearchParams(location.search)
  const int = (name: string, fallback: number, min: number, max: number) => {
    const n = Number.parseInt(p.get(name) || '', 10)
    return n >= min && n <= max ? n : fallback
  }
  const day = (v: string | null) => (v && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : '')
  const sort = p.get('sort')
  return {
    q: (p.get('q') || '').slice(0, MAX_QUERY),
    sort: isSort(sort) ? sort : 'relevance',
    source: p.getAll('source'),
    lang: p.getAll('lang'),
    tag: p.getAll('tag'),
    from: day(p.get('from')),
    to: day(p.get('to')),
    limit: int('limit', DEFAULT_LIMIT, 1, 100),
    page: int('page', 1, 1, 100000),
    id: p.get('id') || '',
  }
}

/** The page's own address for a state: what back/forward and sharing see. */
function pageUrl(s: State): string {
  const p = new URLSearchParams()
  if (s.q) p.set('q', s.q)
  for (const [, param] of FACETS) for (const v of s[param]) p.append(param, v)
  if (s.from) p.set('from', s.from)
  if (s.to) p.set('to', s.to)
  if (s.sort !== 'relevance') p.set('sort', s.sort)
  if (s.limit !== DEFAULT_LIMIT) p.set('limit', String(s.limit))
  if (s.page > 1) p.set('page', String(s.page))
  if (s.id) p.set('id', s.id)
  const query = p.toString()
  return location.pathname + (query ? `?${query}` : '')
}

function searchParams(s: State): URLSearchParams {
  const p = new URLSearchParams({
    q: s.q,
    limit: String(s.limit),
    sort: s.sort,
    facets: FACETS.map((f) => f[0]).join(','),
  })
  p.set('offset', String(Math.min((s.page - 1) * s.limit, MAX_OFFSET)))
  for (const [, param] of FACETS) for (const v of s[param]) p.append(param, v)
  if (s.from) p.set('from', s.from)
  // The date input names a day; the filter means "up to the end of that day".
  if (s.to) p.set('to', `${s.to}T23:59:59.999Z`)
  return p
}

const hasFilters = (s: State) => s.source.length + s.lang.length + s.tag.length > 0 || Boolean(s.from || s.to)

/** Moves to a new state: a new history entry ('push') or the current one rewritten ('replace'). */
function navigate(next: State, mode: 'push' | 'replace', options?: RenderOptions): void {
  state = next
  const url = pageUrl(state)
  if (mode === 'push' && url !== location.pathname + location.search)
    history.pushState(options?.marker ? { from: options.marker } : null, '', url)
  else history.replaceState(history.state, '', url)
  render(options)
}

function commitQuery(q: string): void {
  clearTimeout(debounceTimer)
  typing = false
  closeSuggestions()
  navigate({ ...state, q: q.slice(0, MAX_QUERY), page: 1, id: '' }, 'push')
}

// ---- fetching ------------------------------------------------------------------------------------------

/** An answer other than 2xx, with the problem's own words when it sent some. */
class HttpError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message)
  }
}

const isAbort = (err: unknown) => err instanceof Error && err.name === 'AbortError'

/** The JSON answer of one of the search worker's routes (the type is what the route promises; fields are checked where shown). */
async function getJSON<T>(url: string, signal?: AbortSignal): Promise<T> {
  const res = await fetch(url, { ...(signal ? { signal } : {}), headers: { accept: 'application/json' } })
  const type = res.headers.get('content-type') || ''
  const body: unknown = type.includes('json') ? await res.json().catch(() => null) : null
  if (!res.ok) {
    const problem = (body ?? {}) as { detail?: unknown; title?: unknown }
    throw new HttpError(str(problem.detail) || str(problem.title) || `The server answered ${res.status}.`, res.status)
  }
  if (!body) throw new Error('The server sent an unexpected answer.')
  return body as T
}

async function cachedJSON<T>(url: string, signal: AbortSignal): Promise<T> {
  const hit = cache.get(url)
  if (hit && Date.now() - hit.at < CACHE_MS) return hit.body as T
  const body = await getJSON<T>(url, signal)
  cache.set(url, { at: Date.now(), body })
  const oldest = cache.keys().next()
  if (cache.size > CACHE_ENTRIES && !oldest.done) cache.delete(oldest.value)
  return body
}

function showError(err: unknown): void {
  const offline = err instanceof TypeError
  errorEl.replaceChildren(
    h('p', {
      text: offline
        ? 'Search is not reachable right now. Check that the server is running, then try again.'
        : err instanceof Error
          ? err.message
          : String(err),
    }),
  )
  errorEl.hidden = false
}

// ---- rendering -----------------------------------------------------------------------------------------

function render(options?: RenderOptions): void {
  if (input.value !== state.q) input.value = state.q
  sortSelect.value = state.sort
  fromInput.value = state.from
  toInput.value = state.to
  clearButton.hidden = !hasFilters(state)
  if (state.id) void showArticle()
  else void showResults(options)
}

/** Shows or hides the sort control (it sorts results; the welcome has none). */
function showSort(shown: boolean): void {
  if (sortSelect.parentElement) sortSelect.parentElement.hidden = !shown
}

async function showResults(options?: RenderOptions): Promise<void> {
  articleView.hidden = true
  resultsView.hidden = false
  filtersEl.hidden = false
  layoutEl.classList.remove('reading')
  articleAbort?.abort()
  document.title = state.q ? `${state.q} – Edgewire search` : 'Edgewire search'
  const seq = ++searchSeq
  searchAbort?.abort()
  if (!state.q.trim() && !hasFilters(state)) return showWelcome(seq)
  searchAbort = new AbortController()
  resultsView.setAttribute('aria-busy', 'true')
  const signal = searchAbort.signal
  // A facet with a value chosen is counted without its own filter, so its other values stay on offer
  // (values of one facet are alternatives: source=A&source=B means either).
  const others = FACETS.filter(([, param]) => state[param].length > 0).map(([name, param]) => {
    const p = searchParams({ ...state, [param]: [], page: 1 })
    p.set('limit', '1')
    p.set('offset', '0')
    p.set('facets', name)
    return cachedJSON<SearchResponse>(`/search?${p}`, signal)
      .then((d) => [name, d.facets?.[name]] as const)
      .catch(() => [name, null] as const)
  })
  let data: SearchResponse
  try {
    data = await cachedJSON<SearchResponse>(`/search?${searchParams(state)}`, signal)
    const facets: Facets = { ...(data.facets || {}) }
    for (const [name, counts] of await Promise.all(others)) if (Array.isArray(counts)) facets[name] = counts
    data = { ...data, facets }
  } catch (err) {
    if (seq !== searchSeq || isAbort(err)) return
    resultsView.removeAttribute('aria-busy')
    statusEl.textContent = ''
    showError(err)
    return
  }
  if (seq !== searchSeq) return
  resultsView.removeAttribute('aria-busy')
  paintResults(data)
  if (options?.focusId) {
    const link = [...resultsEl.querySelectorAll<HTMLAnchorElement>('a[data-id]')].find(
      (a) => a.dataset.id === options.focusId,
    )
    link?.focus()
  } else if (options?.focusResults) resultsHeading.focus()
}

async function showWelcome(seq: number): Promise<void> {
  errorEl.hidden = true
  resultsEl.replaceChildren()
  pagerEl.replaceChildren()
  facetsEl.replaceChildren()
  statusEl.textContent = ''
  showSort(false)
  const examples = h('ul', null, ...HELP.examples.map((q) => h('li', null, exampleLink(q))))
  const count = h('p')
  const latest = h('ol', { class: 'latest' })
  welcomeEl.replaceChildren(h('h3', { text: HELP.heading }), count, h('p', { text: HELP.hint }), examples, latest)
  welcomeEl.hidden = false
  // An empty query lists the newest articles: something to read before typing anything.
  const [stats, newest] = await Promise.all([
    getJSON<StatsResponse>('/stats').catch(() => null),
    getJSON<SearchResponse>('/search?q=&sort=newest&limit=5').catch(() => null),
  ])
  if (seq !== searchSeq) return
  if (stats && typeof stats.documents === 'number')
    count.textContent = `${stats.documents.toLocaleString('en')} articles are searchable now.`
  const hits = newest && Array.isArray(newest.hits) ? newest.hits : []
  if (hits.length > 0)
    latest.replaceWith(
      h('h3', { text: 'Latest' }),
      h('ol', { class: 'latest' }, ...hits.map((hit) => renderHit(hit, 'h4'))),
    )
}

function exampleLink(q: string): HTMLAnchorElement {
  const a = h('a', {
    href: pageUrl({ ...readState(), q, page: 1, id: '' }),
    text: q,
    lang: /[가-힣]/.test(q) ? 'ko' : /[ぁ-んァ-ン一-龯]/.test(q) ? 'ja' : null,
  })
  a.addEventListener('click', (e) => {
    if (!plainClick(e)) return
    e.preventDefault()
    commitQuery(q)
  })
  return a
}

function paintResults(data: SearchResponse): void {
  welcomeEl.hidden = true
  showSort(true)
  errorEl.hidden = true
  const hits = Array.isArray(data.hits) ? data.hits : []
  const total = typeof data.total === 'number' ? data.total : hits.length
  const offset = typeof data.offset === 'number' ? data.offset : 0
  const quoted = state.q ? ` for “${state.q}”` : ''
  const took = typeof data.tookMs === 'number' ? ` (${data.tookMs} ms)` : ''
  if (total === 0) statusEl.textContent = `No results${quoted}.${hasFilters(state) ? ' Try removing a filter.' : ''}`
  else if (hits.length === 0)
    statusEl.textContent = `${total.toLocaleString('en')} results${quoted}, none on this page.`
  else
    statusEl.textContent =
      (total === 1
        ? '1 result'
        : `${(offset + 1).toLocaleString('en')}–${(offset + hits.length).toLocaleString('en')} of ${total.toLocaleString('en')} results`) +
      quoted +
      took
  resultsEl.replaceChildren(...hits.map((hit) => renderHit(hit)))
  paintFacets(data.facets)
  paintPager(total)
}

function renderHit(hit: Shown, level: 'h3' | 'h4' = 'h3'): HTMLLIElement {
  const lang = langTag(hit.lang)
  const id = str(hit.id)
  const link = h('a', { href: pageUrl({ ...state, id }), 'data-id': id, text: str(hit.title) || '(untitled)' })
  link.addEventListener('click', (e) => {
    if (!plainClick(e)) return
    e.preventDefault()
    navigate({ ...state, id }, 'push', { marker: 'results' })
  })
  const meta = h('p', { class: 'meta' }, h('span', { class: 'source', text: sourceName(hit) }))
  const published = str(hit.published)
  if (published) meta.append(h('time', { datetime: published, text: formatDate(published) }))
  if (str(hit.author)) meta.append(h('span', { text: str(hit.author) }))
  if (lang) meta.append(h('span', { text: languageName(lang) }))
  const original = safeUrl(hit.url)
  if (original)
    meta.append(
      h(
        'a',
        { href: original, rel: 'noopener noreferrer', class: 'original', text: hostOf(original) },
        vh(' (original article)'),
      ),
    )
  const snippet = h('p', { class: 'snippet', lang })
  setSnippet(snippet, hit.snippet)
  return h('li', { class: 'hit' }, h('article', null, h(level, { lang }, link), meta, snippet))
}

/** Inserts a snippet as HTML only when it holds nothing but escaped text and <mark></mark>. */
function setSnippet(node: HTMLElement, snippet: unknown): void {
  if (typeof snippet !== 'string' || snippet === '') node.hidden = true
  else if (SAFE_SNIPPET.test(snippet)) node.innerHTML = snippet
  else node.textContent = new DOMParser().parseFromString(snippet, 'text/html').body.textContent || ''
}

function paintFacets(facets: SearchResponse['facets']): void {
  // Re-rendering replaces the checkboxes: keep keyboard focus on the one that was just toggled.
  const active = document.activeElement
  const focused = active instanceof HTMLElement ? active.dataset.facet : undefined
  const groups: HTMLFieldSetElement[] = []
  for (const [name, param, heading] of FACETS) {
    const listed = facets?.[name]
    const counts = Array.isArray(listed) ? listed.filter((f) => f && typeof f.value === 'string') : []
    const countOf = new Map(counts.map((f) => [f.value, f.count]))
    const values = counts.slice(0, FACET_VALUES_SHOWN).map((f) => f.value)
    for (const v of state[param]) if (!values.includes(v)) values.push(v)
    if (values.length === 0) continue
    const list = h('ul')
    values.forEach((value, i) => {
      const id = `f-${param}-${i}`
      const box = h('input', { type: 'checkbox', id, 'data-facet': JSON.stringify([param, value]) })
      box.checked = state[param].includes(value)
      box.addEventListener('change', () => {
        const rest = state[param].filter((v) => v !== value)
        navigate({ ...state, [param]: box.checked ? rest.concat(value) : rest, page: 1, id: '' }, 'push')
      })
      const label = param === 'lang' ? languageName(value) : value
      const n = Number(countOf.get(value) ?? 0)
      list.append(
        h(
          'li',
          null,
          box,
          h(
            'label',
            { for: id },
            h('span', { class: 'v', text: label }),
            h('span', { class: 'count' }, vh(', '), n.toLocaleString('en'), vh(n === 1 ? ' article' : ' articles')),
          ),
        ),
      )
    })
    groups.push(h('fieldset', { class: 'facet' }, h('legend', { text: heading }), list))
  }
  facetsEl.replaceChildren(...groups)
  if (focused) {
    const again = [...facetsEl.querySelectorAll<HTMLInputElement>('input[data-facet]')].find(
      (b) => b.dataset.facet === focused,
    )
    again?.focus()
  }
}

function paintPager(total: number): void {
  const reachable = Math.min(total, MAX_OFFSET + state.limit)
  const pages = Math.ceil(reachable / state.limit)
  if (pages <= 1) {
    pagerEl.replaceChildren()
    return
  }
  const current = Math.min(state.page, pages)
  const item = (page: number, text: string, label?: string): HTMLElement => {
    if (page < 1 || page > pages) return h('span', { class: 'off', 'aria-hidden': 'true', text })
    if (page === current && !label) return h('span', { 'aria-current': 'page', text })
    const a = h('a', {
      href: pageUrl({ ...state, page }),
      'data-page': page,
      'aria-label': label || `Page ${page}`,
      text,
    })
    a.addEventListener('click', (e) => {
      if (!plainClick(e)) return
      e.preventDefault()
      navigate({ ...state, page }, 'push', { focusResults: true })
    })
    return a
  }
  const parts = [item(current - 1, '‹ Previous', 'Previous page')]
  let last = 0
  for (let p = 1; p <= pages; p++) {
    if (p !== 1 && p !== pages && Math.abs(p - current) > 2) continue
    if (p - last > 1) parts.push(h('span', { class: 'gap', 'aria-hidden': 'true', text: '…' }))
    parts.push(item(p, String(p)))
    last = p
  }
  parts.push(item(current + 1, 'Next ›', 'Next page'))
  pagerEl.replaceChildren(...parts)
}

// ---- the article view ----------------------------------------------------------------------------------

async function showArticle(): Promise<void> {
  resultsView.hidden = true
  articleView.hidden = false
  // Filters act on results; while reading they would only distract.
  filtersEl.hidden = true
  layoutEl.classList.add('reading')
  closeSuggestions()
  articleAbort?.abort()
  articleAbort = new AbortController()
  const id = state.id
  articleView.replaceChildren(backLink(), h('p', { role: 'status', text: 'Loading the article…' }))
  let article: Shown
  try {
    article = await getJSON<Shown>(`/articles/${encodeURIComponent(id)}`, articleAbort.signal)
  } catch (err) {
    if (isAbort(err) || state.id !== id) return
    const text =
      err instanceof HttpError && err.status === 404
        ? 'This article is not available (it may have been removed).'
        : err instanceof Error
          ? err.message
          : String(err)
    articleView.replaceChildren(backLink(), h('div', { class: 'error', role: 'alert' }, h('p', { text })))
    return
  }
  if (state.id !== id) return
  paintArticle(article)
}

function backLink(): HTMLAnchorElement {
  const target = { ...state, id: '' }
  const a = h('a', { href: pageUrl(target), class: 'back', text: target.q ? '← Back to results' : '← Search' })
  a.addEventListener('click', (e) => {
    if (!plainClick(e)) return
    e.preventDefault()
    // Opened from the results: going back restores that entry (and its scroll position) instead of adding one.
    const entry: unknown = history.state
    if (entry && typeof entry === 'object' && 'from' in entry && entry.from === 'results') history.back()
    else navigate(target, 'push')
  })
  return a
}

function paintArticle(a: Shown): void {
  const lang = langTag(a.lang)
  const title = str(a.title) || '(untitled)'
  document.title = `${title} – Edgewire`
  const meta = h('p', { class: 'meta' }, h('span', { class: 'source', text: sourceName(a) }))
  const by = str(a.byline) || str(a.author)
  if (by) meta.append(h('span', { text: by }))
  const published = str(a.published)
  if (published) meta.append(h('time', { datetime: published, text: formatDate(published) }))
  if (lang) meta.append(h('span', { text: languageName(lang) }))
  if (typeof a.wordCount === 'number') meta.append(h('span', { text: `${a.wordCount.toLocaleString('en')} words` }))
  const original = safeUrl(a.url)
  let attribution: HTMLParagraphElement | null = null
  if (isWikinews(a)) {
    attribution = h(
      'p',
      { class: 'attribution' },
      'From Wikinews, the free news source; text licensed under CC BY 2.5. ',
    )
    if (original)
      attribution.append(h('a', { href: original, rel: 'noopener noreferrer', text: 'Read the original on Wikinews' }))
  } else if (original) {
    attribution = h(
      'p',
      { class: 'attribution' },
      'Original: ',
      h('a', { href: original, rel: 'noopener noreferrer', text: hostOf(original) }),
    )
  }
  const body = h('div', { class: 'body', lang })
  for (const paragraph of str(a.body).split(/\n\s*\n/)) {
    const text = paragraph.trim()
    if (text) body.append(h('p', { text }))
  }
  const tags = Array.isArray(a.tags) ? a.tags.filter((t): t is string => typeof t === 'string' && t !== '') : []
  const tagList = tags.length
    ? h(
        'ul',
        { class: 'tags', 'aria-label': 'Tags' },
        ...tags.map((t) =>
          h(
            'li',
            null,
            h('a', {
              href: pageUrl({ ...readState(), q: '', tag: [t], source: [], lang: [], page: 1, id: '' }),
              text: t,
            }),
          ),
        ),
      )
    : null
  const heading = h('h2', { id: 'article-title', tabindex: '-1', lang, text: title })
  articleView.replaceChildren(
    backLink(),
    h('article', { 'aria-labelledby': 'article-title' }, heading, meta, attribution, body, tagList),
  )
  heading.focus()
}

// ---- suggestions (ARIA combobox with a listbox popup) ----------------------------------------------------

async function suggest(q: string): Promise<void> {
  suggestAbort?.abort()
  if (!q.trim()) return closeSuggestions()
  suggestAbort = new AbortController()
  let data: SuggestResponse
  try {
    data = await getJSON<SuggestResponse>(`/suggest?q=${encodeURIComponent(q)}`, suggestAbort.signal)
  } catch {
    return
  }
  if (input.value !== q || document.activeElement !== input) return
  const typed = q.trim().toLowerCase()
  const seen = new Set([typed])
  const items: string[] = []
  for (const s of Array.isArray(data.suggestions) ? data.suggestions : []) {
    const text = str(s?.text)
    if (text && !seen.has(text.toLowerCase())) items.push(text)
    seen.add(text.toLowerCase())
  }
  showSuggestions(items.slice(0, 8), typed)
}

function showSuggestions(items: string[], typed: string): void {
  activeOption = -1
  listbox.replaceChildren(
    ...items.map((text, i) => {
      // The typed part stays plain and the completion is bold, as in most search boxes.
      const li = text.toLowerCase().startsWith(typed)
        ? h(
            'li',
            { id: `suggestion-${i}`, role: 'option', 'aria-selected': 'false' },
            text.slice(0, typed.length),
            h('b', { text: text.slice(typed.length) }),
          )
        : h('li', { id: `suggestion-${i}`, role: 'option', 'aria-selected': 'false', text })
      li.dataset.value = text
      li.addEventListener('mousedown', (e) => e.preventDefault())
      li.addEventListener('click', () => chooseSuggestion(text))
      return li
    }),
  )
  listbox.hidden = items.length === 0
  input.setAttribute('aria-expanded', String(items.length > 0))
  input.removeAttribute('aria-activedescendant')
}

function closeSuggestions(): void {
  suggestAbort?.abort()
  activeOption = -1
  listbox.hidden = true
  listbox.replaceChildren()
  input.setAttribute('aria-expanded', 'false')
  input.removeAttribute('aria-activedescendant')
}

function setActiveOption(i: number): void {
  const options = [...listbox.children]
  activeOption = i
  options.forEach((o, k) => {
    o.setAttribute('aria-selected', String(k === i))
  })
  const active = options[i]
  if (active) {
    input.setAttribute('aria-activedescendant', active.id)
    active.scrollIntoView({ block: 'nearest' })
  } else input.removeAttribute('aria-activedescendant')
}

function chooseSuggestion(text: string): void {
  input.value = text
  commitQuery(text)
}

// ---- events --------------------------------------------------------------------------------------------

input.addEventListener('input', () => {
  clearTimeout(debounceTimer)
  debounceTimer = window.setTimeout(() => {
    const q = input.value
    // The first change after a committed search gets its own history entry; further keystrokes rewrite it.
    navigate({ ...state, q: q.slice(0, MAX_QUERY), page: 1, id: '' }, typing ? 'replace' : 'push')
    typing = true
    void suggest(q)
  }, DEBOUNCE_MS)
})

input.addEventListener('keydown', (e) => {
  const options = listbox.hidden ? [] : [...listbox.querySelectorAll<HTMLLIElement>('li')]
  if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
    if (options.length === 0) return
    e.preventDefault()
    const n = options.length
    setActiveOption(e.key === 'ArrowDown' ? (activeOption + 1) % n : activeOption <= 0 ? n - 1 : activeOption - 1)
  } else if (e.key === 'Enter') {
    const chosen = options[activeOption]
    if (chosen) {
      e.preventDefault()
      chooseSuggestion(chosen.dataset.value || '')
    }
  } else if (e.key === 'Escape') {
    e.preventDefault()
    if (options.length > 0) closeSuggestions()
    else if (input.value) {
      input.value = ''
      commitQuery('')
    }
  } else if (e.key === 'Tab') closeSuggestions()
})

input.addEventListener('blur', () => closeSuggestions())

form.addEventListener('submit', (e) => {
  e.preventDefault()
  commitQuery(input.value)
})

sortSelect.addEventListener('change', () => {
  const sort = sortSelect.value
  navigate({ ...state, sort: isSort(sort) ? sort : 'relevance', page: 1, id: '' }, 'push')
})
fromInput.addEventListener('change', () => navigate({ ...state, from: fromInput.value, page: 1, id: '' }, 'push'))
toInput.addEventListener('change', () => navigate({ ...state, to: toInput.value, page: 1, id: '' }, 'push'))
filtersToggle.addEventListener('click', () => {
  const open = filterPanel.classList.toggle('open')
  filtersToggle.setAttribute('aria-expanded', String(open))
  filtersToggle.textContent = open ? 'Hide filters' : 'Show filters'
})
clearButton.addEventListener('click', () => {
  navigate({ ...state, source: [], lang: [], tag: [], from: '', to: '', page: 1, id: '' }, 'push')
  input.focus()
})

window.addEventListener('popstate', () => {
  const previous = state.id
  state = readState()
  typing = false
  closeSuggestions()
  render(previous && !state.id ? { focusId: previous } : undefined)
})

document.documentElement.classList.add('js')
render()
