/** Normalization: one clean Article from whatever arrives (html page, fragment, scraped text). */

export { articleIdFor } from './id'
export {
  DEFAULT_NORMALIZE_BUDGET_MS,
  type NormalizeOptions,
  normalizeArticle,
} from './normalize-article'
export { summarize } from './summary'
export { canonicalizeUrl } from './url'
export { countWords } from './word-count'
