import { env } from 'cloudflare:test'
import { describe, expect, it } from 'vitest'
import type { IngestEnv } from '../workers/ingest/src/context'

// The index writer's RPC surface (packages/shared/src/writer-rpc.ts) through a real stub inside workerd: what the
// interface names answers, and the writer's internals cannot be called at all. TypeScript's `private` would not stop
// these calls at run time; `#private` does.
const namespace = (env as unknown as IngestEnv).INDEX
const stub = () => namespace.get(namespace.idFromName('main'))

/** Internals of IndexWriter that once were TypeScript-private methods, each a call that would change or leak state. */
const INTERNALS = [
  'meta',
  'setMeta',
  'headSeq',
  'segmentCount',
  'liveCount',
  'scheduleMaintenance',
  'writeSegment',
  'insertSegment',
  'publish',
  'flushSegment',
  'mergeSegments',
  'collectGarbage',
  'flushToKv',
  'inBurst',
  'flushOnce',
] as const

describe('the index writer over RPC', () => {
  it('answers the methods of its interface', async () => {
    const stats = await stub().stats()
    expect(stats.headSeq).toBeGreaterThanOrEqual(0)
    const manifest = await stub().manifest()
    expect(manifest.seq).toBeLessThanOrEqual(stats.headSeq)
    expect((await stub().changesSince(stats.headSeq)).changes).toEqual([])
    expect(await stub().getArticle('no-such-article')).toBeNull()
    expect(await stub().lookupDelivery('no-such-delivery')).toBeNull()
  })

  it.each([...INTERNALS, 'sql', 'flushing'])('refuses a call to its internal %s', async (name) => {
    // Untyped on purpose: the interface has no such member, and the call must fail at run time too.
    const untyped = stub() as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>
    // Settled into a plain value here: every property read on an RPC promise (as expect() makes) is another call.
    const outcome = await untyped[name]?.('head_seq', 1).then(
      () => 'answered',
      (err: unknown) => String(err),
    )
    expect(outcome).toBe(`TypeError: The RPC receiver does not implement "${name}".`)
  })
})
