/** Normalization: one clean Article from whatever arrives (html page, fragment, scraped text). */

export { extractFromHtml } from './html-extract'
export { articleIdFor } from './id'
export { detectLang } from './lang'
export {
  DEFAULT_NORMALIZE_BUDGET_MS,
  NormalizeBudgetExceeded,
  type NormalizeOptions,
  normalizeArticle,
} from './normalize-article'
export { summarize } from './summary'
export { extractFromText } from './text-extract'
export { canonicalizeUrl } from './url'
export { countWords } from './word-count'
