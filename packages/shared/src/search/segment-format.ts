import type { Bm25Params } from './bm25'

/**
 * The packed segment layout, shared by the builder and the reader. A segment is one byte array:
 *
 *   header   magic "EWSG", FORMAT_VERSION (u32), section count (u32), reserved (u32)
 *   table    per section: byte offset (u32), byte length (u32)
 *   sections each starting at a multiple of 8, so typed-array views need no copy
 *
 * Opening a segment creates views over these sections; only the term list and the small JSON meta are decoded.
 *
 * Version 2 added word positions after each term's (doc gap, impact) pairs, as varints. Version 3 stores them as a
 * bit stream in a Rice code (positions.ts; 25 % fewer bytes) and ends the postings section with WINDOW_PADDING zero
 * bytes. Version 4 lays the bodies out last, cut into blocks of about BODY_BLOCK_BYTES that each start at a document
 * (the bodyBlocks section): everything before the bodies is the segment's head, which a reader holds, and a body
 * block is read only when a hit needs its snippet (three quarters of a Reuters segment is body text). Version 5 moves
 * the urls out of the head into the same blocks: a document's entry in the bodies section is its url (its UTF-8
 * length as a varint, then the url) and then its body, since a hit that shows a url reads its block for the snippet
 * anyway (urls were 81 bytes an article of a head's 620 in an archive). Older segments are refused on open and
 * rebuilt by the writer.
 */
export const SEGMENT_MAGIC = 0x47535745 // "EWSG" little-endian
/** Bumped on any change to the layout or the meaning of a section; older segments are refused on open. */
export const FORMAT_VERSION = 5
export const HEADER_BYTES = 16
export const SECTION_ALIGN = 8

/** Section indexes: the order of the section table, and of the file, except that the bodies come last. */
export const Section = {
  meta: 0,
  terms: 1,
  termPostingOffsets: 2,
  termDocFreq: 3,
  termMaxImpact: 4,
  postings: 5,
  idOffsets: 6,
  ids: 7,
  titleOffsets: 8,
  titles: 9,
  /** per document, where its entry in `bodies` starts (one more: the end) */
  bodyOffsets: 10,
  /** per document: its url's UTF-8 length (LEB128 varint), its url, its body (UTF-8) */
  bodies: 11,
  published: 12,
  lang: 13,
  source: 14,
  author: 15,
  tagOffsets: 16,
  tagValues: 17,
  titleLength: 18,
  bodyLength: 19,
  /** per body block, its first document, then the document count (blocks + 1 entries) */
  bodyBlocks: 20,
} as const
export const SECTION_COUNT = 21

/**
 * Bytes of body text a body block holds at most, unless one document's body alone is larger. A hit reads one block
 * for its snippet, so a page of ten reads at most ten: smaller blocks read fewer bytes a hit, larger ones make fewer
 * KV values a segment (a 1,000-article Reuters flush: about 23 blocks of 32 KiB).
 */
export const BODY_BLOCK_BYTES = 32 * 1024

/** The JSON meta section. */
export interface SegmentMeta {
  /** `Analyzer.id` of the analyzer that made the terms */
  analyzer: string
  bm25: Bm25Params
  docCount: number
  termCount: number
  /** total title / body terms, to weigh in average lengths when segments are combined */
  totalTitleTerms: number
  totalBodyTerms: number
  /** dictionaries of the facet columns; columns hold indexes (source/author: 0 = null, i + 1 = values[i]) */
  langs: string[]
  sources: string[]
  authors: string[]
  tags: string[]
}

/** Separator of the terms in the term section (terms never contain it: they are letters and digits). */
export const TERM_SEPARATOR = '\u0000'

/** Thrown when bytes are not a segment this code can read. */
export class SegmentFormatError extends Error {
  override readonly name = 'SegmentFormatError'
}
