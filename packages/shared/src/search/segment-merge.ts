import { ByteBuffer, ChunkedBytes } from './byte-buffer'
import { BitWriter, forEachPosting, positionSpan, WINDOW_PADDING, writeTermPostings } from './positions'
import type { Segment } from './segment'
import { type EncodedPostings, type FieldLengths, packSegment, StepMeter } from './segment-builder'
import type { IndexDoc } from './types'

/** One segment of a merge: opened over its whole bytes (its bodies too), and which of its documents go on. */
export interface MergeInput {
  segment: Segment
  /** whether document `doc` is carried into the merged segment (its copy is still its article's latest) */
  keep(doc: number): boolean
}

/** Merges segments into one, in one go (see mergeSegmentsInSteps). */
export function mergeSegments(inputs: readonly MergeInput[]): Uint8Array {
  const steps = mergeSegmentsInSteps(inputs)
  for (;;) {
    const step = steps.next()
    if (step.done) return step.value
  }
}

/**
 * Merges segments into one without analysing their documents again: the kept documents of each input in turn (the
 * first input's first), each term's postings carried over with their documents renumbered, their positions and their
 * impacts as stored. A segment built from the same documents by `SegmentBuilder` has the same terms, postings,
 * positions, stored fields and columns; only impacts may differ: each stays as it was computed against the average
 * field lengths of the segment its document was first built in (as every segment's impacts are against its own;
 * DESIGN.md, "One ranking").
 *
 * A rebuild analyses every document again, most of a build's time, for what the inputs already hold (README, "Session
 * 15": the ingest isolate's CPU profile while an archive comes in). Steps as `SegmentBuilder.finishInSteps`, so the writer lets
 * calls in between. Every input must have the same analyzer and BM25 parameters.
 */
export function* mergeSegmentsInSteps(inputs: readonly MergeInput[]): Generator<void, Uint8Array, void> {
  const first = inputs[0]?.segment
  if (first === undefined) throw new Error('a merge needs one segment at least')
  for (const { segment } of inputs) {
    if (
      segment.meta.analyzer !== first.meta.analyzer ||
      JSON.stringify(segment.meta.bm25) !== JSON.stringify(first.meta.bm25)
    ) {
      throw new Error('segments of different analyzers or BM25 parameters cannot be merged')
    }
  }
  const meter = new StepMeter()
  // Each input document's number in the merged segment, or −1 when it is left out.
  const renumbered: Int32Array[] = []
  const docs: (IndexDoc | null)[] = []
  const titleLength: number[] = []
  const bodyLength: number[] = []
  let totalTitleTerms = 0
  let totalBodyTerms = 0
  for (const { segment, keep } of inputs) {
    const numbers = new Int32Array(segment.docCount).fill(-1)
    for (let d = 0; d < segment.docCount; d++) {
      if (!keep(d)) continue
      numbers[d] = docs.length
      docs.push(segment.document(d))
      const title = segment.titleLength[d] ?? 0
      const body = segment.bodyLength[d] ?? 0
      titleLength.push(title)
      bodyLength.push(body)
      totalTitleTerms += title
      totalBodyTerms += body
      if (meter.add(1 + ((docs[docs.length - 1]?.body.length ?? 0) >> 6))) yield
    }
    renumbered.push(numbers)
  }
  const lengths: FieldLengths = {
    titleLength: Uint32Array.from(titleLength),
    bodyLength: Uint32Array.from(bodyLength),
    totalTitleTerms,
    totalBodyTerms,
  }
  const postings = yield* mergePostings(inputs, renumbered, lengths, meter)
  return yield* packSegment(first.meta.analyzer, first.meta.bm25, postings, lengths, docs)
}

/**
 * The union of the inputs' terms in order, each with the postings of its kept documents: input by input, so the new
 * doc numbers ascend. A term none of whose documents is kept is left out, as a build from the kept documents would.
 */
function* mergePostings(
  inputs: readonly MergeInput[],
  renumbered: readonly Int32Array[],
  lengths: FieldLengths,
  meter: StepMeter,
): Generator<void, EncodedPostings, void> {
  const terms: string[] = []
  const offsets: number[] = [0]
  const docFreq: number[] = []
  const maxImpacts: number[] = []
  const out = new ChunkedBytes()
  const pairs = new ByteBuffer(1 << 12)
  const bits = new BitWriter()
  // Per input, its next term's number and that term (null once past its last).
  const next = inputs.map(() => 0)
  const current = inputs.map(({ segment }) => (segment.termCount > 0 ? segment.term(0) : null))
  for (;;) {
    let term: string | null = null
    for (const t of current) if (t !== null && (term === null || t < term)) term = t
    if (term === null) break
    pairs.length = 0
    const spans: number[] = []
    const positions: number[][] = []
    let previous = -1
    let maxImpact = 0
    let work = 1
    for (let i = 0; i < inputs.length; i++) {
      if (current[i] !== term) continue
      const { segment } = inputs[i] as MergeInput
      const numbers = renumbered[i] as Int32Array
      const termNo = next[i] ?? 0
      forEachPosting(segment, termNo, (doc, impact, at) => {
        const to = numbers[doc] ?? -1
        if (to < 0) return
        pairs.varint(to - previous - 1)
        pairs.byte(impact)
        spans.push(positionSpan(lengths.titleLength[to] ?? 0, lengths.bodyLength[to] ?? 0))
        positions.push(at)
        if (impact > maxImpact) maxImpact = impact
        previous = to
      })
      work += segment.termDocFreq[termNo] ?? 0
      next[i] = termNo + 1
      current[i] = termNo + 1 < segment.termCount ? segment.term(termNo + 1) : null
    }
    if (spans.length > 0) {
      writeTermPostings(out, pairs.view(), spans, positions, bits)
      terms.push(term)
      docFreq.push(spans.length)
      maxImpacts.push(maxImpact)
      offsets.push(out.length)
    }
    if (meter.add(work)) yield
  }
  for (let i = 0; i < WINDOW_PADDING; i++) out.byte(0)
  return {
    terms,
    termPostingOffsets: Uint32Array.from(offsets),
    termDocFreq: Uint32Array.from(docFreq),
    termMaxImpact: Uint8Array.from(maxImpacts),
    bytes: out,
  }
}
