import { html, raw } from 'hono/html'

/**
 * The API reference page at /docs: a small script renders /openapi.json into a readable list of endpoints,
 * parameters, responses and schemas. Everything from the document is set as text, never as markup.
 */
const SCRIPT = `
const el = (tag, text, cls) => { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e }
const typeOf = (s) => !s ? '' : s.$ref ? s.$ref.split('/').pop() : s.type === 'array' ? typeOf(s.items) + '[]' : s.enum ? s.enum.join(' | ') : (s.type || (s.oneOf || s.anyOf ? 'one of' : 'object'))
fetch('/openapi.json').then((r) => r.json()).then((doc) => {
  const main = document.querySelector('main')
  main.append(el('p', doc.info.description))
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (!op || typeof op !== 'object' || !op.responses) continue
      const section = el('section'); section.id = (method + path).replace(/[^a-z0-9]+/gi, '-')
      const h = el('h2'); h.append(el('span', method.toUpperCase(), 'method'), el('code', ' ' + path)); section.append(h)
      section.append(el('p', op.summary)); if (op.description) section.append(el('p', op.description, 'desc'))
      const params = [...(item.parameters || []), ...(op.parameters || [])]
      if (params.length) {
        const t = el('table'); const head = el('tr'); for (const c of ['parameter', 'in', 'type', 'description']) head.append(el('th', c)); t.append(head)
        for (const p of params) { const row = el('tr'); row.append(el('td', p.name), el('td', p.in), el('td', typeOf(p.schema) + (p.schema && p.schema.default !== undefined ? ' = ' + p.schema.default : '')), el('td', p.description || '')); t.append(row) }
        section.append(t)
      }
      const ul = el('ul')
      for (const [code, r] of Object.entries(op.responses)) { const content = r.content && Object.values(r.content)[0]; ul.append(el('li', code + ' · ' + r.description + (content ? ' · ' + typeOf(content.schema) : ''))) }
      section.append(ul); main.append(section)
    }
  }
  const schemas = el('section'); schemas.append(el('h2', 'Schemas'))
  for (const [name, s] of Object.entries(doc.components.schemas)) {
    schemas.append(el('h3', name)); if (s.description) schemas.append(el('p', s.description, 'desc'))
    const t = el('table'); const props = s.properties || {}
    for (const [k, v] of Object.entries(props)) { const row = el('tr'); row.append(el('td', k + ((s.required || []).includes(k) ? ' *' : '')), el('td', typeOf(v)), el('td', v.description || '')); t.append(row) }
    if (Object.keys(props).length) schemas.append(t)
  }
  main.append(schemas)
}).catch((e) => { document.querySelector('main').append(el('p', 'Could not load /openapi.json: ' + e.message)) })
`

const STYLE = `
body { font: 16px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem; color: #1a1a1a }
h1 { font-size: 1.6rem } h2 { font-size: 1.2rem; margin-top: 2rem; border-top: 1px solid #ddd; padding-top: 1rem }
.method { background: #0b57d0; color: #fff; border-radius: 4px; padding: 0 .4rem; font-size: .9rem }
code { font-family: ui-monospace, monospace } .desc { color: #444 }
table { border-collapse: collapse; width: 100% } td, th { border-bottom: 1px solid #eee; text-align: left; padding: .25rem .5rem; vertical-align: top }
a { color: #0b57d0 }
`

/** The HTML of /docs. */
export const apiReferencePage = () => html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Edgewire API reference</title>
    <style>
      ${raw(STYLE)}
    </style>
  </head>
  <body>
    <header>
      <h1>Edgewire API reference</h1>
      <p>Rendered from <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1). <a href="/">Search page</a></p>
    </header>
    <main></main>
    <script>
      ${raw(SCRIPT)}
    </script>
  </body>
</html>`
