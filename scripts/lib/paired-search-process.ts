/**
 * The live phases' timed searches (live-phases.ts), in a process of their own. The phase's own process also signs and
 * sends the feed, and a 1,000-article batch is about a megabyte to serialize and sign: an answer that arrived while
 * that ran was read late, and timed as if the worker had been slow. A process, not a thread, so that `BENCH_PIN=1`
 * can put it on the search worker's core (bench-servers.ts, pinSearchWorker).
 */
import { type ChildProcess, fork } from 'node:child_process'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { PairedTimer } from './http-timer'

/** Set in the child's environment: the module then runs the job it is sent. */
const CHILD_ROLE = 'EDGEWIRE_PAIRED_SEARCH_CHILD'

export interface PairedSearchJob {
  /** the search worker's own socket */
  workerUrl: string
  queries: string[]
  /** when to stop (epoch ms: threads do not share performance.now's origin) */
  untilEpochMs: number
  /** searches a second at most: each starts at its turn, or at once when the one before ended late */
  perSecond: number
}

export interface PairedSearchTimes {
  search: number[]
  floor: number[]
  worker: number[]
  non200By: Record<string, number>
}

/**
 * Runs the job in a new process and answers its times once it ends; `started` is told the process (to pin it) before
 * it begins.
 */
export function pairedSearchesInProcess(
  job: PairedSearchJob,
  started: (child: ChildProcess) => void = () => undefined,
): Promise<PairedSearchTimes> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), [], {
      execArgv: ['--import', 'tsx'],
      stdio: 'inherit',
      env: { ...process.env, [CHILD_ROLE]: '1' },
    })
    started(child)
    let times: PairedSearchTimes | null = null
    child.once('message', (answer) => {
      times = answer as PairedSearchTimes
    })
    child.once('error', reject)
    child.once('exit', (code) => {
      if (times) resolve(times)
      else reject(new Error(`the search timing process exited with ${code} and no times`))
    })
    child.send(job)
  })
}

async function run(job: PairedSearchJob): Promise<PairedSearchTimes> {
  const timer = new PairedTimer(job.workerUrl)
  const start = performance.now()
  try {
    for (let i = 0; Date.now() < job.untilEpochMs; i++) {
      const wait = start + (i * 1000) / job.perSecond - performance.now()
      if (wait > 0) await sleep(wait)
      await timer.time(`/search?q=${encodeURIComponent(job.queries[i % job.queries.length] ?? 'oil')}`)
    }
  } finally {
    timer.close()
  }
  return {
    search: timer.search,
    floor: timer.floor,
    worker: timer.worker,
    non200By: timer.non200By,
  }
}

// Run as the child: one job from the parent, its times back, then exit.
if (process.env[CHILD_ROLE] === '1') {
  process.once('message', (job: PairedSearchJob) => {
    run(job).then((times) => process.send?.(times, undefined, undefined, () => process.disconnect()))
  })
}
