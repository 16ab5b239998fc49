import { SearchQuerySchema } from '@edgewire/shared/search-query'
import { describe, expect, it } from 'vitest'
import { app as ingestApp } from '../workers/ingest/src/ingest.app'
import { app as searchApp } from '../workers/search/src/search.app'
import { SEARCH, SELF } from './helpers'

type Doc = {
  openapi: string
  paths: Record<string, Record<string, { parameters?: { name: string }[]; responses?: object }>>
  components: { schemas: Record<string, unknown> }
}

const load = async (): Promise<Doc> => (await (await SELF.fetch(`${SEARCH}/openapi.json`)).json()) as Doc

function refs(value: unknown, out: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) refs(v, out)
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v)
      else refs(v, out)
    }
  }
  return out
}

describe('/openapi.json', () => {
  it('describes every endpoint of the contract, on both workers, as OpenAPI 3.1', async () => {
    const doc = await load()
    expect(doc.openapi).toBe('3.1.0')
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/webhooks/articles', '/search', '/suggest', '/articles/{id}', '/stats', '/healthz']),
    )
    expect(doc.paths['/webhooks/articles']?.post?.responses).toHaveProperty('401')
  })

  it('lists exactly the parameters the search schema validates', async () => {
    const doc = await load()
    const names = doc.paths['/search']?.get?.parameters?.map((p) => p.name)
    expect(new Set(names)).toEqual(new Set(Object.keys(SearchQuerySchema.shape)))
  })

  it('documents every route either worker serves (a route is declared with its description)', async () => {
    const doc = await load()
    // Routes with a method and a path of their own: not middleware (ALL, or a wildcard path).
    const served = [...ingestApp.routes, ...searchApp.routes].filter((r) => r.method !== 'ALL' && !r.path.includes('*'))
    expect(served.length).toBeGreaterThan(10)
    for (const route of served) {
      const path = route.path.replace(/:(\w+)/g, '{$1}')
      expect(doc.paths[path]?.[route.method.toLowerCase()], `${route.method} ${route.path}`).toBeDefined()
    }
  })

  it('has no dangling $ref', async () => {
    const doc = await load()
    for (const ref of refs(doc)) {
      const name = ref.replace('#/components/schemas/', '')
      expect(doc.components.schemas, ref).toHaveProperty(name)
    }
  })

  it('documents the pages that static assets serve in front of the search worker', async () => {
    const doc = await load()
    expect(doc.paths['/']?.get).toBeDefined()
    expect(doc.paths['/docs']?.get).toBeDefined()
  })
})
