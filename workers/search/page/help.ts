/**
 * The page's help text: the welcome shown before any query, with example searches. The one line of query syntax under
 * the search box is static, in index.html (`#q-help`), so it shows before the script runs.
 */
export const HELP = {
  heading: 'Search news in English, Korean and Japanese',
  hint: 'Results appear as you type. Try:',
  /** Example queries, each a link that runs it. */
  examples: ['GSOMIA', 'cocoa', 'oil prices', '월식', '지하철', '地震', '長谷寺'],
} as const
