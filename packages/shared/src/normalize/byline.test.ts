import { describe, expect, it } from 'vitest'
import { isJunkLine, isSignOff } from './boilerplate'
import { authorFromByline, cleanByline, parseBylineLine } from './byline'

describe('parseBylineLine', () => {
  it('reads a byline cut off by a scraper', () => {
    expect(parseBylineLine('By Jo He-rim (')).toBe('By Jo He-rim')
    expect(parseBylineLine('By Jo He-rim (herim@heraldcorp.com)')).toBe('By Jo He-rim')
  })
  it('reads several names and an affiliation', () => {
    expect(parseBylineLine('By Ann Lee and Bo Kim | Staff writers')).toBe('By Ann Lee and Bo Kim')
  })
  it('does not take a sentence starting with "By" for a byline', () => {
    expect(parseBylineLine('By Monday, the government had changed its mind.')).toBeNull()
    expect(parseBylineLine('by the way, this is prose')).toBeNull()
  })
})

describe('cleanByline', () => {
  it('cuts a date glued to the name', () => {
    expect(cleanByline('By JERUSALEM POST STAFF NOVEMBER 20, 2019 10:43')).toBe('By JERUSALEM POST STAFF')
  })
  it('refuses handles and URLs', () => {
    expect(cleanByline('@detroitnews')).toBeNull()
    expect(cleanByline('https://example.com/staff/ann')).toBeNull()
  })
  it('gives the bare name as author', () => {
    expect(authorFromByline('By Jo He-rim')).toBe('Jo He-rim')
  })
})

describe('isJunkLine', () => {
  it('recognises navigation, sharing, advertising and datelines', () => {
    for (const line of [
      'Back To Top',
      '↑ Back to top',
      'Share | Tweet | Email',
      'Advertisement',
      'Updated at 1:23 p.m.',
      'PUBLISHED: 10:48, Tue, Nov 19, 2019',
      'You may also like...',
    ])
      expect(isJunkLine(line), line).toBe(true)
  })
  it('keeps prose that mentions the same words', () => {
    for (const line of [
      'Share prices fell sharply on Monday.',
      'The top of the mountain was covered in snow.',
      'Published in 1998, the book sold well.',
    ])
      expect(isJunkLine(line), line).toBe(false)
  })
})

describe('isJunkLine on notices', () => {
  it('drops short copyright notices and photo credits', () => {
    expect(isJunkLine('The contents of this site are ©2019 Capitol Hill Publishing Corp.')).toBe(true)
    expect(isJunkLine('Installation views, photos © Inexhibit, 2018')).toBe(true)
  })
})

describe('isSignOff', () => {
  it('recognises how to reach the author', () => {
    expect(isSignOff('Have a tip? Amy may be reached at amy@example.com. Follow her on Twitter @amy.')).toBe(true)
    expect(isSignOff('The mayor said the plan would follow the council vote.')).toBe(false)
  })
})

describe('cleanByline on accounts', () => {
  it('refuses content-management account names', () => {
    expect(cleanByline('admin')).toBeNull()
    expect(cleanByline('jdadmin')).toBeNull()
    expect(cleanByline('Admina Smith')).toBe('Admina Smith')
  })
})

describe('isJunkLine on long lines', () => {
  it('keeps a long paragraph that merely starts like a prompt', () => {
    const line =
      'More from the hearing: the witness said the plan had been discussed for months before anyone in the department raised concerns about it.'
    expect(isJunkLine(line)).toBe(false)
  })
  it('drops a long reprint notice', () => {
    expect(
      isJunkLine(
        'This document is subject to copyright. Apart from any fair dealing for the purpose of private study or research, no part may be reproduced without the written permission.',
      ),
    ).toBe(true)
  })
})

describe('Korean bylines', () => {
  it('reads a reporter byline with an agency dateline or an email', () => {
    expect(parseBylineLine('(서울=연합뉴스) 홍길동 기자 =')).toBe('홍길동 기자')
    expect(parseBylineLine('김철수 특파원 kim@example.co.kr')).toBe('김철수 특파원')
    expect(authorFromByline('홍길동 기자')).toBe('홍길동')
  })
  it('does not take a sentence for a byline', () => {
    expect(parseBylineLine('기자회견은 오후에 열렸다.')).toBeNull()
  })
})

describe('isJunkLine in other languages', () => {
  it('recognises Korean and Japanese navigation and breadcrumb rows', () => {
    for (const line of ['맨 위로', '공유하기', 'トップへ戻る', 'Home > News > World'])
      expect(isJunkLine(line), line).toBe(true)
  })
})

describe('isJunkLine and markup-like text', () => {
  it('keeps plain text that contains tag-like characters or paths', () => {
    for (const line of [
      'xssmarker <script>alert(document.cookie)</script> in text.',
      'Read the and/or clause in a/b/c form.',
    ])
      expect(isJunkLine(line), line).toBe(false)
  })
})
