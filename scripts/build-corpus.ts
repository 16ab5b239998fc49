/**
 * Rebuilds corpus/ (the articles `npm start` loads) from ../shared/corpus. Run on purpose: `npx tsx scripts/build-corpus.ts`.
 * The output is committed; origin and licence of each file are in corpus/README.md.
 */
import { copyFile, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

const SHARED = join(import.meta.dirname, '..', '..', 'shared', 'corpus')
const OUT = join(import.meta.dirname, '..', 'corpus')
const REUTERS_COUNT = 2000
const JA_COUNT = 1500
/** The seed article's publisher and date (22 November 2019, a Friday: the text's "said Friday"). */
const SEED_META = { source: 'The Korea Herald', published: '2019-11-22' }

interface Doc {
  id: string
  title: string
  body: string
  url?: string
  published?: string
  author?: string
  lang?: string
}

async function readJsonl(name: string): Promise<Doc[]> {
  const text = await readFile(join(SHARED, name), 'utf8')
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Doc)
}

async function writeJsonl(name: string, rows: object[]): Promise<void> {
  await writeFile(join(OUT, name), `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`)
  console.log(`${name}: ${rows.length} articles`)
}

const ko = await readJsonl('wikinews-ko.jsonl')
await writeJsonl(
  'wikinews-ko.jsonl',
  ko.map((d) => ({
    url: d.url,
    externalId: d.id,
    title: d.title,
    text: d.body,
    published: d.published,
    source: 'Wikinews',
    lang: 'ko',
    tags: ['wikinews'],
  })),
)

const ja = (await readJsonl('wikinews-ja.jsonl')).slice(0, JA_COUNT)
await writeJsonl(
  'wikinews-ja.jsonl',
  ja.map((d) => ({
    externalId: d.id,
    title: d.title,
    text: d.body,
    source: 'Wikinews',
    lang: 'ja',
    tags: ['wikinews'],
  })),
)

/** Reuters-21578 marks a paragraph start with a literal "&" and a tab (an SGML leftover); make it a paragraph break. */
const reutersText = (body: string) => body.replace(/\n?&\t/g, '\n\n')

const reuters = (await readJsonl('reuters21578.jsonl')).filter((d) => d.body.trim().length > 0).slice(0, REUTERS_COUNT)
await writeJsonl(
  'reuters21578-2000.jsonl',
  reuters.map((d) => ({
    externalId: d.id,
    title: d.title,
    text: reutersText(d.body),
    published: d.published,
    ...(d.author ? { author: d.author } : {}),
    source: 'Reuters',
    lang: 'en',
    tags: ['reuters-21578'],
  })),
)

await copyFile(join(SHARED, 'raw', 'seed-article.txt'), join(OUT, 'seed-article.txt'))
// What the publisher's webhook would carry beside the scraped text (the text itself names neither).
await writeFile(join(OUT, 'seed-article.meta.json'), `${JSON.stringify(SEED_META, null, 2)}\n`)
console.log('seed-article.txt: 1 article (with seed-article.meta.json)')
