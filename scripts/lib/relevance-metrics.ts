/** Graded judgments of one query: doc id → gain (> 0 means relevant). */
export type Judgments = Map<string, number>

/** nDCG@k with linear gains (trec_eval's `ndcg_cut`): DCG of the ranking over DCG of the ideal ranking. */
export function ndcgAt(ranking: string[], judged: Judgments, k: number): number {
  let dcg = 0
  ranking.slice(0, k).forEach((id, i) => {
    dcg += (judged.get(id) ?? 0) / Math.log2(i + 2)
  })
  const ideal = [...judged.values()].filter((g) => g > 0).sort((a, b) => b - a)
  let idcg = 0
  ideal.slice(0, k).forEach((g, i) => {
    idcg += g / Math.log2(i + 2)
  })
  return idcg === 0 ? 0 : dcg / idcg
}

/** Reciprocal rank of the first relevant doc within the top k, else 0. */
export function mrrAt(ranking: string[], judged: Judgments, k: number): number {
  const i = ranking.slice(0, k).findIndex((id) => (judged.get(id) ?? 0) > 0)
  return i < 0 ? 0 : 1 / (i + 1)
}

/** Share of the relevant docs found in the top k. */
export function recallAt(ranking: string[], judged: Judgments, k: number): number {
  const relevant = [...judged.values()].filter((g) => g > 0).length
  if (relevant === 0) return 0
  return ranking.slice(0, k).filter((id) => (judged.get(id) ?? 0) > 0).length / relevant
}
