/**
 * Cleaning what Readability kept, while links are still visible. Runs of blocks that are (almost) all link
 * text are "more stories" lists, "read next" teasers and share rows, not prose; a single linked line among
 * prose ("Get it on Amazon", a linked product heading) is part of the story and stays.
 */
import { all, type DomElement } from './dom'

/** A block whose link text is at least this share of its text is a link line. */
export const DEFAULT_MAX_LINK_DENSITY = 0.8

/** This many link lines in a row make a link list. */
export const DEFAULT_MIN_LINK_RUN = 3

/** Text blocks judged one by one. */
const LEAF_BLOCKS: ReadonlySet<string> = new Set(['p', 'li', 'dt', 'dd', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6'])

/** Block elements under a root, by tag name in any case (Readability creates some as `P`). */
function blocksUnder(root: DomElement): DomElement[] {
  return all(root, '*').filter((el) => LEAF_BLOCKS.has(el.localName.toLowerCase()))
}

const LINKS = {
  // A link showing its own address is a cited source, which is text of the story.
  urlText: /^(?:https?:\/\/|www\.)\S+$/iu,
} as const

function textLength(text: string | null): number {
  return (text ?? '').replace(/\s+/g, '').length
}

function linkDensity(block: DomElement): number {
  const total = textLength(block.textContent)
  if (total === 0) return 0
  let linked = 0
  for (const a of all(block, 'a')) {
    const text = (a.textContent ?? '').trim()
    if (!LINKS.urlText.test(text)) linked += textLength(text)
  }
  return linked / total
}

/** Removes runs of link lines from Readability's article element, in place. */
export function dropLinkRuns(root: DomElement): void {
  // Leaves only: a list item holding paragraphs is judged through its paragraphs.
  const leaves = blocksUnder(root).filter((el) => blocksUnder(el).length === 0 && textLength(el.textContent) > 0)
  let run: DomElement[] = []
  const flush = (): void => {
    if (run.length >= DEFAULT_MIN_LINK_RUN) for (const el of run) el.remove()
    run = []
  }
  for (const leaf of leaves) {
    if (linkDensity(leaf) >= DEFAULT_MAX_LINK_DENSITY) run.push(leaf)
    else flush()
  }
  flush()
}
