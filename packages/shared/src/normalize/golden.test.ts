/// <reference types="vite/client" />
/**
 * Golden cases: real pages and texts in test/fixtures/extraction/<case>/ (origin in its README.md), each with
 * the expected title, byline, published date and body. One loop runs them all; `npm run goldens:update`
 * regenerates the expectations on purpose.
 */
import { describe, expect, it } from 'vitest'
import { GOLDEN_NOW, goldenInput, goldenView } from '../../../../test/fixtures/extraction/golden-view'
import { normalizeArticle } from './normalize-article'

// Bundled at build time by Vite, so the test needs no file system inside workerd.
const sources = import.meta.glob<string>('../../../../test/fixtures/extraction/*/source.{html,txt}', {
  query: '?raw',
  import: 'default',
  eager: true,
})
const inputs = import.meta.glob<Record<string, unknown>>('../../../../test/fixtures/extraction/*/input.json', {
  import: 'default',
  eager: true,
})
const expectations = import.meta.glob<Record<string, unknown>>('../../../../test/fixtures/extraction/*/expected.json', {
  import: 'default',
  eager: true,
})
/** Fields read off each source by hand (checked.json), apart from the generated expected.json: see the README. */
interface Checked {
  note: string
  title: string
  byline: string | null
  firstParagraph: string
  lastParagraph: string
  /** fields the normalizer still gets wrong, each with what it does instead */
  knownMisses?: Partial<Record<CheckedField, string>>
}
type CheckedField = 'title' | 'byline' | 'firstParagraph' | 'lastParagraph'
const CHECKED_FIELDS: readonly CheckedField[] = ['title', 'byline', 'firstParagraph', 'lastParagraph']
const checkedFiles = import.meta.glob<Checked>('../../../../test/fixtures/extraction/*/checked.json', {
  import: 'default',
  eager: true,
})

function caseName(path: string): string {
  return path.split('/').slice(-2, -1)[0] ?? path
}

const cases = Object.entries(sources).map(([path, source]) => {
  const folder = path.slice(0, path.lastIndexOf('/'))
  return {
    name: caseName(path),
    source: path.endsWith('.html') ? { html: source } : { text: source },
    input: inputs[`${folder}/input.json`] ?? {},
    expected: expectations[`${folder}/expected.json`],
    checked: checkedFiles[`${folder}/checked.json`],
  }
})

describe('golden extraction cases', () => {
  it('finds the fixtures', () => {
    expect(cases.length).toBeGreaterThanOrEqual(9)
  })
  for (const c of cases) {
    it(`extracts ${c.name} as expected`, async () => {
      expect(c.expected, `${c.name} has no expected.json: run npm run goldens:update`).toBeDefined()
      const article = await normalizeArticle(goldenInput(c.input, c.source), GOLDEN_NOW)
      expect(goldenView(article)).toEqual(c.expected)
    })
  }
})

describe('golden extraction cases against fields checked by hand', () => {
  const normalized = new Map<string, ReturnType<typeof normalizeArticle>>()
  const normalize = (c: (typeof cases)[number]) => {
    const article = normalized.get(c.name) ?? normalizeArticle(goldenInput(c.input, c.source), GOLDEN_NOW)
    normalized.set(c.name, article)
    return article
  }
  it('has checked.json for every case', () => {
    expect(cases.filter((c) => c.checked === undefined).map((c) => c.name)).toEqual([])
  })
  for (const c of cases) {
    const checked = c.checked
    if (checked === undefined) continue
    for (const field of CHECKED_FIELDS) {
      const miss = checked.knownMisses?.[field]
      // A known miss is asserted to still be one: when the normalizer gets it right, move it out of knownMisses.
      const test = miss === undefined ? it : it.fails
      test(`${c.name}: ${field}${miss === undefined ? '' : ` (known miss: ${miss})`}`, async () => {
        const article = await normalize(c)
        const paragraphs = article.body.split('\n\n')
        const actual = {
          title: article.title,
          byline: article.byline,
          firstParagraph: paragraphs[0],
          lastParagraph: paragraphs[paragraphs.length - 1],
        }
        expect(actual[field]).toBe(checked[field])
      })
    }
  }
})

describe('the seed article (issue 3)', () => {
  const seed = cases.find((c) => c.name === 'seed-koreaherald')
  it('comes out with its exact headline, its byline, and neither navigation nor the cut-off byline in the body', async () => {
    expect(seed).toBeDefined()
    if (seed === undefined) return
    const article = await normalizeArticle(goldenInput(seed.input, seed.source), GOLDEN_NOW)
    expect(article.title).toBe('Groundwork laid for negotiation on Tokyo’s trade curbs, GSOMIA: Kang')
    expect(article.byline).toBe('By Jo He-rim')
    expect(article.body).not.toContain('Back To Top')
    expect(article.body).not.toContain('By Jo He-rim')
    expect(article.body.startsWith('South Korean Foreign Minister Kang Kyung-wha said Friday')).toBe(true)
    expect(article.body.endsWith('the Foreign Ministry said.')).toBe(true)
  })
})
