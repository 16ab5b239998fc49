/**
 * What a search snippet may contain to be inserted as HTML: text (the API escapes `<`, `>` and `&`) and
 * `<mark>` / `</mark>` without attributes, nothing else. The page checks every snippet against it before
 * using innerHTML; anything else is shown as plain text. The alternatives start with different characters,
 * so matching is linear in the snippet's length.
 */
export const SAFE_SNIPPET = /^(?:[^<>]|<mark>|<\/mark>)*$/

/** Whether a snippet holds nothing but escaped text and <mark></mark>. */
export const isSafeSnippet = (snippet: string): boolean => SAFE_SNIPPET.test(snippet)
