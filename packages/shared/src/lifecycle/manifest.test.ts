import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { MERGE_FACTOR, planMerge, readParts, splitParts, TIER_BASE_DOCS } from './manifest'

describe('splitParts and readParts', () => {
  it('round-trip any bytes through parts of any size, read one after another', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2000 }), fc.integer({ min: 1, max: 300 }), async (bytes, size) => {
        const parts = splitParts(bytes, size)
        expect(parts.every((p) => p.length <= size)).toBe(true)
        const asked: number[] = []
        const read = async (i: number) => {
          asked.push(i)
          return parts[i]?.slice() ?? new Uint8Array()
        }
        expect([...(await readParts(bytes.length, parts.length, read))]).toEqual([...bytes])
        expect(asked).toEqual(parts.map((_, i) => i))
      }),
    )
  })

  it('refuses parts that do not add up to the segment', async () => {
    const parts = splitParts(new Uint8Array(100).fill(7), 40)
    const read = async (i: number) => parts[i] ?? new Uint8Array()
    await expect(readParts(90, parts.length, read)).rejects.toThrow(/pass its 90 bytes/)
    await expect(readParts(120, parts.length, read)).rejects.toThrow(/hold 100 of its 120 bytes/)
  })
})

describe('planMerge', () => {
  it('never plans a segment of more documents than the ceiling', () => {
    const segments = [{ docs: 3000 }, { docs: 3000 }, { docs: 3000 }, { docs: 3000 }, { docs: 900 }]
    expect(planMerge(segments)).toEqual({ from: 0, to: 4 })
    expect(planMerge(segments, 8000)).toBeNull()
    const runs = fc.sample(fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 4, maxLength: 40 }), 200)
    for (const sizes of runs) {
      const plan = planMerge(
        sizes.map((docs) => ({ docs })),
        8000,
      )
      if (plan) expect(sizes.slice(plan.from, plan.to).reduce((n, d) => n + d, 0)).toBeLessThanOrEqual(8000)
    }
  })

  it('never plans a segment of more bytes than the ceiling, however few its documents', () => {
    // Four segments of a handful of long articles each: few documents, many bytes.
    const long = { docs: 6, bytes: 5_000_000 }
    expect(planMerge(Array(MERGE_FACTOR).fill(long), 8000)).toEqual({ from: 0, to: MERGE_FACTOR })
    expect(planMerge(Array(MERGE_FACTOR).fill(long), 8000, 16_000_000)).toBeNull()
    const runs = fc.sample(fc.array(fc.integer({ min: 1, max: 9_000_000 }), { minLength: 4, maxLength: 40 }), 200)
    for (const sizes of runs) {
      const plan = planMerge(
        sizes.map((bytes) => ({ docs: 10, bytes })),
        8000,
        16_000_000,
      )
      if (plan) expect(sizes.slice(plan.from, plan.to).reduce((n, b) => n + b, 0)).toBeLessThanOrEqual(16_000_000)
    }
  })

  it('waits until the newest segments of one tier number MERGE_FACTOR', () => {
    const small = { docs: 200 }
    expect(planMerge(Array(MERGE_FACTOR - 1).fill(small))).toBeNull()
    expect(planMerge(Array(MERGE_FACTOR).fill(small))).toEqual({ from: 0, to: MERGE_FACTOR })
  })

  it('leaves a big old segment alone while merging the small new ones', () => {
    const segments = [{ docs: 50 * TIER_BASE_DOCS }, ...Array(MERGE_FACTOR).fill({ docs: 300 })]
    expect(planMerge(segments)).toEqual({ from: 1, to: segments.length })
  })

  it('merges a full run even when a smaller segment came after it', () => {
    // A burst flushed in batches of a tier-1 size, then a small tail: the tail must not hold the run back.
    const segments = [...Array(MERGE_FACTOR).fill({ docs: 2 * TIER_BASE_DOCS }), { docs: 300 }]
    expect(planMerge(segments)).toEqual({ from: 0, to: MERGE_FACTOR })
  })

  /** Flushes segments of the given sizes, merging as planned after each; returns the segments left. */
  const simulate = (sizes: number[]) => {
    let segments: { docs: number }[] = []
    for (const docs of sizes) {
      segments.push({ docs })
      for (let plan = planMerge(segments); plan; plan = planMerge(segments)) {
        const merged = segments.slice(plan.from, plan.to).reduce((n, s) => n + s.docs, 0)
        segments = [...segments.slice(0, plan.from), { docs: merged }, ...segments.slice(plan.to)]
      }
    }
    return segments
  }

  it('keeps the number of segments logarithmic when flushes keep coming', () => {
    const segments = simulate(Array(2000).fill(500))
    expect(segments.reduce((n, s) => n + s.docs, 0)).toBe(2000 * 500)
    expect(segments.length).toBeLessThanOrEqual(MERGE_FACTOR * 6)
  })

  it('keeps it logarithmic for flushes of any size, and loses no document', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 400 }), (sizes) => {
        const segments = simulate(sizes)
        expect(segments.reduce((n, s) => n + s.docs, 0)).toBe(sizes.reduce((n, d) => n + d, 0))
        // At most MERGE_FACTOR - 1 per tier stay unmerged, plus the runs a larger neighbour interrupts.
        expect(segments.length).toBeLessThanOrEqual(MERGE_FACTOR * 8)
      }),
    )
  })
})
