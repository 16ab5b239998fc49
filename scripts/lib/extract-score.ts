/**
 * The article-extraction-benchmark's scoring, ported: `\w+` tokens, 4-token shingles counted with
 * multiplicity, per-page TP/FP/FN normalised to sum 1, precision and recall averaged over pages
 * (pages where they are undefined are left out, as upstream), F1 from the two averages.
 */

/** Shingle length used by the benchmark. */
export const SHINGLE_SIZE = 4

// Python's `\w` with re.UNICODE: letters, digits (all numeric categories) and underscore.
const TOKEN = /[\p{L}\p{N}_]+/gu

/** Normalised true positives, false positives and false negatives of one page. */
export interface PageCounts {
  tp: number
  fp: number
  fn: number
}

function shingles(text: string): Map<string, number> {
  const tokens = text.match(TOKEN) ?? []
  const counts = new Map<string, number>()
  const last = Math.max(1, tokens.length - SHINGLE_SIZE + 1)
  for (let i = 0; i < last; i++) {
    const shingle = tokens.slice(i, i + SHINGLE_SIZE)
    if (shingle.length === 0) continue
    const key = shingle.join('\u0001')
    counts.set(key, (counts.get(key) ?? 0) + 1)
  }
  return counts
}

/** TP/FP/FN of predicted text against the truth, normalised to sum 1. */
export function shingleCounts(truth: string, predicted: string): PageCounts {
  const t = shingles(truth)
  const p = shingles(predicted)
  let tp = 0
  let fp = 0
  let fn = 0
  for (const key of new Set([...t.keys(), ...p.keys()])) {
    const tc = t.get(key) ?? 0
    const pc = p.get(key) ?? 0
    tp += Math.min(tc, pc)
    fp += Math.max(0, pc - tc)
    fn += Math.max(0, tc - pc)
  }
  const sum = tp + fp + fn
  return sum > 0 ? { tp: tp / sum, fp: fp / sum, fn: fn / sum } : { tp, fp, fn }
}

function precisionOf({ tp, fp, fn }: PageCounts): number {
  if (fp === 0 && fn === 0) return 1
  if (tp === 0 && fp === 0) return 0
  return tp / (tp + fp)
}

function recallOf({ tp, fp, fn }: PageCounts): number {
  if (fp === 0 && fn === 0) return 1
  if (tp === 0 && fn === 0) return 0
  return tp / (tp + fn)
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length
}

/** Benchmark figures over pages. */
export interface Scores {
  f1: number
  precision: number
  recall: number
}

/** Precision and recall averaged over pages, F1 from the averages (upstream `metrics_from_tp_fp_fns`). */
export function aggregate(pages: readonly PageCounts[]): Scores {
  const precision = mean(pages.filter((c) => c.tp + c.fp > 0).map(precisionOf))
  const recall = mean(pages.filter((c) => c.tp + c.fn > 0).map(recallOf))
  const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0
  return { f1, precision, recall }
}

/** F1 of a single page, for listing the worst pages. */
export function pageF1(c: PageCounts): number {
  const p = precisionOf(c)
  const r = recallOf(c)
  return p + r > 0 ? (2 * p * r) / (p + r) : 0
}

const TITLE_SEPARATOR = / (?:[|\-–—:·•«»/]|::) /gu

/** A title segment with more tokens than this is part of the headline, not the site's name. */
const MAX_SITE_TOKENS = 6

function countTokens(text: string): number {
  return text.match(TOKEN)?.length ?? 0
}

function titleTokens(text: string): string {
  return (text.toLowerCase().match(TOKEN) ?? []).join(' ')
}

/**
 * A title is right when its `\w+` tokens (lower case) equal those of the benchmark title, either whole or
 * without its trailing " - Site" / " | Site" segment (the benchmark titles are the pages' <title>, suffix included).
 */
export function titleIsRight(truth: string, predicted: string): boolean {
  const p = titleTokens(predicted)
  if (p === '') return false
  if (p === titleTokens(truth)) return true
  const separators = [...truth.matchAll(TITLE_SEPARATOR)]
  for (const sep of separators) {
    if (sep.index === undefined) continue
    const head = truth.slice(0, sep.index)
    const tail = truth.slice(sep.index + sep[0].length)
    // Only a short segment can be the site's name.
    if (titleTokens(head) === p && countTokens(tail) <= MAX_SITE_TOKENS) return true
    if (titleTokens(tail) === p && countTokens(head) <= MAX_SITE_TOKENS) return true
  }
  return false
}
