import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/** Working local defaults, also in .dev.vars.example; never used in production (wrangler secret put). */
export const LOCAL_DEFAULTS = {
  WEBHOOK_SECRET: 'whsec_ZWRnZXdpcmUtbG9jYWwtZGV2ZWxvcG1lbnQtc2VjcmV0',
  ADMIN_TOKEN: 'edgewire-local-admin-token',
} as const

export const ROOT = join(import.meta.dirname, '..', '..')

/** Secrets for local runs: the environment first, then .dev.vars, then the documented defaults. */
export function localSecrets(): { WEBHOOK_SECRET: string; ADMIN_TOKEN: string } {
  const file = join(ROOT, '.dev.vars')
  const vars: Record<string, string> = {}
  if (existsSync(file)) {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const match = /^\s*([A-Z_][A-Z0-9_]*)\s*=\s*"?(.*?)"?\s*$/.exec(line)
      if (match?.[1]) vars[match[1]] = match[2] ?? ''
    }
  }
  return {
    WEBHOOK_SECRET: process.env.WEBHOOK_SECRET || vars.WEBHOOK_SECRET || LOCAL_DEFAULTS.WEBHOOK_SECRET,
    ADMIN_TOKEN: process.env.ADMIN_TOKEN || vars.ADMIN_TOKEN || LOCAL_DEFAULTS.ADMIN_TOKEN,
  }
}

export const ingestUrl = () => `http://127.0.0.1:${process.env.INGEST_PORT || 8787}`
export const searchUrl = () => `http://127.0.0.1:${process.env.SEARCH_PORT || 8788}`
