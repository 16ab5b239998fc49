import { env } from 'cloudflare:test'
import { writerName } from '@edgewire/shared/shards'
import { CHANGE_BLOCK_SEQS } from '@edgewire/shared/writer-rpc'
import { describe, expect, it } from 'vitest'
import type { IngestEnv } from '../workers/ingest/src/context'
import { IndexWriter } from '../workers/ingest/src/index-writer'
import { WriterRelay } from '../workers/ingest/src/writer-relay'
import { SHARDS } from './faults'

// The index writer's RPC surface (packages/shared/src/writer-rpc.ts) through a real stub inside workerd: what the
// interface names answers, and the writer's internals cannot be called at all. TypeScript's `private` would not stop
// these calls at run time; `#private` does.
const namespace = (env as unknown as IngestEnv).INDEX
const stub = () => namespace.get(namespace.idFromName('main'))

/** Every member RPC can reach: the prototype's methods, which must be exactly those of IndexWriterRpc (and alarm). */
const SURFACE = [
  'alarm',
  'apply',
  'changeBlock',
  'constructor',
  'getArticle',
  'head',
  'lookupDelivery',
  'manifest',
  'reindex',
  'segmentPart',
  'stats',
]

describe('the index writer over RPC', () => {
  it('has no public method beyond its interface: the rest is #private', () => {
    expect(Object.getOwnPropertyNames(IndexWriter.prototype).sort()).toEqual(SURFACE)
  })

  it('answers the methods of its interface', async () => {
    const stats = await stub().stats()
    expect(stats.headSeq).toBeGreaterThanOrEqual(0)
    const manifest = await stub().manifest()
    expect(manifest.seq).toBeLessThanOrEqual(stats.headSeq)
    expect((await stub().changeBlock(Math.floor(stats.headSeq / CHANGE_BLOCK_SEQS) + 1)).changes).toEqual([])
    expect(await stub().getArticle('no-such-article')).toBeNull()
    expect(await stub().lookupDelivery('no-such-delivery')).toBeNull()
  })

  // (The test pool's stub logs each refused call as an uncaught rejection inside workerd; the test itself sees it.)
  it.each(['meta', 'flushSegment', 'sql'])('refuses a call to its internal %s through the stub', async (name) => {
    // Untyped on purpose: the interface has no such member, and the call must fail at run time too.
    const untyped = stub() as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>
    // Settled into a plain value here: every property read on an RPC promise (as expect() makes) is another call.
    const outcome = await untyped[name]?.('head_seq').then(
      () => 'answered',
      (err: unknown) => String(err),
    )
    expect(outcome).toBe(`TypeError: The RPC receiver does not implement "${name}".`)
  })

  it('refuses a call to the clock the burst tests set, an instance field and not a method', async () => {
    const untyped = stub() as unknown as Record<string, () => Promise<unknown>>
    const outcome = await untyped.clock?.().then(
      () => 'answered',
      (err: unknown) => String(err),
    )
    expect(outcome).toMatch(/^TypeError: The RPC receiver's prototype does not implement "clock"/)
  })
})

describe("the writer's relay over RPC", () => {
  it('has no public method beyond its interface (WriterRelayRpc)', () => {
    expect(Object.getOwnPropertyNames(WriterRelay.prototype).sort()).toEqual([
      'changeBlock',
      'constructor',
      'head',
      'manifest',
      'segmentPart',
    ])
  })

  it('refuses a call that names no shard (a search worker from before shards), which then calls its writer itself', async () => {
    const relays = (env as unknown as IngestEnv).RELAY
    const untyped = relays.get(relays.idFromName('relay:rpc-test')) as unknown as Record<
      string,
      (...args: unknown[]) => Promise<unknown>
    >
    const outcome = async (call: Promise<unknown> | undefined) =>
      call?.then(
        () => 'answered',
        (err: unknown) => String(err),
      )
    expect(await outcome(untyped.head?.())).toMatch(/name the shard/)
    expect(await outcome(untyped.manifest?.('some-epoch', 3))).toMatch(/name the shard/)
    expect(await outcome(untyped.head?.(SHARDS))).toMatch(/name the shard/)
  })

  it.each([0, SHARDS - 1])("answers as the writer of shard %i does, for that writer's epoch", async (shard) => {
    const relays = (env as unknown as IngestEnv).RELAY
    const relay = relays.get(relays.idFromName(`relay:rpc-test:shard-${shard}`))
    const writer = namespace.get(namespace.idFromName(writerName(shard)))
    const head = await relay.head(shard)
    // The same head but for readAt, the writer's clock when each was read.
    const { readAt: _relayRead, ...relayed } = head
    const { readAt: _writerRead, ...direct } = await writer.head()
    expect(relayed).toEqual(direct)
    expect((await relay.manifest(shard, head.epoch, head.manifestVersion)).version).toBeGreaterThanOrEqual(
      head.manifestVersion,
    )
    expect(
      (await relay.changeBlock(shard, head.epoch, Math.floor(head.headSeq / CHANGE_BLOCK_SEQS) + 1, false)).changes,
    ).toEqual([])
  })
})
