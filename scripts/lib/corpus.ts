import { readdir, readFile, stat } from 'node:fs/promises'
import { basename, extname, join } from 'node:path'

/** An article as the webhook takes it (the contract's ArticleInput); unknown fields are ignored by the server. */
export type ArticleInput = Record<string, unknown>

/** Reads articles from a file or a directory: JSONL, JSON (an object or an array), HTML pages and text files. */
export async function readArticles(path: string): Promise<ArticleInput[]> {
  const info = await stat(path)
  if (info.isDirectory()) {
    const names = (await readdir(path)).filter((n) => FORMATS.has(extname(n).toLowerCase())).sort()
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
      return [{ externalId, html: text }]
    case '.txt':
    case '.md':
      return [{ externalId, text }]
    default:
      throw new Error(`${path}: unsupported file type ${ext || '(none)'}; use .jsonl, .json, .html or .txt`)
  }
}

const FORMATS = new Set(['.jsonl', '.ndjson', '.json', '.html', '.htm', '.txt'])
