/** A one-line progress display: a bar, counts, rate and ETA; plain periodic lines when not on a terminal. */
export class Progress {
  private readonly started = performance.now()
  private done = 0
  private lastPrinted = 0
  private readonly tty = Boolean(process.stderr.isTTY)

  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly unit = 'articles',
  ) {}

  tick(n: number, note = ''): void {
    this.done += n
    const now = performance.now()
    const finished = this.done >= this.total
    if (!finished && now - this.lastPrinted < (this.tty ? 100 : 2000)) return
    this.lastPrinted = now
    const seconds = (now - this.started) / 1000
    const rate = seconds > 0 ? this.done / seconds : 0
    const eta = rate > 0 ? (this.total - this.done) / rate : 0
    const share = this.total > 0 ? this.done / this.total : 1
    const width = 28
    const filled = Math.round(share * width)
    const bar = `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`
    const line = `${this.label} ${bar} ${this.done}/${this.total} ${this.unit} · ${rate.toFixed(0)}/s · ETA ${formatSeconds(eta)}${note ? ` · ${note}` : ''}`
    if (this.tty) process.stderr.write(`\r\x1b[2K${line}${finished ? '\n' : ''}`)
    else process.stderr.write(`${line}\n`)
  }
}

function formatSeconds(s: number): string {
  if (!Number.isFinite(s) || s < 0) return '?'
  if (s < 60) return `${s.toFixed(0)}s`
  return `${Math.floor(s / 60)}m${Math.round(s % 60)
    .toString()
    .padStart(2, '0')}s`
}
