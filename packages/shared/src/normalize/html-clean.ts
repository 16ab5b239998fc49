/**
 * Pre-cleaning a page before Readability scores it: page furniture that Readability would keep when its
 * class also says "content" (`related-content`, `share-content`) or that sits inside the story container
 * (captions, credits, share rows, "more stories" rails, pop-over cards). A container holding a large part
 * of the page's prose is never removed, whatever its class says.
 */
import { all, type DomDocument, type DomElement } from './dom'

/** An element holding at least this share of the page's paragraph text is the story, not furniture. */
export const DEFAULT_PROTECT_SHARE = 0.3

/** Paragraphs shorter than this do not count as prose when measuring where the story is. */
const MIN_PROSE_CHARS = 40

/** Elements that never carry article text. */
const DROP_TAGS =
  'script, style, noscript, template, iframe, object, embed, svg, canvas, button, select, input, textarea, dialog, figcaption, nav, aside, footer'

/** Third-party embeds whose quoted text is part of the story. */
const EMBEDS = 'blockquote.twitter-tweet, blockquote.instagram-media, blockquote.tiktok-embed, blockquote.twitter-video'

const HTML_CLEAN = {
  // Class or id words naming furniture; matched as whole words of a class/id ("share-bar", "ad_slot", "related").
  junk: /(?:^|[\s_-])(?:share|sharing|social|sociable|related|recommend|recommended|recommendations|outbrain|taboola|newsletter|subscribe|subscription|signup|promo|promotion|advert|advertisement|advertising|ad|ads|adslot|dfp|sponsor|sponsored|comment|comments|disqus|breadcrumb|breadcrumbs|rollover|tooltip|popover|popup|modal|cookie|consent|trending|popular|sidebar|rail|carousel|swiper|caption|captions|credit|credits|hidden|sr-only|visually-hidden|screen-reader-text|toolbar|masthead|navbar|nav|menu|footer|tags|tagline|byline|dateline|timestamp|author-info|author-bio|bio)(?=$|[\s_-])/i,
  hiddenStyle: /(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)/i,
  camelCase: /(\p{Ll})(\p{Lu})/gu,
  // Bootstrap-style responsive classes hide things on some screens only: the text is on the page.
  responsive: /\b(?:hidden|visible)-(?:xs|sm|md|lg|xl|xxl|print|mobile|phone|tablet|desktop)\b/gi,
} as const

/** Phrasing elements: furniture only when they are not part of a sentence. */
const INLINE_TAGS: ReadonlySet<string> = new Set([
  'a',
  'abbr',
  'b',
  'cite',
  'em',
  'i',
  'label',
  'small',
  'span',
  'strong',
  'time',
  'u',
])

/** Class and id words, camelCase split so that `newsCaption` reads as "news Caption". */
function classAndId(el: DomElement): string {
  return `${el.getAttribute('class') ?? ''} ${el.getAttribute('id') ?? ''}`
    .replace(HTML_CLEAN.responsive, ' ')
    .replace(HTML_CLEAN.camelCase, '$1 $2')
}

/** Nearest ancestor that is not a phrasing element. */
function blockAncestor(el: DomElement): DomElement | null {
  let parent = el.parentElement
  while (parent !== null && INLINE_TAGS.has(parent.localName.toLowerCase())) parent = parent.parentElement
  return parent
}

/** An inline element inside a sentence (a name with a hover card, a styled phrase) is text, not furniture. */
function isInSentence(el: DomElement): boolean {
  if (!INLINE_TAGS.has(el.localName.toLowerCase())) return false
  // A pop-over card (picture, several links) sits in the sentence's markup but not in its text.
  if (all(el, 'img, picture').length > 0 || all(el, 'a').length > 1) return false
  const block = blockAncestor(el)
  if (block === null) return false
  const around = (block.textContent ?? '').length - (el.textContent ?? '').length
  return around >= MIN_PROSE_CHARS
}

function proseLength(el: DomElement | DomDocument): number {
  let n = 0
  for (const p of all(el, 'p')) {
    const len = (p.textContent ?? '').trim().length
    if (len >= MIN_PROSE_CHARS) n += len
  }
  return n
}

