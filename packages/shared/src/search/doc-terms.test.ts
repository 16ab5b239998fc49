import { describe, expect, it } from 'vitest'
import { DEFAULT_ANALYZER } from './analyzer'
import { analyzeDoc, FIELD_POSITION_GAP, MAX_TF, TermPool } from './doc-terms'
import { indexDoc } from './fixtures/index-doc'
import sample from './fixtures/news-sample.json'

/** What the packed analysis must hold, counted the plain way: per term, title tf, body tf and positions. */
function counted(title: string, body: string): Map<string, { title: number; body: number; positions: number[] }> {
  const out = new Map<string, { title: number; body: number; positions: number[] }>()
  const add = (term: string, position: number, field: 'title' | 'body'): void => {
    const entry = out.get(term) ?? { title: 0, body: 0, positions: [] }
    entry[field] = Math.min(MAX_TF, entry[field] + 1)
    if (entry.positions.at(-1) !== position) entry.positions.push(position)
    out.set(term, entry)
  }
  const end = DEFAULT_ANALYZER.scan(title, (term, _s, _e, position) => add(term, position, 'title'))
  DEFAULT_ANALYZER.scan(
    body,
    (term, _s, _e, p) => add(term, p, 'body'),
    undefined,
    end === 0 ? 0 : end + FIELD_POSITION_GAP,
  )
  return out
}

describe('a document’s packed analysis', () => {
  it('holds every term of real articles once, sorted, with its title and body frequency and positions', () => {
    // Reuters, Korean and Japanese Wikinews: compounds, repeated words, titles that repeat the body.
    for (const d of sample) {
      const doc = indexDoc(d.id, d.title, d.body, { lang: d.lang })
      const analysed = analyzeDoc(DEFAULT_ANALYZER, doc)
      const expected = counted(doc.title, doc.body)
      expect([...analysed.terms]).toEqual([...expected.keys()].sort())
      for (const [term, want] of expected) {
        const i = analysed.indexOf(term)
        expect([analysed.titleTf(i), analysed.bodyTf(i), analysed.positionsOf(term)]).toEqual([
          want.title,
          want.body,
          want.positions,
        ])
      }
      expect(analysed.indexOf('\uffff not a term')).toBe(-1)
      expect(analysed.positionsOf('')).toBeUndefined()
    }
  })

  it('caps a frequency at MAX_TF and keeps one spelling per term in a pool', () => {
    const pool = new TermPool()
    const body = 'market '.repeat(MAX_TF + 40)
    const first = analyzeDoc(DEFAULT_ANALYZER, indexDoc('a', 'Market', body), pool)
    const second = analyzeDoc(DEFAULT_ANALYZER, indexDoc('b', 'Market close', 'Close.'), pool)
    const i = first.indexOf('market')
    expect([first.titleTf(i), first.bodyTf(i), first.positionsAt(i).length]).toEqual([1, MAX_TF, MAX_TF + 41])
    expect([first.titleLength, first.bodyLength]).toEqual([1, MAX_TF + 40])
    expect(pool.size).toBe(new Set([...first.terms, ...second.terms]).size)
  })
})
