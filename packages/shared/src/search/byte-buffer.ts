/** A growable byte buffer with LEB128 varints, used to encode postings and stored strings. */
export class ByteBuffer {
  private buf: Uint8Array
  length = 0

  constructor(initialCapacity = 1024) {
    this.buf = new Uint8Array(initialCapacity)
  }

  private ensure(extra: number): void {
    if (this.length + extra <= this.buf.length) return
    let capacity = this.buf.length * 2
    while (capacity < this.length + extra) capacity *= 2
    const next = new Uint8Array(capacity)
    next.set(this.buf.subarray(0, this.length))
    this.buf = next
  }

  /** Appends one byte. */
  byte(value: number): void {
    this.ensure(1)
    this.buf[this.length++] = value
  }

  /** Appends an unsigned LEB128 varint (values below 2^32). */
  varint(value: number): void {
    this.ensure(5)
    let v = value >>> 0
    while (v >= 0x80) {
      this.buf[this.length++] = (v & 0x7f) | 0x80
      v >>>= 7
    }
    this.buf[this.length++] = v
  }

  /** Appends raw bytes. */
  bytes(data: Uint8Array): void {
    this.ensure(data.length)
    this.buf.set(data, this.length)
    this.length += data.length
  }

  /** The written bytes (a view; copy before writing more). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.length)
  }
}

/**
 * An append-only byte sequence held in chunks, for a section too large to grow by doubling: a `ByteBuffer` holds up
 * to twice what it was written, and three times for a moment while it grows (the old buffer and the new). Chunks grow
 * from `firstChunk` to `maxChunk` bytes, so a small build allocates little and a large one wastes at most one chunk;
 * nothing written is ever copied until `moveTo` hands it over.
 */
export class ChunkedBytes {
  private readonly full: Uint8Array[] = []
  private chunk: Uint8Array
  /** bytes written to `chunk` */
  private used = 0
  /** bytes in `full` */
  private before = 0

  constructor(
    private readonly firstChunk = 1 << 16,
    private readonly maxChunk = 1 << 20,
  ) {
    this.chunk = new Uint8Array(firstChunk)
  }

  /** Bytes written. */
  get length(): number {
    return this.before + this.used
  }

  private next(): void {
    this.full.push(this.chunk)
    this.before += this.used
    // After moveTo the chunk is empty: start again from the first size.
    this.chunk = new Uint8Array(Math.min(Math.max(this.chunk.length * 2, this.firstChunk), this.maxChunk))
    this.used = 0
  }

  /** Appends one byte. */
  byte(value: number): void {
    if (this.used === this.chunk.length) this.next()
    this.chunk[this.used++] = value
  }

  /** Appends raw bytes. */
  bytes(data: Uint8Array): void {
    for (let from = 0; from < data.length; ) {
      if (this.used === this.chunk.length) this.next()
      const n = Math.min(this.chunk.length - this.used, data.length - from)
      this.chunk.set(data.subarray(from, from + n), this.used)
      this.used += n
      from += n
    }
  }

  /**
   * Copies every byte written into `target` (which must hold `length` bytes) and lets go of each chunk once copied,
   * so that the bytes are not held twice for longer than the copy. Empty afterwards, and written to anew from there.
   */
  moveTo(target: Uint8Array): void {
    if (target.length !== this.length) throw new RangeError(`${this.length} bytes do not fit ${target.length}`)
    let at = 0
    for (let i = 0; i < this.full.length; i++) {
      const chunk = this.full[i] ?? new Uint8Array(0)
      target.set(chunk, at)
      at += chunk.length
      this.full[i] = new Uint8Array(0)
    }
    target.set(this.chunk.subarray(0, this.used), at)
    this.full.length = 0
    this.chunk = new Uint8Array(0)
    this.before = 0
    this.used = 0
  }
}

/** A column of strings: UTF-8 bytes back to back, with `count + 1` byte offsets. */
export class StringColumnWriter {
  private readonly encoder = new TextEncoder()
  readonly data = new ByteBuffer(4096)
  readonly offsets: number[] = [0]

  /** Appends one string. */
  add(value: string): void {
    if (value.length > 0) this.data.bytes(this.encoder.encode(value))
    this.offsets.push(this.data.length)
  }
}
