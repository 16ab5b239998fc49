import { describe, expect, it } from 'vitest'
import { Analyzer, DEFAULT_ANALYZER, foldText } from './analyzer'
import { stripKoreanSuffix } from './korean'

const terms = (text: string): string[] => DEFAULT_ANALYZER.terms(text)

describe('English term processing', () => {
  it('stems, drops stop words and folds case', () => {
    const t = terms('The ministers were meeting in Seoul and discussed the trade disputes.')
    expect(t).toEqual(['minist', 'meet', 'seoul', 'discuss', 'trade', 'disput'])
  })

  it('keeps hyphenated names findable as joined and split forms', () => {
    expect(terms('Foreign Minister Kang Kyung-wha said')).toEqual(
      expect.arrayContaining(['kyungwha', 'kyung', 'wha', 'kang']),
    )
    expect(terms('kyung wha')).toEqual(['kyung', 'wha'])
  })

  it('keeps codes, acronyms and years', () => {
    const t = terms('Seoul may end GSOMIA before the G20 summit in 2019; the U.S. objected.')
    expect(t).toEqual(expect.arrayContaining(['gsomia', 'g20', '2019', 'us']))
  })

  it("drops the possessive 's, also after a name with an apostrophe", () => {
    expect(terms("O'Neill's plan")).toEqual(terms("O'Neill plan"))
    expect(terms("O'Neill")).toEqual(expect.arrayContaining(['neill']))
  })

  it('keeps a short word in capitals as an acronym, not a stop word', () => {
    expect(terms('WHO warns, IT spending')).toEqual(['who', 'warn', 'it', 'spend'])
    expect(terms('who warns, it spends')).toEqual(['warn', 'spend'])
    expect(terms('U.S. trade')).toEqual(terms('US trade'))
  })

  it('keeps decimals, joins thousands and strips possessives', () => {
    expect(terms("Japan's quake measured 7.4 and 155,221 bags")).toEqual([
      'japan',
      'quak',
      'measur',
      '7.4',
      '155221',
      'bag',
    ])
  })

  it('folds diacritics and full-width letters', () => {
    expect(foldText('Ångström CAFÉ')).toBe('angstrom cafe')
    expect(terms('Ｆｕｌｌ résumé')).toEqual(terms('full resume'))
    expect(foldText('ｶﾀｶﾅ')).toBe('カタカナ')
  })

  it('does not strip the voicing marks of kana (が is not か)', () => {
    expect(foldText('が')).toBe('が')
  })
})

describe('words remembered as written', () => {
  it('gives a word the same terms and positions whether it comes first inside a compound or alone', () => {
    // Each text primes a fresh analyzer's memory of words, then the word is analysed alone and in a sentence.
    const cases: [prime: string, word: string][] = [
      ['i.t. spending', 'it'], // the dotted form keeps "it"; the stop word alone is still dropped
      ['U.S. officials', 'us'],
      ['state-of-the-art', 'the'],
      ["O'Neill's company's", 'company'],
      ['Kyung-wha', 'Kyung'],
      ['IT spending', 'it'],
      ['Café', 'cafe'],
    ]
    for (const [prime, word] of cases) {
      const fresh = new Analyzer()
      const primed = new Analyzer()
      primed.terms(prime)
      for (const text of [word, `${word} rose, then ${word} fell`]) {
        expect(primed.spans(text), `${word} after ${prime}`).toEqual(fresh.spans(text))
      }
    }
  })
})

describe('Korean term processing', () => {
  it('strips particles so 일본 finds 일본의, and keeps the written form', () => {
    expect(terms('일본의')).toEqual(['일본', '일본의'])
    expect(terms('일본')).toEqual(['일본'])
  })

  it('handles a real sentence', () => {
    const t = terms('일본 정부는 후쿠시마 오염수를 바다에 방류하기로 결정했다.')
    expect(new Set(t)).toEqual(
      new Set([
        '일본',
        '정부',
        '정부는',
        '후쿠시마',
        '오염수',
        '오염수를',
        '바다',
        '바다에',
        '방류',
        '방류하기로',
        '결정',
        '결정했다',
      ]),
    )
  })

  it('meets a noun that merely ends like a particle (한반도 ends in 도)', () => {
    const text = new Set(terms('한반도에서 지진이 발생했다'))
    expect(terms('한반도').some((t) => text.has(t))).toBe(true)
    expect(text.has('한반도')).toBe(true)
  })

  it('keeps one-syllable stems whole rather than guess', () => {
    expect(stripKoreanSuffix('차가')).toBe('차가')
    expect(stripKoreanSuffix('대통령이')).toBe('대통령')
  })

  it('indexes a counted number as the number, the counted word and both', () => {
    expect(terms('2022년 11월')).toEqual(expect.arrayContaining(['2022', '2022년', '년']))
    expect(terms('4대강 방문객 1000만명')).toEqual(expect.arrayContaining(['4', '대강', '4대강', '1000', '만명']))
  })
})

describe('Japanese term processing', () => {
  it('segments a sentence into words', () => {
    const t = terms('日本政府は福島第一原子力発電所の処理水を海に放出すると発表した。')
    expect(t).toEqual(expect.arrayContaining(['日本', '政府', '福島', '発表']))
    // single hiragana particles are dropped
    expect(t).not.toContain('は')
    expect(t).not.toContain('を')
  })

  it('segments a query the way it segments the text', () => {
    const text = new Set(terms('宮城県沖でマグニチュード7.4の地震'))
    for (const q of terms('宮城県')) expect(text.has(q)).toBe(true)
  })

  it('can add bigrams inside long words or across runs (measured, off by default)', () => {
    const inWords = new Analyzer({ cjkBigrams: 'words' })
    expect(inWords.terms('宮城県沖')).toEqual(expect.arrayContaining(['宮城', '県']))
    expect(new Analyzer({ cjkBigrams: 'runs' }).terms('宮城県沖')).toEqual(expect.arrayContaining(['城県', '県沖']))
    expect(terms('宮城県沖')).not.toContain('城県')
    expect(inWords.id).not.toBe(DEFAULT_ANALYZER.id)
  })
})

describe('spans', () => {
  it('reports the source offsets of each token', () => {
    const text = 'Kyung-wha met Abe.'
    const spans = DEFAULT_ANALYZER.spans(text)
    expect(spans.map((s) => text.slice(s.start, s.end))).toEqual(['Kyung-wha', 'Kyung', 'wha', 'met', 'Abe'])
  })
})
