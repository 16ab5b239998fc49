import { describe, expect, it } from 'vitest'
import { canonicalLangTag, detectLang, resolveLang } from './lang'

const EN =
  'The minister said on Friday that the groundwork has been laid for the talks, and that the two sides will meet again.'
const DE =
  'Der Minister sagte am Freitag, dass die Grundlage für die Gespräche gelegt worden sei und dass sich die beiden Seiten wieder treffen werden. Die Regierung hat sich dazu nicht geäußert, und es ist nicht klar, wann die nächste Runde beginnt.'
const KO = '강경화 외교부 장관은 금요일 일본이 수출 규제를 철회하도록 설득할 기반이 마련됐다고 말했다.'
// Reuters-21578 (reuters-183): an earnings table, which eld alone reads as Lithuanian.
const FIGURES =
  'Shr 75 cts vs 52 cts\n    Net 1,699,124 vs 1,177,786\n    Revs 45.6 mln vs 31.6 mln\n    12 mths\n    Shr 2.22 dlrs vs 2.20 dlrs'
// Wikinews ko (kowikinews-47): Korean quoting a Russian name, which eld scores 0.5816 ru against 0.5804 ko.
const KO_WITH_RUSSIAN =
  '러시아 도모데도보 국제공항에서 자폭테러\n러시아 최대 공항인 모스크바의 도모데도보 국제공항(Международный Аэропорт Москва-Домодедово, IATA: DME, ICAO: UUDD)에서 24일 16시 22분(UTC+03)경에 폭발이 일어나서 최소 31명이 숨지고 168명 이상이 부상당했다고 국영 러시아의 소리와 리아노보스티 통신을 인용한 연합뉴스에서 보도하였다.'
// An Indonesian paragraph (extraction-dev kabarislamia.com): eld has no Indonesian and reads it as Malay.
const ID =
  'Mudah2an kita bisa memahami dan mengamalkan Al Qur’an dan Hadits ini. Jangan cuma di kerongkongan. Jangan lebay dalam mencintai atau membenci sesuatu. Biasa biasa saja. Jangan sampai karena kita amat membenci satu kaum, akhirnya kita justru menganiaya mereka secara keji dan biadab, padahal Allah memerintahkan kita untuk berlaku adil kepada siapa saja.'

describe('detectLang', () => {
  it('tells English, Korean, Japanese and Chinese apart', async () => {
    expect(await detectLang(EN)).toBe('en')
    expect(await detectLang(KO)).toBe('ko')
    expect(
      await detectLang('神奈川県鎌倉市の長谷寺で、山道を無断で拡張整備した疑いがあるとして県が調査をしている。'),
    ).toBe('ja')
    expect(await detectLang('外交部长周五表示，已为说服日本撤回出口限制奠定了基础，双方将继续谈判。')).toBe('zh')
  })
  it('recognises other scripts and common Latin-script languages', async () => {
    expect(await detectLang('Министр иностранных дел заявил в пятницу, что основа для переговоров уже заложена.')).toBe(
      'ru',
    )
    expect(await detectLang(DE)).toBe('de')
  })
  it('says und when there is too little to tell', async () => {
    expect(await detectLang('OK 42')).toBe('und')
    expect(await detectLang('')).toBe('und')
  })
  it('says und where eld is unsure: a table of figures, two scripts scoring alike', async () => {
    expect(await detectLang(FIGURES)).toBe('und')
    expect(await detectLang(KO_WITH_RUSSIAN)).toBe('und')
  })
})

describe('resolveLang', () => {
  it('keeps a valid declared tag that fits the text, in canonical case', async () => {
    expect(await resolveLang(['en_us'], EN)).toBe('en-US')
  })
  it('overrules a declared tag whose script does not match the text', async () => {
    expect(await resolveLang(['en'], KO)).toBe('ko')
  })
  it('overrules a template default "en" over clearly German prose', async () => {
    expect(await resolveLang(['en'], `${DE} ${DE}`)).toBe('de')
  })
  it('keeps a declared language over a short text in the same script', async () => {
    expect(await resolveLang(['fr'], DE.slice(0, DE.indexOf('.') + 1))).toBe('fr')
  })
  it('keeps a declared language eld does not know (Indonesian, which it reads as Malay)', async () => {
    expect(await detectLang(ID)).toBe('ms')
    expect(await resolveLang(['id'], ID)).toBe('id')
  })
  it('keeps the declared language where the text says nothing sure', async () => {
    expect(await resolveLang(['en'], FIGURES)).toBe('en')
    expect(await resolveLang(['ko'], KO_WITH_RUSSIAN)).toBe('ko')
  })
  it('ignores invalid tags', async () => {
    expect(canonicalLangTag('not a tag!')).toBeNull()
    expect(await resolveLang(['not a tag!', null], EN)).toBe('en')
  })
})
