import { describe, expect, it } from 'vitest'
import { extractFromText } from './text-extract'

describe('extractFromText', () => {
  it('joins hard-wrapped lines and starts a paragraph at an indented line', () => {
    const text =
      'Standard Oil Co and BP North America\nInc said they plan to form a venture to manage the money\nmarket borrowing of both companies.\n    The venture will be called BP/Standard Financial Trading\nand will be run by Standard Oil.'
    expect(extractFromText(text, 'Standard Oil to form financial unit').paragraphs).toEqual([
      'Standard Oil Co and BP North America Inc said they plan to form a venture to manage the money market borrowing of both companies.',
      'The venture will be called BP/Standard Financial Trading and will be run by Standard Oil.',
    ])
  })
  it('keeps one paragraph per line when lines are long', () => {
    const a = 'A'.repeat(60)
    const line1 = `${a} first paragraph that runs well past the width of any hard wrap.`
    const line2 = `${a} second paragraph that also runs well past the width of a wrap.`
    expect(extractFromText(`${line1}\n${line2}`, 'T').paragraphs).toEqual([line1, line2])
  })
  it('takes a short first line as the headline and drops navigation lines', () => {
    const found = extractFromText(
      'Skip to content\nHome | News | Sport\nTrains return after the storm\nBy Ann Lee\nServices resumed on Monday after engineers cleared fallen trees from the line near the coast.',
      null,
    )
    expect(found.title).toBe('Trains return after the storm')
    expect(found.byline).toBe('By Ann Lee')
    expect(found.paragraphs).toEqual([
      'Services resumed on Monday after engineers cleared fallen trees from the line near the coast.',
    ])
  })
  it('removes the given title when the text repeats it on top', () => {
    expect(extractFromText('Big News\n\nThe story.', 'Big news').paragraphs).toEqual(['The story.'])
  })
})
