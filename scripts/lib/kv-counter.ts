import { existsSync, type FSWatcher, readdirSync, statSync, watch } from 'node:fs'
import { join } from 'node:path'
import { DatabaseSync } from 'node:sqlite'

/**
 * Counts the writes to Miniflare's local KV from outside, by its persistence directory: every `put` stores its value
 * as a new file with a fresh random name under `<persist>/v3/kv/<namespace>/blobs/`, and every `delete`, or a put
 * over an existing key, removes the old one (miniflare's KeyValueStorage). So each name seen is one put, its size
 * (read again at each event for it) the bytes written, and its disappearance one removal. Reads leave no trace on
 * disk and are not counted. Names starting with a dot are the store's temporary files.
 */
export class KvCounter {
  private watcher: FSWatcher | null = null
  private poll: NodeJS.Timeout | null = null
  /** every value file seen, with its size when last seen */
  private readonly sizes = new Map<string, number>()
  private readonly removed = new Set<string>()
  private dir: string | null = null
  puts = 0
  removals = 0
  /** puts whose value was removed before it could be seen */
  unreadPuts = 0

  constructor(private readonly persistTo: string) {}

  /** Watches for the namespace's blob directory to appear (the first put makes it), then its files. */
  start(): void {
    const root = join(this.persistTo, 'v3', 'kv')
    this.poll = setInterval(() => {
      if (!existsSync(root)) return
      const namespace = readdirSync(root).find((n) => n !== 'miniflare-KVNamespaceObject')
      const dir = namespace === undefined ? null : join(root, namespace, 'blobs')
      if (dir === null || !existsSync(dir)) return
      if (this.poll) clearInterval(this.poll)
      this.poll = null
      this.dir = dir
      this.watcher = watch(dir, (_event, name) => {
        if (name !== null) this.saw(name)
      })
      // Puts before the watch began: their files are there already.
      for (const name of readdirSync(dir)) this.saw(name)
    }, 100)
  }

  private saw(name: string): void {
    if (name.startsWith('.') || this.dir === null || this.removed.has(name)) return
    let size: number | null = null
    try {
      size = statSync(join(this.dir, name)).size
    } catch {}
    const known = this.sizes.has(name)
    if (!known) this.puts++
    if (size !== null) {
      // A file may be seen while it is still being written: its size is read again at every event.
      this.sizes.set(name, size)
      return
    }
    if (!known) this.unreadPuts++
    this.removed.add(name)
    this.removals++
  }

  /** bytes of the values put (each file's size when last seen; a value removed before it was seen is not counted) */
  get bytesPut(): number {
    let n = 0
    for (const size of this.sizes.values()) n += size
    return n
  }

  stop(): void {
    if (this.poll) clearInterval(this.poll)
    this.watcher?.close()
  }

  /** The values KV holds now: keys and bytes, grouped by the key's first part (before `:` or `/`). */
  stored(): { keys: number; bytes: number; byPrefix: Record<string, { keys: number; bytes: number }> } {
    const root = join(this.persistTo, 'v3', 'kv')
    const objects = join(root, 'miniflare-KVNamespaceObject')
    const byPrefix: Record<string, { keys: number; bytes: number }> = {}
    let keys = 0
    let bytes = 0
    if (this.dir === null || !existsSync(objects)) return { keys, bytes, byPrefix }
    // One database per namespace beside metadata.sqlite (Miniflare's own bookkeeping).
    for (const file of readdirSync(objects).filter((f) => f.endsWith('.sqlite') && f !== 'metadata.sqlite')) {
      const db = new DatabaseSync(join(objects, file), { readOnly: true })
      try {
        for (const row of db.prepare('SELECT key, blob_id FROM _mf_entries').iterate()) {
          const key = String(row.key)
          let size = 0
          try {
            size = statSync(join(this.dir, String(row.blob_id))).size
          } catch {}
          const prefix = /^[^:/]*/.exec(key)?.[0] ?? key
          const group = byPrefix[prefix] ?? { keys: 0, bytes: 0 }
          byPrefix[prefix] = group
          group.keys++
          group.bytes += size + Buffer.byteLength(key)
          keys++
          bytes += size + Buffer.byteLength(key)
        }
      } finally {
        db.close()
      }
    }
    return { keys, bytes, byPrefix }
  }
}
