import { describe, expect, it } from 'vitest'
import { canonicalLangTag, detectLang, resolveLang } from './lang'

const EN =
  'The minister said on Friday that the groundwork has been laid for the talks, and that the two sides will meet again.'
const DE =
  'Der Minister sagte am Freitag, dass die Grundlage für die Gespräche gelegt worden sei und dass sich die beiden Seiten wieder treffen werden. Die Regierung hat sich dazu nicht geäußert, und es ist nicht klar, wann die nächste Runde beginnt.'

describe('detectLang', () => {
  it('tells English, Korean, Japanese and Chinese apart', () => {
    expect(detectLang(EN)).toBe('en')
    expect(
      detectLang('강경화 외교부 장관은 금요일 일본이 수출 규제를 철회하도록 설득할 기반이 마련됐다고 말했다.'),
    ).toBe('ko')
    expect(detectLang('神奈川県鎌倉市の長谷寺で、山道を無断で拡張整備した疑いがあるとして県が調査をしている。')).toBe(
      'ja',
    )
    expect(detectLang('外交部长周五表示，已为说服日本撤回出口限制奠定了基础，双方将继续谈判。')).toBe('zh')
  })
  it('recognises other scripts and common Latin-script languages', () => {
    expect(detectLang('Министр иностранных дел заявил в пятницу, что основа для переговоров уже заложена.')).toBe('ru')
    expect(detectLang(DE)).toBe('de')
  })
  it('says und when there is too little to tell', () => {
    expect(detectLang('OK 42')).toBe('und')
  })
})

describe('resolveLang', () => {
  it('keeps a valid declared tag that fits the text, in canonical case', () => {
    expect(resolveLang(['en_us'], EN)).toBe('en-US')
  })
  it('overrules a declared tag whose script does not match the text', () => {
    expect(
      resolveLang(['en'], '강경화 외교부 장관은 금요일 일본이 수출 규제를 철회하도록 설득할 기반이 마련됐다고 말했다.'),
    ).toBe('ko')
  })
  it('overrules a template default "en" over clearly German prose', () => {
    expect(resolveLang(['en'], `${DE} ${DE}`)).toBe('de')
  })
  it('ignores invalid tags', () => {
    expect(canonicalLangTag('not a tag!')).toBeNull()
    expect(resolveLang(['not a tag!', null], EN)).toBe('en')
  })
})
