import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { cleanInline, cleanMarkupInline, decodeEntities, dropHugeTokens, foldCharacters } from './text-clean'

describe('foldCharacters', () => {
  it('composes to NFC', () => {
    expect(foldCharacters('cafe\u0301')).toBe('caf\u00e9')
    expect(foldCharacters('\u1100\u1161')).toBe('\uac00')
  })
  it('removes zero-width, bidi and soft-hyphen characters', () => {
    expect(foldCharacters('a\u200Bb\u200Cc\u200Dd\u2060e\uFEFFf\u202Eg\u00ADh')).toBe('abcdefgh')
  })
  it('folds NBSP and other Unicode spaces and tabs to a plain space', () => {
    expect(foldCharacters('a\u00A0b\u202Fc\u3000d\te')).toBe('a b c d e')
  })
  it('drops control characters and lone surrogates but keeps newlines and paired surrogates', () => {
    expect(foldCharacters('a\u0000b\u0007c\u009Fd\ne\uD800f\uDC00g😀')).toBe('abcd\nefg😀')
  })
  it('turns CR, CRLF and Unicode line separators into newlines', () => {
    expect(foldCharacters('a\r\nb\rc\u2028d')).toBe('a\nb\nc\nd')
  })
})

describe('dropHugeTokens', () => {
  it('drops what the pattern \\S{257,} finds, whatever whitespace separates the runs', () => {
    // Characters a regular expression's \s matches, and some it does not (U+180E, U+200B, U+0085).
    const spaces = [...' \t\n\v\f\r\u00a0\u1680\u2000\u2005\u200a\u2028\u2029\u202f\u205f\u3000\ufeff']
    const others = ['a', 'é', '\u180e', '\u200b', '\u0085', '字']
    const run = fc.tuple(fc.constantFrom(...others), fc.integer({ min: 250, max: 262 })).map(([c, n]) => c.repeat(n))
    const piece = fc.oneof(fc.constantFrom(...spaces, ...others), run)
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
        const text = pieces.join('')
        const byPattern = text.replace(/\S{257,}/g, (token) => (/\p{Script=Han}/u.test(token) ? token : ''))
        expect(dropHugeTokens(text)).toBe(byPattern)
      }),
      { numRuns: 300 },
    )
  })
  it('drops a whitespace-free run too long to be a word', () => {
    expect(dropHugeTokens(`keep ${'A'.repeat(300)} this`)).toBe('keep  this')
  })
  it('keeps long runs of Japanese or Chinese, which are written without spaces', () => {
    const ja = 'これは日本語の文章です。'.repeat(40)
    expect(dropHugeTokens(ja)).toBe(ja)
  })
})

describe('cleanInline and cleanMarkupInline', () => {
  it('collapses whitespace to one line', () => {
    expect(cleanInline('  a \n\n b\t c  ')).toBe('a b c')
  })
  it('strips script content, tags and decodes entities', () => {
    expect(cleanMarkupInline('<script>alert(1)</script><b>AT&amp;T</b> &#8220;Q&#x201D;')).toBe('AT&T “Q”')
  })
  it('never produces a lone surrogate from a numeric entity', () => {
    expect(decodeEntities('a&#xD800;b')).toBe('ab')
  })
})
