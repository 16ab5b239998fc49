/**
 * The small part of the DOM the extractor uses, typed here so the rest of the code does not depend on
 * linkedom's loose typings (it declares browser globals that the Workers types do not have).
 */
import { parseHTML } from 'linkedom'

/** Node types the walkers care about. */
export const NODE = { element: 1, text: 3, comment: 8 } as const

export interface DomNode {
  nodeType: number
  nodeName: string
  textContent: string | null
  parentNode: DomNode | null
  childNodes: ArrayLike<DomNode>
  remove(): void
}

export interface DomElement extends DomNode {
  tagName: string
  localName: string
  id: string
  className: string
  children: ArrayLike<DomElement>
  parentElement: DomElement | null
  getAttribute(name: string): string | null
  hasAttribute(name: string): boolean
  setAttribute(name: string, value: string): void
  querySelector(selector: string): DomElement | null
  querySelectorAll(selector: string): ArrayLike<DomElement>
  appendChild(node: DomNode): DomNode
}

export interface DomDocument {
  documentElement: DomElement
  head: DomElement | null
  body: DomElement | null
  title: string
  querySelector(selector: string): DomElement | null
  querySelectorAll(selector: string): ArrayLike<DomElement>
  createElement(tag: string): DomElement
}

const FULL_DOCUMENT = /<html[\s>]|<body[\s>]|<head[\s>]/i

/** Parses a page or a fragment into a document; fragments are wrapped so `body` always exists. */
export function parseDocument(html: string): DomDocument {
  const source = FULL_DOCUMENT.test(html.slice(0, 10_000))
    ? html
    : `<!doctype html><html><head></head><body>${html}</body></html>`
  const { document } = parseHTML(source) as unknown as { document: DomDocument }
  return document
}

/** Elements matching a selector, as an array. */
export function all(root: DomDocument | DomElement, selector: string): DomElement[] {
  try {
    return Array.from(root.querySelectorAll(selector))
  } catch {
    // linkedom's selector engine refuses a few valid selectors; an empty match is the safe answer.
    return []
  }
}

/** True for element nodes. */
export function isElement(node: DomNode): node is DomElement {
  return node.nodeType === NODE.element
}

/** Elements whose end tag may be left out: their open tags say nothing about depth. */
const OPTIONAL_END: ReadonlySet<string> = new Set([
  'p',
  'li',
  'dt',
  'dd',
  'tr',
  'td',
  'th',
  'option',
  'optgroup',
  'thead',
  'tbody',
  'tfoot',
  'colgroup',
  'rb',
  'rt',
  'rp',
  'html',
  'head',
  'body',
])

/** Elements that never have content. */
const VOID: ReadonlySet<string> = new Set([
  'area',
  'base',
  'br',
  'col',
  'embed',
  'hr',
  'img',
  'input',
  'link',
  'meta',
  'param',
  'source',
  'track',
  'wbr',
])

const TAG = /<(\/?)([a-zA-Z][a-zA-Z0-9-]*)\b[^>]*?(\/?)>/g

/** True when markup nests deeper than `limit` (estimated from tags, without building a DOM). */
export function nestsDeeperThan(html: string, limit: number): boolean {
  let depth = 0
  TAG.lastIndex = 0
  for (let m = TAG.exec(html); m !== null; m = TAG.exec(html)) {
    const name = (m[2] ?? '').toLowerCase()
    if (VOID.has(name) || OPTIONAL_END.has(name) || m[3] === '/') continue
    if (m[1] === '/') depth = Math.max(0, depth - 1)
    else if (++depth > limit) return true
  }
  return false
}
