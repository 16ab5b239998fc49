/**
 * `npm run goldens:update`: regenerates test/fixtures/extraction/<case>/expected.json from the current
 * normalizer. Run it on purpose after a deliberate change, then read the diff before committing.
 *   --check   report which cases would change, write nothing, exit 1 if any would
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { normalizeArticle } from '../packages/shared/src/normalize'
import { GOLDEN_NOW, goldenInput, goldenView } from '../test/fixtures/extraction/golden-view'
import { PROJECT_ROOT } from './lib/extract-dev-set'

const FIXTURES = resolve(PROJECT_ROOT, 'test/fixtures/extraction')
const check = process.argv.includes('--check')

async function main(): Promise<void> {
  let changed = 0
  const cases = readdirSync(FIXTURES, { withFileTypes: true }).filter((d) => d.isDirectory())
  for (const dir of cases) {
    const folder = join(FIXTURES, dir.name)
    const html = join(folder, 'source.html')
    const text = join(folder, 'source.txt')
    const source = existsSync(html)
      ? { html: readFileSync(html, 'utf8') }
      : existsSync(text)
        ? { text: readFileSync(text, 'utf8') }
        : null
    if (source === null) continue
    const inputPath = join(folder, 'input.json')
    const input = existsSync(inputPath) ? JSON.parse(readFileSync(inputPath, 'utf8')) : {}
    const article = await normalizeArticle(goldenInput(input, source), GOLDEN_NOW)
    const next = `${JSON.stringify(goldenView(article), null, 2)}\n`
    const expectedPath = join(folder, 'expected.json')
    const previous = existsSync(expectedPath) ? readFileSync(expectedPath, 'utf8') : ''
    if (previous === next) continue
    changed++
    console.log(`${check ? 'would change' : 'updated'}: ${dir.name}`)
    if (!check) writeFileSync(expectedPath, next)
  }
  console.log(`${cases.length} cases, ${changed} ${check ? 'would change' : 'changed'}`)
  if (check && changed > 0) process.exit(1)
}

await main()
