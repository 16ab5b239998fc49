import { cloudflareTest } from '@cloudflare/vitest-plugin'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // Workers log a JSON line per request; show logs only of tests that fail.
    silent: 'passed-only',
    // The search page's static assets (built from workers/search/page/), which both projects serve.
    globalSetup: ['./test/build-page.setup.ts'],
    projects: [
      {
        // Everything that touches Workers code runs inside workerd.
        plugins: [
          cloudflareTest({
            wrangler: { configPath: './test/wrangler.toml' },
            // `KV_PROPAGATION_MS=N npm test`: the search worker reads KV as a location N ms from the writer would.
            miniflare: { bindings: { KV_PROPAGATION_MS: process.env.KV_PROPAGATION_MS ?? '0' } },
          }),
        ],
        test: {
          name: 'workerd',
          // A safety net, not a timing assertion: tests wait for conditions (test/eventually.ts), and on a machine
          // shared with other work a property test or a queue round may take many times its usual second.
          testTimeout: 120_000,
          include: ['packages/**/*.test.ts', 'workers/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['test/node/**', '**/node_modules/**'],
        },
      },
      {
        // Whole-system tests that start real `wrangler dev` processes or a browser.
        test: {
          name: 'node',
          include: ['test/node/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
    ],
  },
})
