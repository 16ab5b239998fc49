import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Analyzer, DEFAULT_ANALYZER } from './analyzer'
import { analyzeDoc } from './doc-terms'
import sample from './fixtures/news-sample.json'
import { SearchIndex } from './search-index'
import { Segment, splitSegment } from './segment'
import { FINISH_STEP_WORK, SegmentBuilder, utf8Length } from './segment-builder'
import { BODY_BLOCK_BYTES, FORMAT_VERSION, SegmentFormatError } from './segment-format'
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

  it('finds each of its terms, in any script, where JS order puts it, and no word it lacks (property)', () => {
    // Letters of every UTF-8 width, and both sides of the one place UTF-8 byte order and JS order disagree: U+FFxx
    // (three bytes, here U+FA0E, a CJK letter) sorts after a character outside the BMP (four bytes) in UTF-8, before
    // it in JS.
    const letter = fc.constantFrom('a', 'b', 'z', '0', 'é', 'ß', 'ж', '한', '국', 'の', '日', '본', '﨎', '𠀋', '𝒜')
    const word = fc.array(letter, { minLength: 1, maxLength: 6 }).map((l) => l.join(''))
    fc.assert(
      fc.property(
        fc.array(fc.array(word, { maxLength: 12 }), { minLength: 1, maxLength: 5 }),
        fc.array(word),
        (bodies, probes) => {
          const docs = bodies.map((words, i) => ({ ...article, id: `d${i}`, title: '', body: words.join(' ') }))
          const segment = Segment.open(bytesOf(docs))
          const terms = [...segment.termList()]
          expect(terms).toEqual([...terms].sort())
          expect(terms.length).toBe(segment.termCount)
          terms.forEach((term, i) => {
            expect(segment.term(i)).toBe(term)
            expect(segment.findTerm(term)).toBe(i)
          })
          for (const probe of probes) expect(segment.findTerm(probe)).toBe(terms.indexOf(probe))
        },
      ),
      { numRuns: 200 },
    )
  })

  it('finds its terms among hundreds that share their first four letters, in any script (property)', () => {
    // findTerm narrows by every TERM_SAMPLE_EVERY-th term's first four code units, one byte each: many terms per
    // sample, stems that pack alike (ASCII, U+00FE and U+00FF on either side of the byte's limit, U+0100 and up),
    // and probes one letter off, short of, or past a term, so that every bound it takes is crossed.
    const stem = fc.constantFrom(
      'news',
      'newt',
      'new',
      'ne',
      'þorn',
      'ÿes',
      'ÿet',
      'Āb',
      'ĀĀ',
      '한국',
      '한',
      '日本',
      '𠀋',
    )
    const tail = fc.array(fc.constantFrom('a', 'b', 'y', 'z', 'é', 'ÿ', 'Ā', '국', '𝒜'), { maxLength: 3 })
    const word = fc.tuple(stem, tail).map(([s, t]) => s + t.join(''))
    fc.assert(
      fc.property(
        fc.array(word, { minLength: 50, maxLength: 600 }),
        fc.array(word, { maxLength: 60 }),
        (words, probes) => {
          const docs = [{ ...article, id: 'd', title: '', body: words.join(' ') }]
          const segment = Segment.open(bytesOf(docs))
          const terms = [...segment.termList()]
          for (const [i, term] of terms.entries()) expect(segment.findTerm(term)).toBe(i)
          for (const probe of [...probes, ...terms.map((t) => t.slice(0, -1)), ...terms.map((t) => `${t}a`)]) {
            expect(segment.findTerm(probe), probe).toBe(terms.indexOf(probe))
          }
        },
      ),
      { numRuns: 60 },
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
    // Urls stored beside the bodies: none, and ones whose length takes one, two and three bytes of varint.
    const urls = [
      null,
      'https://news.example/a',
      `https://news.example/${'é'.repeat(100)}`,
      `https://x.example/${'a'.repeat(20000)}`,
    ]
    const docs = bodies.map((body, i) => ({ ...article, id: `u-${i}`, body, url: urls[i % urls.length] ?? null }))
    const segment = Segment.open(bytesOf(docs))
    const roundTrip = (text: string) => new TextDecoder().decode(new TextEncoder().encode(text))
    bodies.forEach((body, i) => {
      expect(segment.stored(i)).toEqual({ url: urls[i % urls.length], body: roundTrip(body) })
    })
  })
})

