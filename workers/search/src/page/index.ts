import { assetRoute, pageRoute } from '@edgewire/shared/api-routes'
import { OpenAPIHono } from '@hono/zod-openapi'
import { APP_CSS } from './app-css'
import { APP_JS } from './app-js'
import { shell } from './shell'

/** FNV-1a over the asset's text: a cheap, synchronous content hash for cache busting. */
export function contentHash(text: string): string {
  let hash = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return (hash >>> 0).toString(36)
}

const ASSETS = {
  'app.js': { body: APP_JS, type: 'text/javascript; charset=utf-8', hash: contentHash(APP_JS) },
  'app.css': { body: APP_CSS, type: 'text/css; charset=utf-8', hash: contentHash(APP_CSS) },
} as const

type AssetName = keyof typeof ASSETS

const isAsset = (name: string): name is AssetName => Object.hasOwn(ASSETS, name)

/**
 * The page allows nothing but its own script, styles and API: even a value that slipped into the DOM as
 * markup could not run or load anything.
 */
const PAGE_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'strict-origin-when-cross-origin',
  'cache-control': 'no-cache',
}

/** The search page at `/` and its two assets; mounted on the search worker's app. */
export const page = new OpenAPIHono()

page.openapi(pageRoute, (c) =>
  c.html(
    shell({
      css: `/assets/app.css?v=${ASSETS['app.css'].hash}`,
      js: `/assets/app.js?v=${ASSETS['app.js'].hash}`,
    }),
    200,
    PAGE_HEADERS,
  ),
)

page.openapi(assetRoute, (c) => {
  const { name } = c.req.valid('param')
  if (!isAsset(name)) return c.notFound()
  const asset = ASSETS[name]
  const etag = `"${asset.hash}"`
  // A request naming the current hash may keep the answer forever; anything else revalidates.
  const headers = {
    'content-type': asset.type,
    etag,
    'x-content-type-options': 'nosniff',
    'cache-control':
      c.req.query('v') === asset.hash ? 'public, max-age=31536000, immutable' : 'public, max-age=0, must-revalidate',
  }
  if (c.req.header('if-none-match') === etag) return c.body(null, 304, headers)
  return c.body(asset.body, 200, headers)
})
