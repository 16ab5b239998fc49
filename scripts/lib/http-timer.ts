import http from 'node:http'
import { sumOf } from './bench-stats'

/**
 * Times GET requests the way HTTP benchmarking tools (autocannon, wrk) do: one keep-alive connection, the whole
 * response read, nothing decompressed. (Node's `fetch` adds about a millisecond of its own per request here, and
 * another for gunzipping: client costs, not the server's.)
 */
export class HttpTimer {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
  private readonly url: URL

  constructor(
    base: string,
    private readonly headers: Record<string, string> = {},
  ) {
    this.url = new URL(base)
  }

  /** Milliseconds from sending the request to the last byte of a 200 answer (throws on any other status). */
  time(path: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const started = performance.now()
      const req = http.request(
        { host: this.url.hostname, port: this.url.port, path, agent: this.agent, headers: this.headers },
        (res) => {
          res.on('data', () => {})
          res.on('end', () => {
            const ms = performance.now() - started
            if (res.statusCode === 200) resolve(ms)
            else reject(new Error(`${path} answered ${res.statusCode}`))
          })
          res.on('error', reject)
        },
      )
      req.setTimeout(10_000, () => req.destroy(new Error(`${path} did not answer within 10 s`)))
      req.on('error', reject)
      req.end()
    })
  }

  close(): void {
    this.agent.destroy()
  }
}

/**
 * Searches timed in pairs, each followed by an empty `/healthz` on the same connection: the search's time minus its
 * `/healthz`'s is the worker's own share, the client, the connection and the runtime's floor taken out (README,
 * "Benchmarks").
 */
export class PairedTimer {
  readonly search: number[] = []
  readonly floor: number[] = []
  /** per pair: search − /healthz */
  readonly worker: number[] = []
  /** the answers other than 200, by status ('error': no answer) */
  readonly non200By: Record<string, number> = {}
  private readonly timer: HttpTimer

  constructor(base: string) {
    this.timer = new HttpTimer(base, { 'accept-encoding': 'gzip, deflate, br' })
  }

  /** Times `path`, then `/healthz`; an answer other than 200 is counted, not timed. */
  async time(path: string): Promise<void> {
    try {
      const s = await this.timer.time(path)
      const h = await this.timer.time('/healthz')
      this.search.push(s)
      this.floor.push(h)
      this.worker.push(s - h)
    } catch (err) {
      const status = /answered (\d+)/.exec(String(err))?.[1] ?? 'error'
      this.non200By[status] = (this.non200By[status] ?? 0) + 1
    }
  }

  /** How many answers were other than 200. */
  get non200(): number {
    return sumOf(this.non200By)
  }

  close(): void {
    this.timer.close()
  }
}
