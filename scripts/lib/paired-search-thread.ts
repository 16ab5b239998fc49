/**
 * The live phases' timed searches (live-phases.ts), in a thread of their own. The phase's main thread also signs and
 * sends the feed, and a 1,000-article batch is about a megabyte to serialize and sign: an answer that arrived while
 * that ran was read late, and timed as if the worker had been slow.
 */
import { parentPort, Worker, workerData } from 'node:worker_threads'
import { PairedTimer } from './http-timer'

export interface PairedSearchJob {
  /** the search worker's own socket */
  workerUrl: string
  queries: string[]
  /** when to stop (epoch ms: threads do not share performance.now's origin) */
  untilEpochMs: number
}

export interface PairedSearchTimes {
  search: number[]
  floor: number[]
  worker: number[]
  non200: number
}

/** Runs the job in a new thread and answers its times once it ends. */
export function pairedSearchesInThread(job: PairedSearchJob): Promise<PairedSearchTimes> {
  return new Promise((resolve, reject) => {
    const thread = new Worker(new URL(import.meta.url), { workerData: job, execArgv: ['--import', 'tsx'] })
    thread.once('message', (times: PairedSearchTimes) => resolve(times))
    thread.once('error', reject)
    thread.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the search thread exited with ${code}`))
    })
  })
}

async function run(job: PairedSearchJob): Promise<PairedSearchTimes> {
  const timer = new PairedTimer(job.workerUrl)
  try {
    for (let i = 0; Date.now() < job.untilEpochMs; i++) {
      await timer.time(`/search?q=${encodeURIComponent(job.queries[i % job.queries.length] ?? 'oil')}`)
    }
  } finally {
    timer.close()
  }
  return { search: timer.search, floor: timer.floor, worker: timer.worker, non200: timer.non200 }
}

if (parentPort && workerData) {
  const port = parentPort
  run(workerData as PairedSearchJob).then((times) => port.postMessage(times))
}
