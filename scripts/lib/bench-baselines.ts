/**
 * The engines Edgewire is measured against on the same documents and queries, in Node:
 * raw MiniSearch (defaults, title and body) and SQLite FTS5 (bm25, porter) — the engine of D1, run through
 * Node 22's bundled SQLite (`node:sqlite`) because better-sqlite3 would need a native build against headers
 * this offline machine cannot fetch.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'
import MiniSearch from 'minisearch'
import { quantile } from './bench-stats'

export interface BenchDoc {
  id: string
  title: string
  body: string
}

export interface BaselineFigures {
  engine: string
  buildMs: number
  /** heap (MiniSearch) or database file (FTS5) after build */
  memoryBytes: number
  snapshotBytes: number
  /** from bytes at rest to the first answered query */
  coldFirstQueryMs: number
  queryP50Ms: number
  queryP99Ms: number
}

const gc = (): void => (globalThis as { gc?: () => void }).gc?.()
const heapUsed = (): number => {
  gc()
  return process.memoryUsage().heapUsed
}

/** p50/p99 of `queries`, after `warmup` (other queries: the JIT warms up on them, and no timed query is a repeat). */
function timeQueries(queries: string[], warmup: string[], run: (q: string) => unknown): { p50: number; p99: number } {
  for (const q of warmup) run(q)
  const times: number[] = []
  for (const q of queries) {
    const t = performance.now()
    run(q)
    times.push(performance.now() - t)
  }
  return { p50: quantile(times, 0.5), p99: quantile(times, 0.99) }
}

/** Raw MiniSearch with its defaults over title and body, top 10 per query. */
export function miniSearchBaseline(docs: BenchDoc[], queries: string[], warmup: string[]): BaselineFigures {
  const options = { fields: ['title', 'body'], storeFields: ['title'] }
  const before = heapUsed()
  let t = performance.now()
  const index = new MiniSearch<BenchDoc>(options)
  index.addAll(docs)
  const buildMs = performance.now() - t
  const memoryBytes = heapUsed() - before
  const json = JSON.stringify(index)
  t = performance.now()
  const loaded = MiniSearch.loadJSON<BenchDoc>(json, options)
  loaded.search(queries[0] ?? 'oil').slice(0, 10)
  const coldFirstQueryMs = performance.now() - t
  const { p50, p99 } = timeQueries(queries, warmup, (q) => loaded.search(q).slice(0, 10))
  return {
    engine: 'MiniSearch (raw, Node)',
    buildMs,
    memoryBytes,
    snapshotBytes: Buffer.byteLength(json),
    coldFirstQueryMs,
    queryP50Ms: p50,
    queryP99Ms: p99,
  }
}

/** SQLite FTS5 with bm25 ranking and the porter tokenizer, top 10 per query. */
export function fts5Baseline(docs: BenchDoc[], queries: string[], warmup: string[]): BaselineFigures {
  const dir = mkdtempSync(join(tmpdir(), 'edgewire-fts5-'))
  const file = join(dir, 'fts.db')
  try {
    let t = performance.now()
    const db = new DatabaseSync(file)
    db.exec(
      `PRAGMA journal_mode = OFF; CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body, tokenize = 'porter unicode61');`,
    )
    const insert = db.prepare('INSERT INTO docs (id, title, body) VALUES (?, ?, ?)')
    db.exec('BEGIN')
    for (const d of docs) insert.run(d.id, d.title, d.body)
    db.exec('COMMIT')
    db.close()
    const buildMs = performance.now() - t
    const size = statSync(file).size
    const toMatch = (q: string) =>
      q
        .split(/[^\p{L}\p{N}]+/u)
        .filter(Boolean)
        .map((w) => `"${w}"`)
        .join(' OR ')
    t = performance.now()
    const cold = new DatabaseSync(file, { readOnly: true })
    const select = cold.prepare('SELECT id, title FROM docs WHERE docs MATCH ? ORDER BY bm25(docs) LIMIT 10')
    select.all(toMatch(queries[0] ?? 'oil'))
    const coldFirstQueryMs = performance.now() - t
    const { p50, p99 } = timeQueries(queries, warmup, (q) => {
      const match = toMatch(q)
      return match ? select.all(match) : []
    })
    cold.close()
    return {
      engine: 'SQLite FTS5 (node:sqlite)',
      buildMs,
      memoryBytes: size,
      snapshotBytes: size,
      coldFirstQueryMs,
      queryP50Ms: p50,
      queryP99Ms: p99,
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
