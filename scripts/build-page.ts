/**
 * `npm run build:page`: builds the search page and the API reference page (/docs) from workers/search/page/ into the
 * search worker's static assets (workers/search/public/, served by Workers Static Assets; see `[env.search.assets]`
 * in wrangler.toml). Each page's script and stylesheet are bundled and minified by esbuild under content-hashed
 * names, its HTML is rewritten to name them, and `_headers` (the pages' Content-Security-Policy and caching) is
 * copied beside.
 *
 * Run by wrangler's custom build before `wrangler dev` and `wrangler deploy` (so `npm start` and `npm run
 * deploy:check`), and by the vitest global setup before the tests. Several may run at once (the end-to-end tests start
 * several `wrangler dev`), so every file is written whole and renamed into place, and same sources give same names.
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises'
import { basename, dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
export const PAGE_SOURCE = join(ROOT, 'workers', 'search', 'page')
export const PAGE_OUTPUT = join(ROOT, 'workers', 'search', 'public')
const ASSETS = join(PAGE_OUTPUT, 'assets')

/** Writes a file whole: a server reading the folder meanwhile sees the old file or the new one, never half of one. */
async function writeWhole(path: string, contents: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const temp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`
  await writeFile(temp, contents)
  await rename(temp, path)
}

/** The pages: each an HTML file with a script and a stylesheet named after it (`/` is index.html, `/docs` docs.html). */
const PAGES = [
  { name: 'app', html: 'index.html' },
  { name: 'docs', html: 'docs.html' },
] as const
type PageName = (typeof PAGES)[number]['name']
/** The public paths of a built page's script and stylesheet. */
interface BuiltPage {
  js: string
  css: string
}

/** Builds the pages; returns the public paths of each page's script and stylesheet, by page name. */
export async function buildPage(): Promise<Record<PageName, BuiltPage>> {
  const result = await build({
    entryPoints: PAGES.flatMap((page) => [join(PAGE_SOURCE, `${page.name}.ts`), join(PAGE_SOURCE, `${page.name}.css`)]),
    bundle: true,
    minify: true,
    sourcemap: 'linked',
    format: 'iife',
    target: 'es2022',
    entryNames: '[name].[hash]',
    outdir: ASSETS,
    write: false,
    logLevel: 'warning',
  })
  const names = result.outputFiles.map((f) => basename(f.path))
  for (const file of result.outputFiles) await writeWhole(file.path, file.contents)
  // Older builds' hashed files are dropped: this build's names are the only ones the HTML can name.
  for (const name of await readdir(ASSETS)) if (!names.includes(name)) await rm(join(ASSETS, name), { force: true })

  const built: Partial<Record<PageName, BuiltPage>> = {}
  for (const page of PAGES) {
    const find = (ext: string) => {
      const name = names.find((n) => n.startsWith(`${page.name}.`) && n.endsWith(ext))
      if (!name) throw new Error(`esbuild wrote no ${ext} for ${page.html}`)
      return `/assets/${name}`
    }
    const paths = { js: find('.js'), css: find('.css') }
    // Comments in the source (lint suppressions with their reasons) are for its readers, not for every page load.
    const html = (await readFile(join(PAGE_SOURCE, page.html), 'utf8')).replace(/[ \t]*<!--[\s\S]*?-->\n?/g, '')
    const linked = html.replace(`/assets/${page.name}.js`, paths.js).replace(`/assets/${page.name}.css`, paths.css)
    if (!linked.includes(paths.js) || !linked.includes(paths.css)) {
      throw new Error(`${page.html} must link /assets/${page.name}.js and /assets/${page.name}.css`)
    }
    await writeWhole(join(PAGE_OUTPUT, page.html), linked)
    built[page.name] = paths
  }
  await writeWhole(join(PAGE_OUTPUT, '_headers'), await readFile(join(PAGE_SOURCE, '_headers')))
  const { app, docs } = built
  if (!app || !docs) throw new Error('a page was not built')
  return { app, docs }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const built = await buildPage()
  const files = Object.values(built).flatMap(({ js, css }) => [js, css])
  console.log(`Built the search page and /docs into ${relative(ROOT, PAGE_OUTPUT)}/ (${files.join(', ')})`)
}
