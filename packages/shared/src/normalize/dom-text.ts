/**
 * Plain text from a DOM subtree, keeping the structure readers see: every block (paragraph, heading,
 * list item, table row, quote) becomes its own paragraph, inline text flows, hidden and embedded things are skipped.
 */
import { type DomNode, isElement, NODE } from './dom'

/** Elements that start and end a paragraph of their own. */
const BLOCK_TAGS: ReadonlySet<string> = new Set([
  'address',
  'article',
  'aside',
  'blockquote',
  'body',
  'caption',
  'center',
  'dd',
  'details',
  'dialog',
  'div',
  'dl',
  'dt',
  'fieldset',
  'figcaption',
  'figure',
  'footer',
  'form',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'header',
  'hgroup',
  'hr',
  'li',
  'main',
  'menu',
  'nav',
  'ol',
  'p',
  'pre',
  'section',
  'summary',
  'table',
  'tbody',
  'tfoot',
  'thead',
  'tr',
  'ul',
])

/** Elements whose content is never article text. */
const SKIP_TAGS: ReadonlySet<string> = new Set([
  'audio',
  'button',
  'canvas',
  'embed',
  'head',
  'iframe',
  'input',
  'link',
  'map',
  'meta',
  'noscript',
  'object',
  'option',
  'script',
  'select',
  'style',
  'svg',
  'template',
  'textarea',
  'video',
  'math',
])

const CELL_TAGS: ReadonlySet<string> = new Set(['td', 'th'])

/** Paragraph texts of a subtree, in document order, whitespace collapsed inside each. */
export function blockTexts(root: DomNode): string[] {
  const paragraphs: string[] = []
  let current = ''
  const flush = (): void => {
    const text = current.replace(/\s+/g, ' ').trim()
    if (text !== '') paragraphs.push(text)
    current = ''
  }
  const walk = (node: DomNode, depth: number): void => {
    if (node.nodeType === NODE.text) {
      current += node.textContent ?? ''
      return
    }
    if (!isElement(node)) return
    // Readability creates some elements in upper case (`P`) and linkedom keeps the case it was given.
    const tag = node.localName.toLowerCase()
    if (SKIP_TAGS.has(tag) || node.hasAttribute('hidden') || node.getAttribute('aria-hidden') === 'true') return
    if (tag === 'br') {
      flush()
      return
    }
    // Deeply nested markup is almost always generated junk; stop before the stack does.
    if (depth > 200) return
    const block = BLOCK_TAGS.has(tag)
    if (block) flush()
    if (CELL_TAGS.has(tag)) current += ' '
    const children = node.childNodes
    for (let i = 0; i < children.length; i++) {
      const child = children[i]
      if (child !== undefined) walk(child, depth + 1)
    }
    if (CELL_TAGS.has(tag)) current += ' '
    if (block) flush()
  }
  walk(root, 0)
  flush()
  return paragraphs
}
