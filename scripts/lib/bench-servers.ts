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

/** The index writer's own figures (`GET /admin/writer` on the ingest worker). */
export async function writerStats(servers: Pick<DevServers, 'ingest'>): Promise<{
  documents: number
  kvPending: number
  segments: number
  readerCalls: Record<string, number>
}> {
  const res = await fetch(`${servers.ingest}/admin/writer`, {
    headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}` },
  })
  return (await res.json()) as {
    documents: number
    kvPending: number
    segments: number
    readerCalls: Record<string, number>
  }
}
