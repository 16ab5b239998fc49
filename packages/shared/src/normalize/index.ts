/** Normalization: one clean Article from whatever arrives (html page, fragment, scraped text). */
export { articleIdFor } from './id'
export { canonicalizeUrl } from './url'
export { normalizeArticle } from './normalize-article'
export { extractFromHtml } from './html-extract'
export { extractFromText } from './text-extract'
export { detectLang } from './lang'
export { countWords } from './word-count'
export { summarize } from './summary'