/** The element holding the most paragraph text directly, and all its ancestors: the story lives there. */
function storyPath(doc: DomDocument): Set<DomElement> {
  const byParent = new Map<DomElement, number>()
  for (const p of all(doc, 'p')) {
    const len = (p.textContent ?? '').trim().length
    const parent = p.parentElement
    if (len >= MIN_PROSE_CHARS && parent !== null) byParent.set(parent, (byParent.get(parent) ?? 0) + len)
  }
  let best: DomElement | null = null
  let bestLength = 0
  for (const [parent, length] of byParent) {
    if (length > bestLength) {
      best = parent
      bestLength = length
    }
  }
  const path = new Set<DomElement>()
  for (let el = best; el !== null; el = el.parentElement) path.add(el)
  return path
}

/** Keeps embedded posts (tweets) when their wrapper's class says "social": their text is quoted in the story. */
function rescueEmbeds(doc: DomDocument): void {
  for (const embed of all(doc, EMBEDS)) {
    embed.setAttribute('class', 'embedded-post')
    let parent = embed.parentElement
    const size = (embed.textContent ?? '').length
    for (let depth = 0; parent !== null && depth < 3; depth++) {
      if ((parent.textContent ?? '').length > size * 1.5 + 50) break
      parent.setAttribute('class', 'embedded-post')
      parent.setAttribute('id', '')
      parent = parent.parentElement
    }
  }
}

/** Text next to a picture up to this long, alone in its box, is the picture's caption or credit. */
export const DEFAULT_MAX_CAPTION_CHARS = 300

/** Boxes holding a picture and nothing but a short text (a caption without a <figcaption>). */
function captionBoxes(doc: DomDocument, story: ReadonlySet<DomElement>): DomElement[] {
  const boxes = new Set<DomElement>()
  for (const img of all(doc, 'body img, body picture')) {
    let box = img.parentElement
    // Climb out of the link or <picture> wrapping the image to the box that holds it and its text.
    for (let i = 0; box !== null && i < 2 && (INLINE_TAGS.has(box.localName) || box.localName === 'picture'); i++) {
      box = box.parentElement
    }
    // A paragraph with a picture floated into it is text; a caption sits beside the picture, not around it.
    if (box === null || box.localName === 'p' || story.has(box) || boxes.has(box)) continue
    const text = (box.textContent ?? '').trim().length
    if (text === 0 || text > DEFAULT_MAX_CAPTION_CHARS) continue
    if (all(box, 'p').length > 1 || all(box, 'h1, h2, h3, h4, h5, h6, li').length > 0) continue
    boxes.add(box)
  }
  return [...boxes]
}

/** Removes furniture from a parsed page in place. */
export function preClean(doc: DomDocument): void {
  for (const el of all(doc, DROP_TAGS)) el.remove()
  rescueEmbeds(doc)
  const total = proseLength(doc)
  const protectAt = Math.max(1, total * DEFAULT_PROTECT_SHARE)
  const story = storyPath(doc)
  for (const box of captionBoxes(doc, story)) box.remove()
  // Innermost first, so a pop-over card inside a link wrapper goes before the wrapper is judged.
  const candidates = all(
    doc,
    'body [class], body [id], body [style], body [hidden], body [aria-hidden="true"]',
  ).reverse()
  for (const el of candidates) {
    if (el.parentNode === null) continue
    const tag = el.localName
    if (tag === 'body' || tag === 'html' || tag === 'article' || tag === 'main') continue
    const hidden =
      el.hasAttribute('hidden') ||
      el.getAttribute('aria-hidden') === 'true' ||
      HTML_CLEAN.hiddenStyle.test(el.getAttribute('style') ?? '')
    if (!hidden && (!HTML_CLEAN.junk.test(classAndId(el)) || isInSentence(el))) continue
    // The container of the story, or one with much of the page's prose, stays whatever its class says.
    if (story.has(el) || proseLength(el) >= protectAt) continue
    el.remove()
  }
}
