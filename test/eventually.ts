/**
 * How long eventually() waits by default: a safety net against a condition that never comes, not a timing
 * assertion. On a machine shared with other work, a queue round or a reader's sync may take many times its usual
 * fraction of a second; tests assert that the condition comes, and benches say how soon.
 */
export const SAFETY_NET_MS = 60_000

/**
 * Repeats a probe until it passes or `timeoutMs` runs out, then returns its last value (the test's assertion
 * says what was wrong). Search isolates and the writer's outbox follow a write within a fraction of a second,
 * not within the same instant, so tests poll. Plain timers only: used inside workerd and in Node.
 */
export async function eventually<T>(
  probe: () => Promise<T>,
  ok: (value: T) => boolean,
  timeoutMs = SAFETY_NET_MS,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (ok(value) || Date.now() > deadline) return value
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}
