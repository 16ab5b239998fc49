import { describe, expect, it } from 'vitest'
import { extractFromHtml } from './html-extract'

const PROSE =
  'The council voted on Tuesday to expand the bus network, adding three routes that will link the eastern suburbs to the city centre.'

function page(article: string): string {
  return `<html><head><title>Buses - Town News</title></head><body>
    <nav class="main-nav"><a href="/">Home</a><a href="/news">News</a></nav>
    <article>${article}</article>
    <div class="related-content"><h3>Related</h3><ul><li><a href="/a">Other story one</a></li><li><a href="/b">Other story two</a></li></ul></div>
    <footer>© 2024 Town News</footer></body></html>`
}

describe('extractFromHtml', () => {
  it('keeps paragraphs, headings and list items as separate paragraphs', () => {
    const { paragraphs } = extractFromHtml(
      page(
        `<p>${PROSE}</p><h2>What changes</h2><ul><li>Route 4 runs every ten minutes all day long.</li><li>Route 9 now reaches the hospital at night too.</li></ul><p>${PROSE}</p>`,
      ),
    )
    expect(paragraphs).toEqual([
      PROSE,
      'What changes',
      'Route 4 runs every ten minutes all day long.',
      'Route 9 now reaches the hospital at night too.',
      PROSE,
    ])
  })

  it('drops captions, share rows, related links and footers', () => {
    const { paragraphs } = extractFromHtml(
      page(`<figure><img src="x.jpg"><figcaption>The new buses (Photo: Jo Lee)</figcaption></figure>
        <div class="share-bar"><a href="#">Facebook</a><a href="#">Twitter</a></div>
        <p>${PROSE}</p><p>Advertisement</p><p>${PROSE}</p>`),
    )
    expect(paragraphs).toEqual([PROSE, PROSE])
  })

  it('keeps a linked name whose hover card is dropped', () => {
    const { paragraphs } = extractFromHtml(
      page(
        `<p>The plan was backed by Mayor <span class="rollover-people"><a href="/p/ann">Ann Lee</a><span class="rollover-people-block"><img src="a.jpg"><a href="/p/ann">Ann Lee</a><a href="/s/1">Her latest story</a></span></span> and most of the council, who said the routes were overdue.</p><p>${PROSE}</p>`,
      ),
    )
    expect(paragraphs[0]).toBe(
      'The plan was backed by Mayor Ann Lee and most of the council, who said the routes were overdue.',
    )
  })

  it('drops a run of link lines at the end of the story', () => {
    const { paragraphs } = extractFromHtml(
      page(
        `<p>${PROSE}</p><p>${PROSE}</p><p>You may also like...</p><p><a href="/1">First other headline here</a></p><p><a href="/2">Second other headline here</a></p><p><a href="/3">Third other headline here</a></p>`,
      ),
    )
    expect(paragraphs).toEqual([PROSE, PROSE])
  })
})

describe('extractFromHtml protects the story container', () => {
  it('keeps a story whose container class names sharing, even under a long comment thread', () => {
    const comments = Array.from(
      { length: 12 },
      (_, i) =>
        `<div class="comment"><p>Comment number ${i} says something long enough to count as prose here.</p></div>`,
    ).join('')
    const html = `<html><body><div class="story share-enabled"><p>${PROSE}</p><p>${PROSE} Again.</p><p>${PROSE} Once more.</p></div><div class="comments">${comments}</div></body></html>`
    expect(extractFromHtml(html).paragraphs.slice(0, 3)).toEqual([PROSE, `${PROSE} Again.`, `${PROSE} Once more.`])
  })
  it('keeps text that is only hidden on small screens', () => {
    const html = page(
      `<p>${PROSE}</p><p class="hidden-xs">On larger screens this paragraph explains the timetable in some detail.</p>`,
    )
    expect(extractFromHtml(html).paragraphs).toContain(
      'On larger screens this paragraph explains the timetable in some detail.',
    )
  })
})

describe('extractFromHtml and pictures', () => {
  it('drops a caption that sits beside its picture without a <figcaption>', () => {
    const html = page(
      `<div class="image top"><img src="a.jpg"><p>Buses wait at the depot. (Photo: Jo Lee)</p></div><p>${PROSE}</p><p>${PROSE}</p>`,
    )
    expect(extractFromHtml(html).paragraphs).toEqual([PROSE, PROSE])
  })
  it('keeps a paragraph with a picture floated into it', () => {
    const html = page(
      `<p><img src="me.jpg">If we have not met yet, my name is Ann and I write about buses.</p><p>${PROSE}</p><p>${PROSE}</p>`,
    )
    expect(extractFromHtml(html).paragraphs[0]).toBe('If we have not met yet, my name is Ann and I write about buses.')
  })
})
