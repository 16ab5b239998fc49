import { articleIdFor, canonicalizeUrl, normalizeArticle } from '@edgewire/shared'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { SEARCH, SELF, sendEvent } from './helpers'

// The invariants of normalization that delivery relies on: an article's id depends only on what identifies it, and
// its content hash only on its content, so a redelivery is recognized as the same article and `unchanged` whatever
// the sender varied (tracking parameters, letter case of the host, Unicode form, line endings, when it was sent).

const word = fc.constantFrom(
  'copper',
  'harbour',
  'minister',
  'election',
  'rainfall',
  'exports',
  'ceasefire',
  'tariff',
  'Seoul',
  'Tokyo',
  'quarterly',
  'shipment',
  'cafe\u0301',
  'Ångström',
  '무역',
  '協定',
)
const sentence = fc.array(word, { minLength: 6, maxLength: 14 }).map((w) => `${w.join(' ')}.`)
const paragraph = fc.array(sentence, { minLength: 1, maxLength: 4 }).map((s) => s.join(' '))
const body = fc.array(paragraph, { minLength: 1, maxLength: 5 })
const segment = fc.stringMatching(/^[a-z0-9-]{1,12}$/)
const host = fc.tuple(segment, fc.constantFrom('com', 'org', 'co.kr', 'jp')).map(([h, tld]) => `${h}.${tld}`)
const path = fc.array(segment, { minLength: 1, maxLength: 4 }).map((p) => `/${p.join('/')}`)
const keptParams = fc.array(fc.tuple(fc.constantFrom('id', 'page', 'ud', 'p'), segment), { maxLength: 2 })
const tracking = fc.array(
  fc.tuple(fc.constantFrom('utm_source', 'utm_medium', 'utm_campaign', 'fbclid', 'gclid'), segment),
  { maxLength: 3 },
)

/** The same page as a sender might link it: host in any case, tracking parameters anywhere, any fragment. */
const urlVariants = fc
  .record({
    scheme: fc.constantFrom('http', 'https'),
    host,
    path,
    kept: keptParams,
    tracking,
    fragment: fc.option(segment, { nil: undefined }),
    upper: fc.boolean(),
    defaultPort: fc.boolean(),
    seed: fc.nat(),
  })
  .map((u) => {
    const base = `${u.scheme}://${u.host}${u.path}`
    const query = (pairs: [string, string][]) =>
      pairs.length ? `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}` : ''
    const plain = `${base}${query(u.kept)}`
    const mixed: [string, string][] = [...u.kept]
    for (const [i, t] of u.tracking.entries()) mixed.splice((u.seed + i) % (mixed.length + 1), 0, t)
    const port = u.defaultPort ? (u.scheme === 'https' ? ':443' : ':80') : ''
    const hostVariant = u.upper ? u.host.toUpperCase() : u.host
    const variant = `${u.scheme}://${hostVariant}${port}${u.path}${query(mixed)}${u.fragment ? `#${u.fragment}` : ''}`
    return { plain, variant }
  })

const runs = { numRuns: 80 }
const T1 = new Date('2024-05-01T00:00:00Z')
const T2 = new Date('2025-09-09T09:09:09Z')

