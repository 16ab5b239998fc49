/**
 * Long synthetic articles for `npm run bench:memory` and bench:hostile's `texts` shape: every sentence
 * carries a word of its own, so an article's vocabulary grows with its length, the worst case for an index build.
 */

/** Prose of news-like sentences, `chars` long, paragraphs separated by a blank line, its words unique to `seed`. */
export function prose(chars: number, seed: string): string {
  const words = ['harbour', 'copper', 'shipment', 'ministry', 'quarterly', 'output', 'tariff', 'reserve', 'index']
  const parts: string[] = []
  let length = 0
  for (let i = 0; length < chars; i++) {
    const sentence =
      i % 6 === 5
        ? `The ${words[i % words.length]} figure ${seed}x${i} was revised.\n\n`
        : `The ${words[i % words.length]} of ${seed}x${i} rose ${i % 97} percent against the ${words[(i * 7) % words.length]} last week. `
    parts.push(sentence)
    length += sentence.length
  }
  return parts.join('').slice(0, chars)
}
