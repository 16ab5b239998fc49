import type { Article } from '../article'
import type { IndexDoc } from '../search'

/** The fields of an Article that search indexes and shows in hits. */
export function toIndexDoc(article: Article): IndexDoc {
  const published = article.published ? Date.parse(article.published) : Number.NaN
  return {
    id: article.id,
    title: article.title,
    body: article.body,
    url: article.url,
    source: article.source,
    author: article.author ?? article.byline,
    lang: article.lang,
    tags: article.tags,
    published: Number.isFinite(published) ? published : null,
  }
}
