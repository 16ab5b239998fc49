import { z } from 'zod'
import { type FieldError, ProblemError } from './http'

/** Server-set bounds of one query: what a client may ask for, whatever it sends. */
export const QUERY_BOUNDS = {
  maxQueryChars: 256,
  maxLimit: 100,
  defaultLimit: 10,
  /** Deep paging costs as much as the whole result set; past this, narrow the query instead. */
  maxOffset: 10_000,
  maxFilterValues: 20,
} as const

/** Longest article id looked up: ids are 32 hex characters, delete events may name ids of up to 128. */
export const MAX_ARTICLE_ID_CHARS = 128

const FACETS = ['source', 'author', 'lang', 'tags'] as const
const SORTS = ['relevance', 'newest', 'oldest'] as const

const flag = z
  .string()
  .transform((v, ctx) => {
    const value = v.trim().toLowerCase()
    if (['1', 'true', 'yes', 'on', 'auto'].includes(value)) return true
    if (['0', 'false', 'no', 'off'].includes(value)) return false
    const n = Number(value)
    // A client-chosen fuzziness (e.g. 0.2 or 5) only switches it on; the server sets how far it goes.
    if (value !== '' && Number.isFinite(n)) return n > 0
    ctx.addIssue({ code: 'custom', message: 'must be true or false' })
    return z.NEVER
  })
  .optional()

const date = z
  .string()
  .refine(
    (v) => /^\d{4}-\d{2}(-\d{2})?([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(v) && Number.isFinite(Date.parse(v)),
    {
      message: 'must be an ISO-8601 date such as 2019-08-22',
    },
  )
  .transform((v) => Date.parse(v))
  .optional()

const values = (name: string) =>
  z
    .array(z.string().min(1).max(200))
    .max(QUERY_BOUNDS.maxFilterValues, `at most ${QUERY_BOUNDS.maxFilterValues} ${name} values`)
    .optional()

/** `GET /search` parameters; the same schema documents them in /openapi.json. */
export const SearchQuerySchema = z.object({
  q: z.string().max(QUERY_BOUNDS.maxQueryChars, `must be at most ${QUERY_BOUNDS.maxQueryChars} characters`).default(''),
  limit: z.coerce.number().int().min(1).max(QUERY_BOUNDS.maxLimit).default(QUERY_BOUNDS.defaultLimit),
  offset: z.coerce.number().int().min(0).max(QUERY_BOUNDS.maxOffset).default(0),
  sort: z.enum(SORTS).default('relevance'),
  source: values('source'),
  author: values('author'),
  lang: values('lang'),
  tag: values('tag'),
  from: date,
  to: date,
  facets: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(FACETS)))
    .optional(),
  fuzzy: flag,
  prefix: flag,
})

export type SearchQuery = z.infer<typeof SearchQuerySchema>

export const SuggestQuerySchema = z.object({
  q: z.string().max(QUERY_BOUNDS.maxQueryChars, `must be at most ${QUERY_BOUNDS.maxQueryChars} characters`).default(''),
  limit: z.coerce.number().int().min(1).max(20).default(8),
})

const REPEATABLE = new Set(['source', 'author', 'lang', 'tag'])

/** Reads URL parameters into the schema's shape (repeatable ones as arrays) and answers 400 naming each bad one. */
export function parseQuery<S extends z.ZodType>(schema: S, url: URL): z.output<S> {
  // No prototype: a parameter named __proto__ or constructor is just an unknown parameter.
  const raw: Record<string, string | string[]> = Object.create(null)
  for (const key of new Set(url.searchParams.keys())) {
    const all = url.searchParams.getAll(key)
    if (REPEATABLE.has(key)) raw[key] = all.flatMap((v) => v.split(',')).filter(Boolean)
    else if (all.length > 1) raw[key] = all
    else raw[key] = all[0] ?? ''
  }
  const parsed = schema.safeParse(raw)
  if (parsed.success) return parsed.data
  const errors: FieldError[] = parsed.error.issues.map((issue) => ({
    pointer: `/${String(issue.path[0] ?? '')}`,
    detail: `${String(issue.path[0] ?? 'query')}: ${issue.message}`,
  }))
  const names = [...new Set(errors.map((e) => e.pointer.slice(1)))].join(', ')
  throw new ProblemError(400, 'invalid-parameter', `Invalid query parameter: ${names}.`, { errors })
}
