import { execFileSync } from 'node:child_process'
import { availableParallelism } from 'node:os'
import { setTimeout as sleep } from 'node:timers/promises'
import type { DevServers } from './dev-servers'

/** The webhook secret and admin token the benchmarks run their workers with (never a real one). */
export const BENCH_SECRET = 'whsec_YmVuY2gtc2VjcmV0LWZvci1lZGdld2lyZS1iZW5jaA=='
const BENCH_ADMIN_TOKEN = 'bench-admin'

/** The workers' variables for a benchmark; `propagationMs` is KV_PROPAGATION_MS (see the README). */
export const benchVars = (propagationMs = 0): Record<string, string> => ({
  WEBHOOK_SECRET: BENCH_SECRET,
  ADMIN_TOKEN: BENCH_ADMIN_TOKEN,
  LOG_LEVEL: 'warn',
  KV_PROPAGATION_MS: String(propagationMs),
})

/** The index writers' own figures (`GET /admin/writer` on the ingest worker, summed over the shards). */
export interface WriterFigures {
  documents: number
  kvPending: number
  segments: number
  readerCalls: Record<string, number>
}

export async function writerStats(servers: Pick<DevServers, 'ingest'>): Promise<WriterFigures> {
  const res = await fetch(`${servers.ingest}/admin/writer`, {
    headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` },
  })
  return (await res.json()) as WriterFigures
}

/**
 * Waits until the writers' merges have settled (their segment count unchanged for two seconds: merges wait for a
 * burst to pause) and returns their figures then.
 */
export async function settledWriterStats(servers: Pick<DevServers, 'ingest'>): Promise<WriterFigures> {
  let writer = await writerStats(servers)
  let stable = 0
  for (let last = writer.segments; stable < 4; ) {
    await sleep(500)
    writer = await writerStats(servers)
    stable = writer.segments === last ? stable + 1 : 0
    last = writer.segments
  }
  return writer
}

/** Where `pinSearchWorker` put the processes, and how to put another beside the search worker. */
export interface Pinning {
  description: string
  besideSearch(pid: number): void
}

/**
 * `BENCH_PIN=1`: the search worker's processes get the last core, and the writer and ingest workers' and the bench's
 * own (its feed, its probes) share the others; the process that times searches joins the search worker
 * (`besideSearch`: it waits while the worker answers, so the two do not compete). Deployed, a search isolate shares its machine with
 * neither the other workers nor the clients, while here two cores carry all of them, and the search worker's timings
 * then include waiting for a core. Linux only (taskset); null where it cannot.
 */
export function pinSearchWorker(servers: Pick<DevServers, 'pids'>): Pinning | null {
  const cores = availableParallelism()
  if (process.platform !== 'linux' || cores < 2) return null
  const group = (leader: number) =>
    execFileSync('pgrep', ['-g', String(leader)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean)
  const pin = (pids: string[], cpus: string) => {
    for (const pid of pids) execFileSync('taskset', ['-a', '-p', '-c', cpus, pid], { stdio: 'ignore' })
  }
  const searchCore = String(cores - 1)
  const others = cores === 2 ? '0' : `0-${cores - 2}`
  pin(group(servers.pids.search), searchCore)
  pin([...group(servers.pids.writer), ...group(servers.pids.ingest), String(process.pid)], others)
  return {
    description: `search worker and the process timing its searches on core ${searchCore}; writer and ingest workers and the rest of the bench on ${others}`,
    besideSearch: (pid) => pin([String(pid)], searchCore),
  }
}

/** `POST /admin/reindex`: every writer rebuilds each of its segments, one per maintenance round (DESIGN.md). */
export async function reindex(servers: Pick<DevServers, 'search'>): Promise<void> {
  const res = await fetch(`${servers.search}/admin/reindex`, {
    method: 'POST',
    headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` },
  })
  await res.arrayBuffer()
  if (res.status !== 202) throw new Error(`POST /admin/reindex answered ${res.status}`)
}
