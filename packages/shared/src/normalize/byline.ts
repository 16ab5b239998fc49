/** Bylines: recognising a "By Name" line, cutting what a scraper left after the name, and the bare author name. */

/** A byline line is short; longer lines starting with "By" are sentences. */
export const DEFAULT_MAX_BYLINE_CHARS = 120

const BYLINE = {
  // "By", "Written by", "Von", "Par", "Por", ... then the name(s).
  prefix: /^(?:(?:written|reported|posted|story|words|text|photos?)\s+by|by|von|par|por|door|di|av|oleh)\s*:?\s+/iu,
  // Capitalised name words, possibly several joined by "and"/"&"/commas; particles like "de"/"van" allowed.
  names:
    /^\p{Lu}[\p{L}\p{M}'’.-]*(?:(?:\s+|\s*,\s*|\s+(?:and|&|y|e|und|et)\s+)(?:(?:de|van|von|da|del|der|di|la|le|al|el|bin)\s+)?\p{Lu}[\p{L}\p{M}'’.-]*){0,7}/u,
  // What may follow the names on a byline line: "(email" cut off or whole, "| Staff", ", Reuters", "- date".
  tail: /^\s*(?:\(.*|[|–—-]\s.{0,80}|\/.{0,60}|,(?:\s*(?:\p{Lu}[\p{L}\p{M}.'’-]*|for|of|the|and|staff|writer|correspondent|reporter|editor)){1,8}\.?|@\S*)?$/u,
} as const

/** If the line is a byline, the byline as printed without its trailing junk ("By Jo He-rim"); else null. */
export function parseBylineLine(line: string): string | null {
  const trimmed = line.trim()
  if (trimmed.length === 0 || trimmed.length > DEFAULT_MAX_BYLINE_CHARS) return null
  const prefix = BYLINE.prefix.exec(trimmed)
  if (prefix === null) return null
  const rest = trimmed.slice(prefix[0].length)
  const names = BYLINE.names.exec(rest)
  if (names === null) return null
  const tail = rest.slice(names[0].length)
  // Whatever follows the name must look like a tail (email, affiliation, date), not the rest of a sentence.
  if (!BYLINE.tail.test(tail)) return null
  return `${prefix[0]}${names[0]}`.replace(/[\s,.]+$/u, '')
}

/** The author's name from a byline ("By Jo He-rim" gives "Jo He-rim"). */
export function authorFromByline(byline: string): string {
  return byline.replace(BYLINE.prefix, '').trim()
}
