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
