/**
 * Character-level cleanup shared by every path: whatever arrives, the stored text is NFC, has no control,
 * zero-width or bidi-override characters, uses plain spaces, and separates paragraphs by exactly one blank line.
 */

/** Runs of non-space characters longer than this are junk (base64, minified code) unless written without spaces. */
export const DEFAULT_MAX_TOKEN_CHARS = 256

const CLEAN = {
  lineBreaks: /\r\n?|[\u0085\u2028\u2029\v\f]/g,
  loneSurrogates: /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
  // Soft hyphen, zero-width space/joiners, word joiner, invisible operators, bidi marks/overrides/isolates, BOM.
  invisible:
    /\u034F|\u180B|\u180C|\u180D|\u17B4|\u17B5|[\u00AD\u061C\u115F\u1160\u180E\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFEFF\uFFA0]/g,
  // C0/C1 controls except the newline, which carries paragraph structure.
  controls: /(?!\n)\p{Cc}/gu,
  // Every Unicode space separator (NBSP, narrow NBSP, ideographic space, ...) and tabs become one plain space.
  spaces: /[\t\p{Zs}]+/gu,
  blankLines: /\n[ \n]*\n/g,
  // The lookbehind lets only the first space of a run try the match: ` *\n *` alone rescanned a run of spaces
  // without a newline from each of its spaces (quadratic).
  lineEdges: /(?<! ) *\n */g,
  // A run of characters from scripts written without spaces: long unspaced runs there are ordinary prose.
  unspacedScript:
    /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}\p{Script=Tibetan}]/u,
  longToken: /\S{257,}/g,
} as const

/** Removes what must never be stored and folds line breaks/spaces, keeping newlines; does not collapse yet. */
export function foldCharacters(input: string): string {
  return input
    .replace(CLEAN.loneSurrogates, '')
    .normalize('NFC')
    .replace(CLEAN.lineBreaks, '\n')
    .replace(CLEAN.invisible, '')
    .replace(/\t/g, ' ')
    .replace(CLEAN.controls, '')
    .replace(CLEAN.spaces, ' ')
}

/** Whether a code unit is whitespace as a regular expression's `\s` reads it (ECMAScript WhiteSpace and LineTerminator). */
function isSpace(c: number): boolean {
  if (c <= 0x20) return c === 0x20 || (c >= 0x09 && c <= 0x0d)
  if (c < 0xa0) return false
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  )
}

/** Whether `text` has a run of more than `max` code units without whitespace (`\S{max+1,}`), in one pass. */
function hasLongRun(text: string, max: number): boolean {
  let run = 0
  for (let i = 0; i < text.length; i++) {
    if (isSpace(text.charCodeAt(i))) run = 0
    else if (++run > max) return true
  }
  return false
}

/** Drops whitespace-free runs too long to be words (data URIs, hashes, minified code); keeps CJK/Thai prose. */
export function dropHugeTokens(text: string, maxTokenChars: number = DEFAULT_MAX_TOKEN_CHARS): string {
  // Most texts have no such run: one pass over the code units finds that several times faster than the pattern,
  // which tries a match of 257 from every character (2.5 % of the ingest isolate's CPU in a profile, README).
  if (!hasLongRun(text, maxTokenChars)) return text
  const pattern =
    maxTokenChars === DEFAULT_MAX_TOKEN_CHARS ? CLEAN.longToken : new RegExp(`\\S{${maxTokenChars + 1},}`, 'g')
  return text.replace(pattern, (token) => (CLEAN.unspacedScript.test(token) ? token : ''))
}

/** One line of clean text: for titles, bylines, names. */
export function cleanInline(input: string): string {
  return dropHugeTokens(foldCharacters(input).replace(/\n+/g, ' ')).replace(/ {2,}/g, ' ').trim()
}

/** Splits folded text into paragraphs at blank lines; lines inside one paragraph are kept as they are. */
export function splitBlocks(folded: string): string[][] {
  return folded
    .replace(CLEAN.lineEdges, '\n')
    .split(CLEAN.blankLines)
    .map((block) =>
      block
        .split('\n')
        .map((line) => line.replace(/ {2,}/g, ' ').trim())
        .filter((line) => line !== ''),
    )
    .filter((lines) => lines.length > 0)
}

/** Joins paragraphs the way the body is stored: each on one line, exactly one blank line between. */
export function joinParagraphs(paragraphs: readonly string[]): string {
  return paragraphs
    .map((p) => p.replace(/\s+/g, ' ').trim())
    .filter((p) => p !== '')
    .join('\n\n')
}

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00A0',
  ndash: '\u2013',
  mdash: '\u2014',
  lsquo: '\u2018',
  rsquo: '\u2019',
  ldquo: '\u201C',
  rdquo: '\u201D',
  hellip: '\u2026',
  laquo: '\u00AB',
  raquo: '\u00BB',
  copy: '\u00A9',
  reg: '\u00AE',
  trade: '\u2122',
  middot: '\u00B7',
  bull: '\u2022',
}

/** Decodes the HTML entities that show up in titles and metadata (named common ones and numeric). */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,8});/gi, (whole, ref: string) => {
    if (ref.startsWith('#')) {
      const code =
        ref[1] === 'x' || ref[1] === 'X' ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10)
      if (!Number.isFinite(code) || code <= 0 || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return ''
      return String.fromCodePoint(code)
    }
    return ENTITIES[ref.toLowerCase()] ?? whole
  })
}

const MARKUP = {
  // An element whose content is never text, closed or running to the end (as a browser reads an unclosed one).
  // Tags end before the next "<" and an unclosed element or comment takes the rest, so every failed attempt stops
  // at the next "<" and every match consumes what it scanned: linear, whatever is left unclosed. (Lazy scans to a
  // closing token that never comes, from each of many openings, were quadratic.)
  rawText: /<(script|style|noscript|template)\b[^<>]*>[\s\S]*?(?:<\/\1\s*>|$)/gi,
  comment: /<!--[\s\S]*?(?:-->|$)/g,
  tag: /<\/?[a-z][^<>]*>/gi,
} as const

/** Plain text from something that may carry markup (a title with a script tag, an author with <b>). */
export function stripTags(text: string): string {
  return text.replace(MARKUP.rawText, ' ').replace(MARKUP.comment, ' ').replace(MARKUP.tag, ' ')
}

/** Clean one-line text from a value that may carry tags and entities. */
export function cleanMarkupInline(text: string): string {
  return cleanInline(decodeEntities(stripTags(text)))
}
