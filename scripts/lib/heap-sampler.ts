import { setTimeout as sleep } from 'node:timers/promises'
import type { IsolateHeap } from './workerd-probe'

/**
 * Samples one workerd isolate's heap through its V8 inspector while it works (`Runtime.getHeapUsage` every
 * `everyMs`, no collection forced, so the work is not disturbed), and keeps the highest JS heap + ArrayBuffers seen:
 * what the isolate held at its peak, garbage not yet collected included (an isolate's memory limit counts it too).
 * workerd reads inspector messages only while the isolate has work, so a sample that is not answered at once is
 * followed by `poke` (a request to the worker) until it is.
 */
export class HeapSampler {
  private ws: WebSocket | null = null
  private nextId = 0
  private readonly waiting = new Map<number, (result: unknown) => void>()
  private running = false
  private loop: Promise<void> = Promise.resolve()
  /** highest JS heap + ArrayBuffers sampled (bytes) */
  peak = 0
  peakHeap = 0
  peakBuffers = 0
  samples = 0
  /** samples the isolate never answered (each followed by a new inspector session) */
  unanswered = 0

  constructor(
    private readonly inspectorUrl: string,
    private readonly poke: () => Promise<unknown>,
    private readonly everyMs = 1000,
  ) {}

  async start(): Promise<void> {
    await this.connect()
    this.running = true
    this.loop = this.run()
  }

  private async connect(): Promise<void> {
    this.ws?.close()
    this.ws = null
    const ws = new WebSocket(this.inspectorUrl)
    ws.onmessage = (event) => {
      const message = JSON.parse(String(event.data)) as { id?: number; result?: unknown }
      if (message.id !== undefined) this.waiting.get(message.id)?.(message.result)
    }
    await new Promise((resolve, reject) => {
      ws.onopen = resolve
      ws.onerror = () => reject(new Error(`cannot open the inspector at ${this.inspectorUrl}`))
    })
    this.ws = ws
  }

  /**
   * One sample now (also taken by the loop); resolves once the isolate answered, or after 5 s without. workerd may
   * leave a session unanswered for good (right after a start, see workerd-probe.ts): then a new one is opened.
   */
  async sample(): Promise<IsolateHeap | null> {
    const ws = this.ws
    if (ws === null || ws.readyState !== WebSocket.OPEN) {
      await this.connect().catch(() => undefined)
      return null
    }
    const id = ++this.nextId
    const answered = new Promise<IsolateHeap>((resolve) => this.waiting.set(id, (r) => resolve(r as IsolateHeap)))
    ws.send(JSON.stringify({ id, method: 'Runtime.getHeapUsage' }))
    const deadline = Date.now() + 5_000
    let heap: IsolateHeap | undefined
    for (let first = true; heap === undefined && Date.now() < deadline; first = false) {
      if (!first) await this.poke().catch(() => undefined)
      heap = await Promise.race([answered, sleep(first ? 100 : 250).then(() => undefined)])
    }
    this.waiting.delete(id)
    if (heap === undefined) {
      this.unanswered++
      await this.connect().catch(() => undefined)
      return null
    }
    this.samples++
    const total = heap.usedSize + heap.backingStorageSize
    if (total > this.peak) {
      this.peak = total
      this.peakHeap = heap.usedSize
      this.peakBuffers = heap.backingStorageSize
    }
    return heap
  }

  private async run(): Promise<void> {
    while (this.running) {
      await this.sample()
      await sleep(this.everyMs)
    }
  }

  async stop(): Promise<void> {
    this.running = false
    await this.loop
    this.ws?.close()
    this.ws = null
  }
}
