import { readdirSync, readFileSync } from 'node:fs'

/** The q-quantile (0..1) of a list of numbers, by nearest rank. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[rank] ?? Number.NaN
}

/** The counts of a tally summed. */
export const sumOf = (tally: Record<string, number>) => Object.values(tally).reduce((n, k) => n + k, 0)

export const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a')
export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`

/** Resident and peak resident memory (bytes) of a process, from /proc. */
export function processMemory(pid: number): { rss: number; peak: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN) * 1024
    return { rss: kb('VmRSS'), peak: kb('VmHWM') }
  } catch {
    return null
  }
}

/** Pids of the descendants of `root` whose command name is `name` (e.g. the workerd under a wrangler dev). */
export function descendantsNamed(root: number, name: string): number[] {
  const parent = new Map<number, number>()
  const comm = new Map<number, string>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const close = stat.lastIndexOf(')')
      comm.set(Number(entry), stat.slice(stat.indexOf('(') + 1, close))
      parent.set(Number(entry), Number(stat.slice(close + 2).split(' ')[1]))
    } catch {}
  }
  const found: number[] = []
  for (const [pid, cmd] of comm) {
    if (cmd !== name) continue
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) {
      if (p === root) {
        found.push(pid)
        break
      }
    }
  }
  return found
}

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * The benchmarks' query set: one to three consecutive words (three letters or more) of randomly picked titles, from a
 * fixed seed, so every engine and every run answers the same queries. No query appears twice (a repeat would time a
 * warm cache).
 */
export function titleQueries(docs: readonly { title?: string }[], count: number): string[] {
  let seed = 20261127
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31
    return seed / 2 ** 31
  }
  const out = new Set<string>()
  while (out.size < count) {
    const doc = docs[Math.floor(random() * docs.length)]
    const words = (doc?.title ?? '').toLowerCase().match(/[a-z]{3,}/g) ?? []
    if (words.length === 0) continue
    const n = 1 + Math.floor(random() * Math.min(3, words.length))
    const start = Math.floor(random() * (words.length - n + 1))
    out.add(words.slice(start, start + n).join(' '))
  }
  return [...out]
}

/**
 * `count` disjoint sets of `size` queries each, from one titleQueries stream: the first is the one every benchmark
 * times, the others warm up an engine or time another path on an isolate already warmed, so no query is seen twice.
 */
export function titleQuerySets(docs: readonly { title?: string }[], size: number, count: number): string[][] {
  const all = titleQueries(docs, size * count)
  return Array.from({ length: count }, (_, i) => all.slice(i * size, (i + 1) * size))
}
