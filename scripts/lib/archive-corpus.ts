/**
 * The synthetic news archive of `npm run bench:archive`: article g of N, made deterministically (a mulberry32 stream
 * seeded by g, as bench:scale's generator does) from real newswire text, one at a time, so a corpus of any size is
 * streamed and never held.
 *
 * - Language: 96 % English from Reuters-21578, 2 % Korean and 2 % Japanese from Wikinews (../shared/corpus).
 * - Text: the title and lead sentence of one story of that language, then as many sentences as that story had, each
 *   kept with probability ½ or else replaced by a sentence of another story: Reuters' lengths, recombined. In English
 *   each word of 3+ letters becomes, with probability 3 %, a synthetic rare token drawn from a Zipf-like tail (as in
 *   bench:scale), so the vocabulary keeps growing with the corpus (Heaps' law) instead of stopping at Reuters' 72 k
 *   terms. Title-only Reuters briefs stay briefs (the title is their text).
 * - Metadata, each Zipf-distributed (rank r with probability ∝ 1/r²): a source among 200 (a few real wire names, then
 *   "Wire N"), an author among 5,000 (none for 10 %), 0–3 tags among 500 (Reuters' topic names first, then "tag-N").
 * - Dates: publication times rise evenly over ten years (2016-01-01 to 2025-12-31) with g, with a random offset
 *   within each article's slot, as an archive sent oldest first would arrive.
 * - Identity: a url per article (source domain, date, title slug, g), so the id is the url's, as a publisher's feed.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { rng } from './bench-stats'
import { ROOT } from './local-config'

export const CORPUS_DIR = join(ROOT, '..', 'shared', 'corpus')
export const REUTERS = join(CORPUS_DIR, 'reuters21578.jsonl')
const KOREAN = join(CORPUS_DIR, 'wikinews-ko.jsonl')
const JAPANESE = join(CORPUS_DIR, 'wikinews-ja.jsonl')

const SEED = 20261130
export const EPOCH_MS = Date.UTC(2016, 0, 1)
export const SPAN_MS = Date.UTC(2026, 0, 1) - EPOCH_MS

/** What the webhook takes (CONTRACT.md, ArticleInput), with every field a publisher's archive would carry. */
export interface ArchiveArticle {
  url: string
  title: string
  text: string
  author?: string
  published: string
  source: string
  lang: string
  tags: string[]
}

interface Story {
  title: string
  sentences: string[]
}

interface Pool {
  lang: string
  stories: Story[]
  /** every sentence of every story, for the recombination */
  sentences: string[]
}

const RARE_FRACTION = 0.03
const RARE_SCALE = 100
const RARE_EXPONENT = 1.3
const CONSONANTS = 'bdfghjklmnprtvz'
const VOWELS = 'aeiou'
/** A rare token for a rank: a name of consonant-vowel syllables ending in k (no English suffix to stem), or a number. */
export function rareToken(rank: number): string {
  if (rank % 4 === 0) return String(rank)
  let s = ''
  for (let x = rank; x > 0; x = Math.floor(x / 75)) s += `${CONSONANTS[x % 15]}${VOWELS[Math.floor(x / 15) % 5]}`
  return `${s.charAt(0).toUpperCase()}${s.slice(1)}k`
}
/** Pareto-distributed rank ≥ scale with tail exponent `exponent` (P(rank ≥ x) = (scale / x)^(exponent − 1)). */
export const paretoRank = (u: number, scale: number, exponent: number) =>
  Math.floor(scale * (1 - u) ** (-1 / (exponent - 1)))
/** A Zipf-like pick among `count` values (rank r with probability ∝ 1/r², capped). */
export const zipfPick = (u: number, count: number) => Math.min(count, paretoRank(u, 1, 2))

const NAMED_SOURCES = [
  'Reuters',
  'Associated Press',
  'Agence France-Presse',
  'Bloomberg',
  'Yonhap',
  'Kyodo',
  'Dow Jones',
  'The Korea Herald',
  'Nikkei',
  'Financial Wire',
]
const sourceName = (rank: number) => NAMED_SOURCES[rank - 1] ?? `Wire ${rank}`
/** Reuters-21578's most frequent topic codes: the first tags, so the commonest tags read as a newsroom's would. */
const TOPICS = [
  'earn',
  'acq',
  'money-fx',
  'grain',
  'crude',
  'trade',
  'interest',
  'ship',
  'wheat',
  'corn',
  'dlr',
  'money-supply',
  'oilseed',
  'sugar',
  'coffee',
  'gnp',
  'gold',
  'veg-oil',
  'soybean',
  'livestock',
  'nat-gas',
  'bop',
  'cpi',
  'cocoa',
  'reserves',
  'copper',
  'jobs',
  'yen',
  'ipi',
  'iron-steel',
]
const tagName = (rank: number) => TOPICS[rank - 1] ?? `tag-${rank}`

