/** What both commands share: parsing errors, clear failures, and telling "server not running" apart. */
import { type ParseArgsConfig, parseArgs } from 'node:util'
import { styler, useColor } from './terminal'

/** An error meant for the user: printed without a stack trace, exit status attached. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message)
  }
}

const paint = styler(useColor(process.stderr))

/** Runs a command's main function, turning errors into one readable line (and a hint) on stderr. */
export async function run(main: () => Promise<number>): Promise<void> {
  // `npm run search -- x | head` closes the pipe early: stop quietly instead of throwing EPIPE.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0)
    throw err
  })
  try {
    process.exitCode = await main()
  } catch (err) {
    if (err instanceof CliError) {
      process.stderr.write(`${paint(['bold', 'red'], 'error:')} ${err.message}\n`)
      process.exitCode = err.exitCode
    } else {
      process.stderr.write(`${paint(['bold', 'red'], 'unexpected error:')} ${(err as Error).stack ?? String(err)}\n`)
      process.exitCode = 1
    }
  }
}

/** `parseArgs` with its TypeErrors (unknown option, missing value) turned into usage errors. */
export function parseCommandLine<T extends ParseArgsConfig>(config: T, usageHint: string) {
  try {
    return parseArgs(config)
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n${usageHint}`, 2)
  }
}

/** A positive integer option within bounds, or a usage error naming the option. */
export function intOption(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (!Number.isInteger(n) || n < min || n > max)
    throw new CliError(`--${name} must be a whole number from ${min} to ${max} (got "${value}")`, 2)
  return n
}

/** Why a fetch failed, in words, when the cause is that nothing listens at the address. */
function connectionProblem(err: unknown): string | null {
  const cause = (err as { cause?: { code?: string } }).cause
  const code = cause?.code ?? (err as { code?: string }).code
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === 'EHOSTUNREACH' || code === 'ENOTFOUND') return code
  if ((err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError') return 'timeout'
  return null
}

/** Checks that a worker answers /healthz, or fails saying to run `npm start`. */
export async function ensureRunning(base: string, what: string, portVariable: string): Promise<void> {
  try {
    const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(5000) })
    if (res.ok) return
    throw new CliError(`the ${what} at ${base} is not healthy (GET /healthz answered ${res.status})`)
  } catch (err) {
    if (err instanceof CliError) throw err
    const why = connectionProblem(err)
    throw new CliError(
      `cannot reach the ${what} at ${base}${why ? ` (${why})` : ''}.\n` +
        `Start Edgewire with \`npm start\` in another terminal, or point ${portVariable} / --url at a running one.`,
    )
  }
}

/** Problem details (RFC 9457) as the API sends them. */
export interface Problem {
  title?: string
  status?: number
  detail?: string
  errors?: { pointer?: string; detail?: string }[]
}

/** A problem+json answer as one or more readable lines. */
export function problemText(status: number, body: unknown): string {
  const problem = (typeof body === 'object' && body !== null ? body : {}) as Problem
  const lines = [
    `${status} ${problem.title ?? ''}: ${problem.detail ?? 'the server refused the request'}`.replace(' :', ':'),
  ]
  for (const e of problem.errors ?? []) if (e.detail) lines.push(`  ${e.detail}`)
  return lines.join('\n')
}
