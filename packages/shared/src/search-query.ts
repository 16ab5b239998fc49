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

/** A repeatable filter: `tag=a&tag=b` or `tag=a,b` (a parameter given once arrives as a string, several times as an array). */
const values = (name: string, description: string) =>
  z
    .preprocess(
      (v) => (typeof v === 'string' ? [v] : v),
      z
        .array(z.string())
        .transform((all) => all.flatMap((v) => v.split(',')).filter(Boolean))
        .pipe(
          z
            .array(z.string().min(1).max(200))
            .max(QUERY_BOUNDS.maxFilterValues, `at most ${QUERY_BOUNDS.maxFilterValues} ${name} values`),
        ),
    )
    .optional()
    .meta({
      description: `${description} (repeatable, or comma-separated)`,
      param: { style: 'form', explode: true },
      type: 'array',
      items: { type: 'string', maxLength: 200 },
    })

const query = z
  .string()
  .max(QUERY_BOUNDS.maxQueryChars, `must be at most ${QUERY_BOUNDS.maxQueryChars} characters`)
  .default('')

/** `GET /search` parameters: the route validates with it and /openapi.json documents it, descriptions included. */
export const SearchQuerySchema = z.object({
  q: query.meta({
    description: `The query (at most ${QUERY_BOUNDS.maxQueryChars} characters). Plain words match any of them, ranked, with typos and the last word completed; "a phrase" must appear with its words in that order, adjacent (stop words keep their place; exact: no typos or completion inside quotes); -word and -"a phrase" exclude. An unclosed quote is ignored; only exclusions, or empty, lists by filters, newest first.`,
  }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(QUERY_BOUNDS.maxLimit)
    .default(QUERY_BOUNDS.defaultLimit)
    .meta({ description: `Hits per page, 1 to ${QUERY_BOUNDS.maxLimit}` }),
  offset: z.coerce
    .number()
    .int()
    .min(0)
    .max(QUERY_BOUNDS.maxOffset)
    .default(0)
    // type: a coerced number takes null (as 0), which the generator would document as nullable.
    .meta({ description: `Hits to skip, up to ${QUERY_BOUNDS.maxOffset}`, type: 'integer' }),
  sort: z.enum(SORTS).default('relevance').meta({ description: 'relevance (default), newest or oldest' }),
  source: values('source', 'Only these sources'),
  author: values('author', 'Only these authors'),
  lang: values('lang', 'Only these languages, BCP 47'),
  tag: values('tag', 'Only articles with one of these tags'),
  from: date.meta({ description: 'Published on or after this ISO-8601 date' }),
  to: date.meta({ description: 'Published on or before this ISO-8601 date' }),
  facets: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.enum(FACETS)))
    .optional()
    .meta({ description: 'Comma list of source, author, lang, tags: counts over all matches' }),
  fuzzy: flag.meta({ description: 'Typo tolerance on or off (the server sets how far it goes)' }),
  prefix: flag.meta({ description: 'Prefix matching of the last word on or off (the server caps expansions)' }),
})

/** `GET /suggest` parameters. */
export const SuggestQuerySchema = z.object({
  q: query.meta({ description: 'The words typed so far; the last one is completed' }),
  limit: z.coerce.number().int().min(1).max(20).default(8).meta({ description: 'Suggestions, 1 to 20' }),
})

/** `GET /articles/{id}` and `DELETE /articles/{id}`. */
export const ArticleIdParamsSchema = z.object({
  id: z.string().meta({ description: 'The article id (32 hex characters for ids Edgewire made)' }),
})

/**
 * The 400 answer to parameters the schema refused, naming each (the routes' validation hook throws it). A path such
 * as `["tag", 3]` names the parameter `tag`.
 */
export function invalidParameters(issues: readonly { path: PropertyKey[]; message: string }[]): ProblemError {
  const errors: FieldError[] = issues.map((issue) => ({
    pointer: `/${String(issue.path[0] ?? '')}`,
    detail: `${String(issue.path[0] ?? 'query')}: ${issue.message}`,
  }))
  const names = [...new Set(errors.map((e) => e.pointer.slice(1)))].join(', ')
  return new ProblemError(400, 'invalid-parameter', `Invalid query parameter: ${names}.`, { errors })
}