describe('normalization invariants (properties)', () => {
  it('gives every variant of one url the same id and the same canonical url', async () => {
    await fc.assert(
      fc.asyncProperty(urlVariants, async ({ plain, variant }) => {
        expect(await articleIdFor({ url: variant })).toBe(await articleIdFor({ url: plain }))
        const canonical = canonicalizeUrl(variant)
        expect(canonical).toBe(canonicalizeUrl(plain))
        const parsed = new URL(canonical)
        expect(parsed.hostname).toBe(parsed.hostname.toLowerCase())
        expect(parsed.hash).toBe('')
        expect([...parsed.searchParams.keys()].filter((k) => /^utm_|^fbclid$|^gclid$/.test(k))).toEqual([])
        expect(canonicalizeUrl(canonical)).toBe(canonical)
      }),
      runs,
    )
  })

  it('lets the url decide the id when both url and externalId are sent, and keeps different pages apart', async () => {
    await fc.assert(
      fc.asyncProperty(urlVariants, urlVariants, segment, segment, async (a, b, ext1, ext2) => {
        const id = await articleIdFor({ url: a.plain, externalId: ext1 })
        expect(await articleIdFor({ url: a.variant, externalId: ext2 })).toBe(id)
        expect(id).toMatch(/^[0-9a-f]{32}$/)
        if (canonicalizeUrl(a.plain) !== canonicalizeUrl(b.plain)) {
          expect(await articleIdFor({ url: b.plain })).not.toBe(id)
        }
        // An externalId never collides with a url, even one spelled like it.
        expect(await articleIdFor({ externalId: a.plain })).not.toBe(id)
      }),
      runs,
    )
  })

  it('is deterministic: the same input at another time gives the same id, hash, title and body', async () => {
    await fc.assert(
      fc.asyncProperty(urlVariants, body, fc.boolean(), async ({ plain }, paragraphs, asHtml) => {
        const input = asHtml
          ? { url: plain, html: `<article>${paragraphs.map((p) => `<p>${p}</p>`).join('')}</article>` }
          : { url: plain, text: paragraphs.join('\n\n') }
        const [a, b] = [await normalizeArticle(input, T1), await normalizeArticle(input, T2)]
        expect({ ...a, ingestedAt: '', updatedAt: '' }).toEqual({ ...b, ingestedAt: '', updatedAt: '' })
      }),
      runs,
    )
  })

  it('gives the same content hash whatever the Unicode form, line endings or trailing spaces', async () => {
    await fc.assert(
      fc.asyncProperty(body, async (paragraphs) => {
        const text = paragraphs.join('\n\n')
        const nfc = await normalizeArticle({ externalId: 'forms', text: text.normalize('NFC') }, T1)
        const nfd = await normalizeArticle({ externalId: 'forms', text: text.normalize('NFD') }, T1)
        const crlf = await normalizeArticle({ externalId: 'forms', text: paragraphs.join(' \r\n\r\n') }, T1)
        expect(nfd.contentHash).toBe(nfc.contentHash)
        expect(nfd.body).toBe(nfc.body)
        expect(nfc.body).toBe(nfc.body.normalize('NFC'))
        expect(crlf.contentHash).toBe(nfc.contentHash)
      }),
      runs,
    )
  })

  it('changes the content hash when the words change', async () => {
    await fc.assert(
      fc.asyncProperty(body, sentence, async (paragraphs, extra) => {
        const before = await normalizeArticle({ externalId: 'edit', text: paragraphs.join('\n\n') }, T1)
        const after = await normalizeArticle(
          { externalId: 'edit', text: [...paragraphs, `Update: ${extra}`].join('\n\n') },
          T1,
        )
        fc.pre(after.body !== before.body)
        expect(after.contentHash).not.toBe(before.contentHash)
        expect(after.id).toBe(before.id)
      }),
      runs,
    )
  })

  it('stores through the webhook exactly what normalization makes, and a resend is unchanged', async () => {
    let n = 0
    await fc.assert(
      fc.asyncProperty(urlVariants, body, async ({ plain, variant }, paragraphs) => {
        const url = `${plain}${plain.includes('?') ? '&' : '?'}n=${n++}`
        const first = await sendEvent('article.upsert', { url, text: paragraphs.join('\n\n') })
        const [created] = ((await first.json()) as { results: { id: string; status: string }[] }).results
        expect(created?.status).toBe('created')
        const stored = (await (await SELF.fetch(`${SEARCH}/articles/${created?.id}`)).json()) as { body: string }
        const expected = await normalizeArticle({ url, text: paragraphs.join('\n\n') }, T1)
        expect(stored.body).toBe(expected.body)
        expect(created?.id).toBe(expected.id)
        // The sender resends under a new webhook-id, linking the variant with tracking parameters and a fragment.
        const resendUrl = variant.replace(/(#.*)?$/, (hash) => `${variant.includes('?') ? '&' : '?'}n=${n - 1}${hash}`)
        const again = await sendEvent('article.upsert', { url: resendUrl, text: paragraphs.join('\r\n\r\n') })
        const [resent] = ((await again.json()) as { results: { id: string; status: string }[] }).results
        expect(resent).toMatchObject({ id: created?.id, status: 'unchanged' })
      }),
      { numRuns: 25 },
    )
  })
})
