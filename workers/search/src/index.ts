import { DurableObject } from 'cloudflare:workers'
export class IndexWriter extends DurableObject<Env> {
  async hello(x: string) { const n = ((await this.ctx.storage.get<number>('n')) ?? 0) + 1; await this.ctx.storage.put('n', n); return `hi ${x} ${n}` }
}
export default { async fetch(req: Request, env: Env) { const stub = env.INDEX.get(env.INDEX.idFromName('main')); return new Response(await stub.hello('search')) } }
