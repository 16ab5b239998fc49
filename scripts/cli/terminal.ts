/** Terminal output for the CLI: optional ANSI styles, safe text, and wrapping that counts CJK as two columns. */

/** Styles are used on a terminal unless NO_COLOR is set (https://no-color.org); FORCE_COLOR turns them on. */
export function useColor(stream: NodeJS.WriteStream): boolean {
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0') return true
  if (process.env.NO_COLOR || process.env.TERM === 'dumb') return false
  return Boolean(stream.isTTY)
}

const CODES = { bold: [1, 22], dim: [2, 22], inverse: [7, 27], underline: [4, 24], red: [31, 39], green: [32, 39] }
export type Style = keyof typeof CODES

/** A function wrapping text in ANSI codes, or leaving it alone when styles are off. */
export function styler(enabled: boolean): (style: Style | Style[], text: string) => string {
  return (style, text) => {
    if (!enabled || text === '') return text
    const styles = Array.isArray(style) ? style : [style]
    return styles.reduce((out, s) => `\x1b[${CODES[s][0]}m${out}\x1b[${CODES[s][1]}m`, text)
  }
}

// C0/C1 controls (escape sequences included) and bidirectional overrides: an article could otherwise
// move the cursor, recolour or rewrite the user's terminal.
const UNSAFE = /[\p{Cc}\u202a-\u202e\u2066-\u2069]/gu

/** Text from an article made safe and single-line for a terminal. */
export function clean(text: string | null | undefined): string {
  return (text ?? '').replace(/\s+/g, ' ').replace(UNSAFE, '').trim()
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' }

/** Decodes the character references an HTML-escaped snippet may hold. */
export function decodeEntities(html: string): string {
  return html.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] === '#') {
      const code =
        ref[1] === 'x' || ref[1] === 'X' ? Number.parseInt(ref.slice(2), 16) : Number.parseInt(ref.slice(1), 10)
      return Number.isFinite(code) && code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole
    }
    return ENTITIES[ref.toLowerCase()] ?? whole
  })
}

/** A run of snippet text, highlighted or not. */
export interface Run {
  text: string
  marked: boolean
}

/** Splits an API snippet (escaped text with <mark></mark>) into plain runs; any other tag is dropped. */
export function snippetRuns(snippet: string): Run[] {
  const runs: Run[] = []
  let marked = false
  for (const part of snippet.split(/(<\/?mark>)/)) {
    if (part === '<mark>') marked = true
    else if (part === '</mark>') marked = false
    else {
      const text = decodeEntities(part.replace(/<[^>]*>/g, ''))
        .replace(/\s+/g, ' ')
        .replace(UNSAFE, '')
      if (text) runs.push({ text, marked })
    }
  }
  return runs
}

/** Columns a code point takes: two for Hangul, CJK ideographs, kana and full-width forms. */
export function charWidth(cp: number): number {
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf && cp !== 0x303f) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  )
    return 2
  return 1
}

/** Display width of a string in terminal columns. */
export const textWidth = (text: string): number => [...text].reduce((w, ch) => w + charWidth(ch.codePointAt(0) ?? 0), 0)

interface Cell {
  ch: string
  marked: boolean
  width: number
}

/**
 * Wraps runs to `width` columns, breaking at spaces in Latin text and between any two characters in CJK
 * text (which has no spaces to break at), and styles the marked parts with `mark`.
 */
export function wrapRuns(runs: Run[], width: number, mark: (text: string) => string): string[] {
  const cells: Cell[] = runs.flatMap((run) =>
    [...run.text].map((ch) => ({ ch, marked: run.marked, width: charWidth(ch.codePointAt(0) ?? 0) })),
  )
  const lines: Cell[][] = []
  let line: Cell[] = []
  let used = 0
  for (const cell of cells) {
    if (line.length === 0 && cell.ch === ' ') continue
    if (used + cell.width > width && line.length > 0) {
      const space = cell.ch === ' ' ? line.length : line.map((c) => c.ch).lastIndexOf(' ')
      // Break at the last space unless that leaves most of the line empty (a long word or CJK text).
      const cut = space > line.length / 3 ? space : line.length
      lines.push(line.slice(0, cut))
      line = line.slice(cut).filter((c, i) => i > 0 || c.ch !== ' ')
      used = line.reduce((w, c) => w + c.width, 0)
      if (cell.ch === ' ' && line.length === 0) continue
    }
    line.push(cell)
    used += cell.width
  }
  if (line.length) lines.push(line)
  return lines.map((cellsOfLine) => {
    let out = ''
    let i = 0
    while (i < cellsOfLine.length) {
      const marked = cellsOfLine[i]?.marked ?? false
      let text = ''
      while (i < cellsOfLine.length && cellsOfLine[i]?.marked === marked) text += cellsOfLine[i++]?.ch ?? ''
      out += marked ? mark(text) : text
    }
    return out.trimEnd()
  })
}
