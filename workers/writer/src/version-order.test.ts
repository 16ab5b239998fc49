import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  compareVersions,
  EMPTY_STATE,
  isLive,
  type VersionState,
  versionKey,
  withDelete,
  withUpsert,
} from './version-order'

type Event =
  | { kind: 'upsert'; publishedMs: number | null; eventMs: number; hash: string }
  | { kind: 'delete'; eventMs: number }

function replay(events: readonly Event[]): VersionState {
  return events.reduce<VersionState>(
    (state, e) =>
      e.kind === 'delete'
        ? withDelete(state, e.eventMs)
        : withUpsert(state, versionKey(e.publishedMs, e.eventMs, e.hash)),
    EMPTY_STATE,
  )
}

// Few distinct times and hashes, so ties are common.
const time = fc.integer({ min: 1, max: 4 })
const event: fc.Arbitrary<Event> = fc.oneof(
  fc.record({
    kind: fc.constant('upsert' as const),
    publishedMs: fc.option(time, { nil: null }),
    eventMs: time,
    hash: fc.constantFrom('a', 'b'),
  }),
  fc.record({ kind: fc.constant('delete' as const), eventMs: time }),
)

describe('version order', () => {
  it('ends in the same state whatever order the same events arrive in (property)', () => {
    fc.assert(
      fc.property(
        fc
          .array(event, { maxLength: 8 })
          .chain((events) =>
            fc.tuple(
              fc.constant(events),
              fc.shuffledSubarray(events, { minLength: events.length, maxLength: events.length }),
            ),
          ),
        ([events, shuffled]) => {
          expect(replay(shuffled)).toEqual(replay(events))
        },
      ),
      { numRuns: 500 },
    )
  })

  it('ranks by published, then by the event time, then by hash', () => {
    expect(compareVersions(versionKey(2, 1, 'a'), versionKey(1, 9, 'z'))).toBe(1)
    expect(compareVersions(versionKey(1, 2, 'a'), versionKey(1, 1, 'z'))).toBe(1)
    expect(compareVersions(versionKey(1, 1, 'b'), versionKey(1, 1, 'a'))).toBe(1)
    expect(compareVersions(versionKey(1, 1, 'a'), versionKey(1, 1, 'a'))).toBe(0)
    // Without published, the event's time ranks the version.
    expect(compareVersions(versionKey(null, 5, 'a'), versionKey(4, 9, 'a'))).toBe(1)
  })

  it('lets a delete remove versions sent at or before it, and not those sent after', () => {
    const version = withUpsert(EMPTY_STATE, versionKey(null, 10, 'a'))
    expect(isLive(withDelete(version, 9))).toBe(true)
    expect(isLive(withDelete(version, 10))).toBe(false)
    expect(isLive(withDelete(version, 11))).toBe(false)
    expect(isLive(withUpsert(withDelete(EMPTY_STATE, 11), versionKey(null, 10, 'a')))).toBe(false)
    expect(isLive(withUpsert(withDelete(EMPTY_STATE, 11), versionKey(null, 12, 'a')))).toBe(true)
  })
})
