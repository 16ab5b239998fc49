import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Analyzer, DEFAULT_ANALYZER } from './analyzer'
import { analyzeDoc } from './doc-terms'
import sample from './fixtures/news-sample.json'
import { Segment } from './segment'
import { FINISH_STEP_WORK, SegmentBuilder, utf8Length } from './segment-builder'
import { FORMAT_VERSION, SegmentFormatError } from './segment-format'
import type { IndexDoc } from './types'

const article: IndexDoc = {
  id: 'a-1',
  title: 'Cocoa review',
  body: 'Showers in Bahia. 일본의 방류. 宮城県沖で地震。',
  url: 'https://news.example/a-1',
  source: 'Reuters',
  author: null,
  lang: 'en',
  tags: ['cocoa', 'brazil'],
  published: Date.UTC(1987, 1, 26),
}

function bytesOf(docs: IndexDoc[]): Uint8Array {
  const builder = new SegmentBuilder()
  for (const d of docs) builder.add(d)
  return builder.finish()
}

describe('Segment format', () => {
  it('starts with the magic and the format version', () => {
    const bytes = bytesOf([article])
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe('EWSG')
    expect(new DataView(bytes.buffer).getUint32(4, true)).toBe(FORMAT_VERSION)
  })

  it('refuses another format version', () => {
    const bytes = bytesOf([article])
    new DataView(bytes.buffer).setUint32(4, FORMAT_VERSION + 1, true)
    expect(() => Segment.open(bytes)).toThrow(SegmentFormatError)
  })

  it('refuses bytes that are not a segment', () => {
    expect(() => Segment.open(new TextEncoder().encode('{"not":"a segment"}'.repeat(20)))).toThrow(SegmentFormatError)
    expect(() => Segment.open(new Uint8Array(3))).toThrow(SegmentFormatError)
  })

  it('refuses a segment built by another analyzer', () => {
    const builder = new SegmentBuilder({ analyzer: new Analyzer({ stemmer: 'none' }) })
    builder.add(article)
    expect(() => Segment.open(builder.finish())).toThrow(/analyzer/)
  })

  it('opens bytes at an unaligned offset', () => {
    const bytes = bytesOf([article])
    const shifted = new Uint8Array(bytes.length + 3)
    shifted.set(bytes, 3)
    expect(Segment.open(shifted.subarray(3)).docId(0)).toBe('a-1')
  })

  it('stores every field a hit needs (property)', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 40 })
    const arbitraryDoc = fc.record({
      id: fc.string({ minLength: 1, maxLength: 20 }),
      title: text,
      body: text,
      url: fc.option(fc.webUrl(), { nil: null }),
      source: fc.option(fc.string({ maxLength: 10 }), { nil: null }),
      author: fc.option(fc.string({ maxLength: 10 }), { nil: null }),
      lang: fc.constantFrom('en', 'ko', 'ja', 'en-GB'),
      tags: fc.uniqueArray(fc.string({ maxLength: 8 }), { maxLength: 4 }),
      published: fc.option(fc.integer({ min: 0, max: 4e12 }), { nil: null }),
    })
    fc.assert(
      fc.property(fc.uniqueArray(arbitraryDoc, { selector: (d) => d.id, maxLength: 8 }), (docs) => {
        const segment = Segment.open(bytesOf(docs))
        expect(segment.docCount).toBe(docs.length)
        docs.forEach((d, i) => {
          expect(segment.document(i)).toEqual({ ...d, url: d.url === '' ? null : d.url })
        })
      }),
      { numRuns: 40 },
    )
  })

  it('stores bodies of every UTF-8 width, a lone surrogate as U+FFFD (TextEncoder), each where measured', () => {
    const bodies = [
      'plain',
      'café é',
      '宮城県沖で地震',
      'rocket 🚀🚀',
      'lone \ud800 high',
      'end \ud800',
      '\udc00 low first',
      '',
    ]
    const docs = bodies.map((body, i) => ({ ...article, id: `u-${i}`, body }))
    const segment = Segment.open(bytesOf(docs))
    const roundTrip = (text: string) => new TextDecoder().decode(new TextEncoder().encode(text))
    bodies.forEach((body, i) => {
      expect(segment.body(i)).toBe(roundTrip(body))
    })
  })
})

describe('utf8Length', () => {
  it('measures what TextEncoder writes, lone surrogates included (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (text) => {
        expect(utf8Length(text)).toBe(new TextEncoder().encode(text).length)
      }),
      { numRuns: 500 },
    )
    expect(utf8Length('a\ud83d\ude80\ud800')).toBe(1 + 4 + 3)
  })
})

describe('Packing in steps', () => {
  /** Reuters-21578 and Wikinews articles (fixtures/news-sample.json), each many times under another id. */
  const copies: IndexDoc[] = Array.from({ length: 60 }, (_, copy) =>
    sample.map((d) => ({ ...article, id: `${d.id}-${copy}`, title: d.title, body: d.body, lang: d.lang })),
  ).flat()

  it('pauses after every step of work and packs the same bytes as finish()', () => {
    const builder = new SegmentBuilder()
    const whole = new SegmentBuilder()
    for (const d of copies) {
      builder.add(d)
      whole.add(d)
    }
    const postings = copies.reduce((n, d) => n + analyzeDoc(DEFAULT_ANALYZER, d).size, 0)
    const steps = builder.finishInSteps()
    let pauses = 0
    let step = steps.next()
    while (!step.done) {
      pauses++
      step = steps.next()
    }
    // Inverting and encoding each count every posting: a pause at least every FINISH_STEP_WORK of them, in both.
    expect(postings).toBeGreaterThan(4 * FINISH_STEP_WORK)
    expect(pauses).toBeGreaterThanOrEqual(2 * Math.floor(postings / FINISH_STEP_WORK))
    expect(step.value).toEqual(whole.finish())
  })
})
