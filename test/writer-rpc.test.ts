import { env, runInDurableObject } from 'cloudflare:test'
import { type Article, articleIdFor, normalizeArticle } from '@edgewire/shared'
import { writerName } from '@edgewire/shared/shards'
import { CHANGE_BLOCK_SEQS, type WriteOp } from '@edgewire/shared/writer-rpc'
import { describe, expect, it } from 'vitest'
import type { WriterEnv } from '../workers/writer/src/context'
import { IndexWriter } from '../workers/writer/src/index-writer'
import { blockBytes, SEALED_BLOCKS_MAX_BYTES, WriterRelay } from '../workers/writer/src/writer-relay'
import { SHARDS, urlInShard } from './faults'

// The index writer's RPC surface (packages/shared/src/writer-rpc.ts) through a real stub inside workerd: what the
// interface names answers, and the writer's internals cannot be called at all. TypeScript's `private` would not stop
// these calls at run time; `#private` does.
const namespace = (env as unknown as WriterEnv).INDEX
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
    const relays = (env as unknown as WriterEnv).RELAY
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
    const relays = (env as unknown as WriterEnv).RELAY
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

describe("the writer's relay keeps sealed blocks within SEALED_BLOCKS_MAX_BYTES", () => {
  const shard = SHARDS - 1
  const writer = () => namespace.get(namespace.idFromName(writerName(shard)))
  /** Articles of this shard, `n` of them, each with a body of `chars` characters. */
  const articles = async (name: string, n: number, chars: number): Promise<WriteOp[]> => {
    const template = await normalizeArticle({ url: 'https://relay.example/t', text: 'A story.' }, new Date())
    return Promise.all(
      Array.from({ length: n }, async (_, i): Promise<WriteOp> => {
        const url = await urlInShard(`relay-${name}-${i}`, shard)
        const body = `Copper output of ${name} story ${i} rose again. `.repeat(Math.ceil(chars / 40)).slice(0, chars)
        const article: Article = { ...template, id: await articleIdFor({ url }), url, title: `${name} ${i}`, body }
        return { kind: 'upsert', article }
      }),
    )
  }
  /** Applies ops at the writer without its maintenance (no segment builds of these long articles). */
  const apply = async (ops: WriteOp[]) => {
    await writer().apply({ id: `relay-bytes-${crypto.randomUUID()}`, eventTime: Date.now(), ops })
    await runInDurableObject(writer(), (_, state) => state.storage.deleteAlarm())
  }
  const changeBlockCalls = async () => (await writer().stats()).readerCalls.changeBlock

  it('asks the writer again for an older block of long articles once newer ones pass the bound', async () => {
    // Three blocks, each of three articles of 1.2 Mi characters (about 7.2 MiB as blockBytes counts, and within
    // CHANGE_BLOCK_MAX_CHARS, so each is answered whole): two within the bound, three over it. Fillers first, so that
    // each block starts with its long articles.
    const head = (await writer().head()).headSeq
    const fill = (CHANGE_BLOCK_SEQS - (head % CHANGE_BLOCK_SEQS)) % CHANGE_BLOCK_SEQS
    if (fill > 0) await apply(await articles('filler', fill, 20))
    const first = (head + fill) / CHANGE_BLOCK_SEQS
    const long = 1.2 * 1024 * 1024
    for (const name of ['older', 'middle']) {
      await apply([
        ...(await articles(name, 3, long)),
        ...(await articles(`filler-${name}`, CHANGE_BLOCK_SEQS - 3, 20)),
      ])
    }
    await apply(await articles('newer', 3, long))

    const relays = (env as unknown as WriterEnv).RELAY
    const relay = relays.get(relays.idFromName(`relay:bytes-test:${crypto.randomUUID()}`))
    const { epoch } = await relay.head(shard)
    const calls = await changeBlockCalls()
    const blocks = []
    for (const [i, name] of ['older', 'middle', 'newer'].entries()) {
      const block = await relay.changeBlock(shard, epoch, first + i, true)
      expect(block.more).toBeUndefined()
      expect(block.changes.filter((c) => c.article?.title.startsWith(name))).toHaveLength(3)
      expect(blockBytes(block)).toBeLessThan(SEALED_BLOCKS_MAX_BYTES)
      blocks.push(blockBytes(block))
      await relay.changeBlock(shard, epoch, first + i, true)
      // Kept: the second call was answered by the relay.
      expect((await changeBlockCalls()) - calls).toBe(i + 1)
    }
    expect((blocks[0] ?? 0) + (blocks[1] ?? 0)).toBeLessThan(SEALED_BLOCKS_MAX_BYTES)
    expect(blocks.reduce((a, b) => a + b, 0)).toBeGreaterThan(SEALED_BLOCKS_MAX_BYTES)
    // Past the bound the oldest block went: asked for again, the relay asks the writer (kept by count alone, it
    // would have answered from memory: 64 such blocks are 500 MiB).
    await relay.changeBlock(shard, epoch, first, true)
    expect((await changeBlockCalls()) - calls).toBe(4)
  })
})
