/**
 * Korean particles (josa) and the most common noun-verb endings, longest first. A Korean word (eojeol) is a noun
 * followed by these, so "일본의" (of Japan) must index as "일본" for a query "일본" to find it.
 */
const KOREAN_SUFFIXES = [
  // particles
  '에서부터',
  '으로부터',
  '로부터',
  '에게서',
  '한테서',
  '이라고',
  '에서는',
  '에서도',
  '에서의',
  '에게는',
  '으로는',
  '으로도',
  '으로써',
  '으로서',
  '이라는',
  '이었다',
  '이다',
  '라고',
  '라는',
  '로써',
  '로서',
  '에서',
  '에게',
  '한테',
  '께서',
  '까지',
  '부터',
  '처럼',
  '보다',
  '마저',
  '조차',
  '이나',
  '이며',
  '이고',
  '과의',
  '와의',
  '에는',
  '에도',
  '에의',
  '으로',
  '이랑',
  '들이',
  '들은',
  '들을',
  '들의',
  '들도',
  '들과',
  '은',
  '는',
  '이',
  '가',
  '을',
  '를',
  '의',
  '에',
  '와',
  '과',
  '도',
  '만',
  '로',
  '께',
  '랑',
  '들',
  // endings of "noun + 하다 / 되다" verbs, the usual form of news verbs (발표했다 → 발표)
  '하였다',
  '되었다',
  '했으며',
  '했다고',
  '한다고',
  '하기로',
  '했다',
  '한다',
  '하는',
  '하고',
  '하여',
  '했던',
  '하며',
  '된다',
  '됐다',
  '되는',
  '되어',
  '하다',
  '되다',
] as const

/** Shortest stem left after stripping: one-syllable nouns are too ambiguous with particles to strip safely. */
const MIN_KOREAN_STEM = 2

const SUFFIXES_BY_LENGTH = [...KOREAN_SUFFIXES].sort((a, b) => b.length - a.length)

/** Strips one trailing particle or verb ending from a Hangul word, leaving at least two syllables. */
export function stripKoreanSuffix(word: string): string {
  for (const suffix of SUFFIXES_BY_LENGTH) {
    if (word.length - suffix.length >= MIN_KOREAN_STEM && word.endsWith(suffix)) {
      return word.slice(0, word.length - suffix.length)
    }
  }
  return word
}
