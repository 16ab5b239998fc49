import { buildPage } from '../scripts/build-page'

/** Vitest global setup: the search page's static assets exist before workerd serves them (test/wrangler.toml). */
export default async function setup(): Promise<void> {
  await buildPage()
}
