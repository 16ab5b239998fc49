/** Loading the extraction dev set from `../shared/corpus/` (outside the repo; absent in a fresh clone). */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Project root, whatever the working directory. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

/** Where the dev pages live, relative to the project root. */
export const DEV_SET_PATH = '../shared/corpus/extraction-dev.jsonl'

/** One dev page: the page as fetched and the hand-made article text. */
export interface DevPage {
  id: string
  title: string
  body: string
  url?: string
  html: string
  lang?: string
}

/** Reads the dev set, or exits with a clear message when ../shared is not there. */
export function loadDevPages(): DevPage[] {
  const path = resolve(PROJECT_ROOT, DEV_SET_PATH)
  if (!existsSync(path)) {
    console.error(
      `Cannot find ${DEV_SET_PATH} (looked at ${path}).\n` +
        'The extraction dev set lives in the shared corpus beside the project, not in the repository; ' +
        'run this where ../shared/corpus exists.',
    )
    process.exit(2)
  }
  const pages: DevPage[] = []
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.trim() === '') continue
    pages.push(JSON.parse(line) as DevPage)
  }
  return pages
}