describe('A segment cut into its head and body blocks', () => {
  /** Reuters-21578 and Wikinews articles, ten times over, and one body longer than a block. */
  const docs: IndexDoc[] = [
    ...Array.from({ length: 10 }, (_, copy) =>
      sample.map((d) => ({ ...article, id: `${d.id}-${copy}`, title: d.title, body: d.body, lang: d.lang })),
    ).flat(),
    { ...article, id: 'long', body: 'Cocoa showers in Bahia. '.repeat(3000) },
    { ...article, id: 'empty', body: '' },
  ]
  const bytes = bytesOf(docs)
  const { head, bodyBlocks } = splitSegment(bytes)

  it('opens the head alone: every field but the bodies, which it says are in blocks', () => {
    const whole = Segment.open(bytes)
    const heads = Segment.open(head)
    expect(whole.hasBodies).toBe(true)
    expect(heads.hasBodies).toBe(false)
    expect(head.length).toBeLessThan(bytes.length / 2)
    for (let doc = 0; doc < docs.length; doc++) {
      expect(heads.docId(doc)).toBe(whole.docId(doc))
      expect(heads.title(doc)).toBe(whole.title(doc))
      expect(heads.tagsOf(doc)).toEqual(whole.tagsOf(doc))
    }
    expect(() => heads.stored(0)).toThrow(/without its bodies/)
  })

  it('reads every body from its block, each block within BODY_BLOCK_BYTES unless one body alone is larger', () => {
    const heads = Segment.open(head)
    expect(heads.bodyBlockCount).toBe(bodyBlocks.length)
    expect(bodyBlocks.length).toBeGreaterThan(2)
    const docsIn = new Map<number, number>()
    for (let doc = 0; doc < docs.length; doc++) {
      const k = heads.bodyBlockOf(doc)
      docsIn.set(k, (docsIn.get(k) ?? 0) + 1)
      const block = bodyBlocks[k]
      if (!block) throw new Error(`no block ${k}`)
      expect(heads.storedIn(doc, block)).toEqual({ url: docs[doc]?.url, body: docs[doc]?.body })
    }
    bodyBlocks.forEach((block, k) => {
      if (block.length > BODY_BLOCK_BYTES) expect(docsIn.get(k)).toBe(1)
    })
    // Blocks are cut as late as they may be: two neighbours together pass the size.
    for (let k = 0; k + 1 < bodyBlocks.length; k++) {
      expect((bodyBlocks[k]?.length ?? 0) + (bodyBlocks[k + 1]?.length ?? 0)).toBeGreaterThan(BODY_BLOCK_BYTES)
    }
  })

  it('answers a search over heads as over whole segments once the bodies its page names are read', () => {
    const whole = new SearchIndex([Segment.open(bytes)])
    const heads = new SearchIndex([Segment.open(head)])
    for (const q of ['cocoa', 'oil prices', 'bahia showers']) {
      const params = { q, limit: 10, offset: 0, sort: 'relevance' as const }
      expect(() => heads.search(params)).toThrow(/searchPage/)
      const page = heads.searchPage(params)
      expect(page.bodiesToRead.length).toBe(page.result.hits.length)
      for (const { hit, segment, doc } of page.bodiesToRead) {
        expect(hit.url).toBeNull()
        const stored = segment.storedIn(doc, bodyBlocks[segment.bodyBlockOf(doc)] ?? new Uint8Array())
        hit.url = stored.url
        hit.snippet = page.snippet(stored.body)
      }
      expect(page.result).toEqual(whole.search(params))
    }
  })

  it('refuses to split a head, or bytes of another format', () => {
    expect(() => splitSegment(head)).toThrow(SegmentFormatError)
    const other = bytes.slice()
    new DataView(other.buffer).setUint32(4, FORMAT_VERSION - 1, true)
    expect(() => splitSegment(other)).toThrow(SegmentFormatError)
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
