/**
 * `npm run build:page`: builds the search page (workers/search/page/) into the search worker's static assets
 * (workers/search/public/, served by Workers Static Assets; see `[env.search.assets]` in wrangler.toml). The script
 * and stylesheet are bundled and minified by esbuild under content-hashed names, index.html is rewritten to name
 * them, and `_headers` (the page's Content-Security-Policy and caching) is copied beside.
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

/** Builds the page; returns the public paths of its script and stylesheet. */
export async function buildPage(): Promise<{ js: string; css: string }> {
  const result = await build({
    entryPoints: [join(PAGE_SOURCE, 'app.ts'), join(PAGE_SOURCE, 'app.css')],
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
  const find = (ext: string) => {
    const name = names.find((n) => n.startsWith('app.') && n.endsWith(ext))
    if (!name) throw new Error(`esbuild wrote no ${ext} for the page`)
    return `/assets/${name}`
  }
  const paths = { js: find('.js'), css: find('.css') }
  for (const file of result.outputFiles) await writeWhole(file.path, file.contents)
  // Older builds' hashed files are dropped: this build's names are the only ones index.html can name.
  for (const name of await readdir(ASSETS)) if (!names.includes(name)) await rm(join(ASSETS, name), { force: true })

  // Comments in the source (lint suppressions with their reasons) are for its readers, not for every page load.
  const html = (await readFile(join(PAGE_SOURCE, 'index.html'), 'utf8')).replace(/[ \t]*<!--[\s\S]*?-->\n?/g, '')
  const linked = html.replace('/assets/app.js', paths.js).replace('/assets/app.css', paths.css)
  if (!linked.includes(paths.js) || !linked.includes(paths.css)) {
    throw new Error('index.html must link /assets/app.js and /assets/app.css')
  }
  await writeWhole(join(PAGE_OUTPUT, 'index.html'), linked)
  await writeWhole(join(PAGE_OUTPUT, '_headers'), await readFile(join(PAGE_SOURCE, '_headers')))
  return paths
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { js, css } = await buildPage()
  console.log(`Built the search page into ${relative(ROOT, PAGE_OUTPUT)}/ (${js}, ${css})`)
}
