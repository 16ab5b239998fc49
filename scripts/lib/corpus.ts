import { readdir, readFile, stat } from 'node:fs/promises'
import { basename, extname, join } from 'node:path'

/** An article as the webhook takes it (the contract's ArticleInput); unknown fields are ignored by the server. */
export type ArticleInput = Record<string, unknown>

/**
 * Reads articles from a file or a directory: JSONL, JSON (an object or an array), HTML pages and text files. A page or
 * text file `x.html` / `x.txt` may have a sidecar `x.meta.json`: fields a publisher's webhook would send beside the
 * page (`source`, `published`, `url`, …), merged into its article; a directory's sidecars are not articles themselves.
 */
export async function readArticles(path: string): Promise<ArticleInput[]> {
  const info = await stat(path)
  if (info.isDirectory()) {
    const names = (await readdir(path))
      .filter((n) => FORMATS.has(extname(n).toLowerCase()) && !n.toLowerCase().endsWith(META))
      .sort()
    const all: ArticleInput[] = []
    for (const name of names) all.push(...(await readArticles(join(path, name))))
    return all
  }
  const ext = extname(path).toLowerCase()
  const text = await readFile(path, 'utf8')
  const externalId = basename(path, ext)
  switch (ext) {
    case '.jsonl':
    case '.ndjson':
      return text
        .split('\n')
        .map((line, i) => [line.trim(), i + 1] as const)
        .filter(([line]) => line.length > 0)
        .map(([line, n]) => {
          try {
            return JSON.parse(line) as ArticleInput
          } catch (err) {
            throw new Error(`${path}:${n}: not JSON (${(err as Error).message})`)
          }
        })
    case '.json': {
      const value = JSON.parse(text) as unknown
      if (Array.isArray(value)) return value as ArticleInput[]
      const articles = (value as { articles?: unknown }).articles
      return Array.isArray(articles) ? (articles as ArticleInput[]) : [value as ArticleInput]
    }
    case '.html':
    case '.htm':
      return [{ externalId, ...(await sidecar(path, ext)), html: text }]
    case '.txt':
    case '.md':
      return [{ externalId, ...(await sidecar(path, ext)), text }]
    default:
      throw new Error(`${path}: unsupported file type ${ext || '(none)'}; use .jsonl, .json, .html or .txt`)
  }
}

const META = '.meta.json'

/** The fields of `x.meta.json` beside `x.<ext>`, or none. */
async function sidecar(path: string, ext: string): Promise<ArticleInput> {
  const file = `${path.slice(0, -ext.length)}${META}`
  let raw: string
  try {
    raw = await readFile(file, 'utf8')
  } catch {
    return {}
  }
  const value = JSON.parse(raw) as unknown
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${file}: expected one JSON object of article fields`)
  }
  return value as ArticleInput
}

const FORMATS = new Set(['.jsonl', '.ndjson', '.json', '.html', '.htm', '.txt'])

/** A line of ../shared/corpus/reuters21578.jsonl. */
export interface ReutersDoc {
  id: string
  title: string
  body: string
  published?: string
}

/** The Reuters-21578 articles of a JSONL file, in its order. */
export async function readReuters(path: string): Promise<ReutersDoc[]> {
  return (await readFile(path, 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ReutersDoc)
}

/** A Reuters article as its publisher's webhook would send it; one without a body sends its headline as its text. */
export const reutersInput = (d: ReutersDoc) => ({
  externalId: d.id,
  title: d.title,
  text: d.body.trim() ? d.body : d.title,
  published: d.published,
  source: 'Reuters',
  lang: 'en',
})
