/**
 * Worker used by `npm run bench:extract`: runs the real normalizer inside workerd. `POST /extract` normalizes
 * the page in the body; `POST /echo` only reads and parses the same body, so that the difference between the
 * two round trips is the extraction time (workerd's clocks do not advance during pure computation).
 */
import { normalizeArticle } from '../../packages/shared/src/normalize'

interface BenchPage {
  url?: string
  html: string
}

export default {
  async fetch(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname
    const page = (await request.json()) as BenchPage
    if (path === '/echo') return Response.json({ chars: page.html.length })
    const article = await normalizeArticle({ url: page.url, externalId: 'bench', html: page.html }, new Date())
    return Response.json({ chars: article.body.length })
  },
}
