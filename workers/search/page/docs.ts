/**
 * The API reference page's script (`/docs`), compiled by `npm run build:page` (scripts/build-page.ts) into a static
 * asset: it renders /openapi.json into a list of endpoints, parameters, responses and schemas. Everything from the
 * document is set as text, never as markup, and every field is checked before it is read.
 */

/** The parts of an OpenAPI 3.1 document the page shows; anything else is ignored. */
type Json = Record<string, unknown>

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)
const text = (v: unknown): string => (typeof v === 'string' ? v : '')
const entries = (v: unknown): [string, unknown][] => (isObject(v) ? Object.entries(v) : [])
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : [])

function el(tag: string, content?: string, className?: string): HTMLElement {
  const e = document.createElement(tag)
  if (content !== undefined) e.textContent = content
  if (className) e.className = className
  return e
}

/** A schema's type as one short line: a referenced name, `item[]`, an enum's values, or its JSON type. */
function typeOf(schema: unknown): string {
  if (!isObject(schema)) return ''
  if (typeof schema.$ref === 'string') return schema.$ref.split('/').pop() ?? ''
  if (schema.type === 'array') return `${typeOf(schema.items)}[]`
  if (Array.isArray(schema.enum)) return schema.enum.map(String).join(' | ')
  if (typeof schema.type === 'string') return schema.type
  return schema.oneOf || schema.anyOf ? 'one of' : 'object'
}

function row(cells: readonly string[], cellTag = 'td'): HTMLElement {
  const tr = el('tr')
  for (const c of cells) tr.append(el(cellTag, c))
  return tr
}

function parametersTable(params: unknown[]): HTMLElement {
  const table = el('table')
  table.append(row(['parameter', 'in', 'type', 'description'], 'th'))
  for (const p of params) {
    if (!isObject(p)) continue
    const schema = isObject(p.schema) ? p.schema : {}
    const defaultValue = schema.default === undefined ? '' : ` = ${JSON.stringify(schema.default)}`
    table.append(row([text(p.name), text(p.in), typeOf(schema) + defaultValue, text(p.description)]))
  }
  return table
}

function responsesList(responses: unknown): HTMLElement {
  const ul = el('ul')
  for (const [code, response] of entries(responses)) {
    if (!isObject(response)) continue
    const [, media] = entries(response.content)[0] ?? []
    const type = isObject(media) ? ` · ${typeOf(media.schema)}` : ''
    ul.append(el('li', `${code} · ${text(response.description)}${type}`))
  }
  return ul
}

function operationSection(path: string, method: string, op: Json, shared: unknown[]): HTMLElement {
  const section = el('section')
  section.id = `${method}${path}`.replace(/[^a-z0-9]+/gi, '-')
  const heading = el('h2')
  heading.append(el('span', method.toUpperCase(), 'method'), el('code', ` ${path}`))
  section.append(heading, el('p', text(op.summary)))
  if (typeof op.description === 'string') section.append(el('p', op.description, 'desc'))
  const params = [...shared, ...list(op.parameters)]
  if (params.length > 0) section.append(parametersTable(params))
  section.append(responsesList(op.responses))
  return section
}

function schemasSection(schemas: unknown): HTMLElement {
  const section = el('section')
  section.append(el('h2', 'Schemas'))
  for (const [name, schema] of entries(schemas)) {
    if (!isObject(schema)) continue
    section.append(el('h3', name))
    if (typeof schema.description === 'string') section.append(el('p', schema.description, 'desc'))
    const required = new Set(list(schema.required).map(String))
    const properties = entries(schema.properties)
    if (properties.length === 0) continue
    const table = el('table')
    for (const [key, value] of properties) {
      const description = isObject(value) ? text(value.description) : ''
      table.append(row([key + (required.has(key) ? ' *' : ''), typeOf(value), description]))
    }
    section.append(table)
  }
  return section
}

function render(main: HTMLElement, doc: unknown): void {
  if (!isObject(doc)) throw new Error('the document is not an object')
  main.append(el('p', isObject(doc.info) ? text(doc.info.description) : ''))
  for (const [path, item] of entries(doc.paths)) {
    if (!isObject(item)) continue
    for (const [method, op] of Object.entries(item)) {
      // Path items also hold shared `parameters` and texts; operations are the entries with responses.
      if (isObject(op) && op.responses !== undefined)
        main.append(operationSection(path, method, op, list(item.parameters)))
    }
  }
  main.append(schemasSection(isObject(doc.components) ? doc.components.schemas : undefined))
}

const main = document.querySelector('main')
if (main) {
  fetch('/openapi.json')
    .then(async (response) => {
      if (!response.ok) throw new Error(`/openapi.json answered ${response.status}`)
      render(main, await response.json())
    })
    .catch((err: unknown) => {
      main.append(el('p', `Could not load /openapi.json: ${err instanceof Error ? err.message : String(err)}`))
    })
}
