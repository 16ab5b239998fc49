/**
 * Canonical article URLs: the same page reached through a campaign link, with a fragment or with an
 * explicit default port must give one URL, so that it gives one article id.
 */

/** Query parameters that only say how a reader arrived, never which page they asked for. */
const TRACKING_PARAMS: ReadonlySet<string> = new Set([
  'fbclid',
  'gclid',
  'gclsrc',
  'dclid',
  'gbraid',
  'wbraid',
  'msclkid',
  'yclid',
  'twclid',
  'ttclid',
  'li_fat_id',
  'igshid',
  'mc_cid',
  'mc_eid',
  '_ga',
  '_gl',
  '_hsenc',
  '_hsmi',
  'mkt_tok',
  'oly_anon_id',
  'oly_enc_id',
  'vero_id',
  'vero_conv',
  'wt_mc',
  'wt.mc_id',
  'cmpid',
  'ocid',
  'ncid',
  'sr_share',
  'smid',
  'spm',
])

/** Prefixes of tracking parameter families (`utm_source`, `utm_medium`, ...). */
const TRACKING_PARAM_PREFIXES: readonly string[] = ['utm_', 'pk_', 'mtm_', 'hsa_', 'at_']

/** True when a query parameter name is a tracking parameter. */
function isTrackingParam(name: string): boolean {
  const key = name.toLowerCase()
  return TRACKING_PARAMS.has(key) || TRACKING_PARAM_PREFIXES.some((prefix) => key.startsWith(prefix))
}

function paramName(pair: string): string {
  const raw = pair.split('=', 1)[0] ?? ''
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '))
  } catch {
    return raw
  }
}

/** lower-case host, no fragment, no utm_* / fbclid / gclid / similar tracking params, default port dropped, order of the other params kept */
export function canonicalizeUrl(url: string): string {
  const trimmed = url.trim()
  let parsed: URL
  try {
    parsed = new URL(trimmed)
  } catch {
    // Not a URL we can reason about: hand it back as given rather than guessing.
    return trimmed
  }
  // WHATWG URL already lower-cases scheme and host, drops default ports and normalizes the path.
  parsed.hash = ''
  parsed.username = ''
  parsed.password = ''
  // Filter the raw query string instead of URLSearchParams so the kept parameters keep their exact encoding.
  const query = parsed.search.startsWith('?') ? parsed.search.slice(1) : parsed.search
  const kept = query.split('&').filter((pair) => pair !== '' && !isTrackingParam(paramName(pair)))
  parsed.search = kept.length > 0 ? `?${kept.join('&')}` : ''
  return parsed.href
}