/** Reuters bodies carry SGML leftovers (`&\t` paragraph marks, `&#3;`) and end with "Reuter": text only. */
const clean = (text: string) =>
  text
    .replace(/&\\t|&#\d+;/g, ' ')
    .replace(/\s+Reuter\s*$/i, '')
    .replace(/\s+/g, ' ')
    .trim()

function loadPool(file: string, lang: string, split: (body: string) => string[]): Pool {
  const stories: Story[] = []
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line === '') continue
    const doc = JSON.parse(line) as { title?: string; body?: string }
    const title = clean(doc.title ?? '')
    const sentences = split(clean(doc.body ?? '')).filter((s) => s.length > 1)
    if (title === '' && sentences.length === 0) continue
    stories.push({ title: title || (sentences[0] ?? '').slice(0, 80), sentences })
  }
  return { lang, stories, sentences: stories.flatMap((s) => s.sentences) }
}

/** Sentences end at . ! ? (followed by a space) or at the Japanese full stop. */
const latinSentences = (body: string) => body.split(/(?<=[.!?])\s+/)
const japaneseSentences = (body: string) => body.split(/(?<=。)/)

export class ArchiveCorpus {
  private readonly english: Pool
  private readonly korean: Pool
  private readonly japanese: Pool
  /** The Reuters stories, for the benchmarks' query generator (titleQueries). */
  readonly reutersTitles: { title: string }[]

  constructor(readonly size: number) {
    this.english = loadPool(REUTERS, 'en', latinSentences)
    this.korean = loadPool(KOREAN, 'ko', latinSentences)
    this.japanese = loadPool(JAPANESE, 'ja', japaneseSentences)
    this.reutersTitles = this.english.stories.map((s) => ({ title: s.title }))
  }

  /** Article g (0 ≤ g < size): the same article for the same g and size on every run. */
  article(g: number): ArchiveArticle {
    const random = rng((SEED ^ Math.imul(g + 1, 0x9e3779b1)) >>> 0)
    const which = random()
    const pool = which < 0.96 ? this.english : which < 0.98 ? this.korean : this.japanese
    const story = pool.stories[Math.floor(random() * pool.stories.length)] ?? { title: 'Story', sentences: [] }
    const sentences = story.sentences.map((s, i) =>
      i === 0 || random() < 0.5 ? s : (pool.sentences[Math.floor(random() * pool.sentences.length)] ?? s),
    )
    const rare = (text: string) =>
      pool.lang === 'en'
        ? text.replace(/[A-Za-z]{3,}/g, (word) =>
            random() < RARE_FRACTION ? rareToken(paretoRank(random(), RARE_SCALE, RARE_EXPONENT)) : word,
          )
        : text
    const title = rare(story.title)
    const body = sentences.length > 0 ? rare(sentences.join(pool.lang === 'ja' ? '' : ' ')) : title
    const source = sourceName(zipfPick(random(), 200))
    const author = random() < 0.1 ? undefined : `Author ${zipfPick(random(), 5000)}`
    const tags = new Set<string>()
    for (let n = Math.floor(random() * 4); n > 0; n--) tags.add(tagName(zipfPick(random(), 500)))
    const published = new Date(EPOCH_MS + Math.floor(((g + random()) * SPAN_MS) / this.size))
    const day = published.toISOString().slice(0, 10).replaceAll('-', '/')
    const slug =
      story.title
        .toLowerCase()
        .match(/[a-z0-9]+/g)
        ?.slice(0, 8)
        .join('-') || 'story'
    const domain = source.toLowerCase().replace(/[^a-z0-9]+/g, '')
    return {
      url: `https://${domain}.example/${day}/${slug}-${g.toString(36)}`,
      title,
      text: body,
      ...(author ? { author } : {}),
      published: published.toISOString(),
      source,
      lang: pool.lang,
      tags: [...tags],
    }
  }

  /** Articles from..to−1 in order, one at a time. */
  *articles(from = 0, to = this.size): Generator<ArchiveArticle> {
    for (let g = from; g < to; g++) yield this.article(g)
  }
}
