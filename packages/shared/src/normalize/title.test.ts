import { describe, expect, it } from 'vitest'
import { chooseTitle, siteNamesFor, stripSiteName } from './title'

describe('stripSiteName', () => {
  const names = siteNamesFor('Daily Example', 'https://www.dailyexample.com/a')
  it('strips a trailing site name after a dash or pipe', () => {
    expect(stripSiteName('Rain returns to the valley - Daily Example', names)).toBe('Rain returns to the valley')
    expect(stripSiteName('Rain returns to the valley | DailyExample.com', names)).toBe('Rain returns to the valley')
  })
  it('strips a leading site name', () => {
    expect(stripSiteName('Daily Example | Rain returns to the valley', names)).toBe('Rain returns to the valley')
  })
  it('strips section segments after a pipe', () => {
    expect(stripSiteName('Rain returns to the valley | World | News | Daily Example', names)).toBe(
      'Rain returns to the valley',
    )
  })
  it('keeps a dash that belongs to the headline', () => {
    expect(stripSiteName('Brexit - what happens next', names)).toBe('Brexit - what happens next')
  })
  it('cuts where another title of the page agrees', () => {
    expect(stripSiteName('Story of the day - The Unnamed Blog', [], ['Story of the day'])).toBe('Story of the day')
  })
})

describe('chooseTitle', () => {
  it('prefers the <title> without its site name and falls back when it is only the site name', () => {
    const names = siteNamesFor('Quanta Magazine', 'https://www.quantamagazine.org/x')
    const base = { headline: 'Cells That Taste Danger', metaTitles: [], headings: [], fallback: null }
    expect(chooseTitle({ ...base, documentTitle: 'Quanta Magazine' }, names)).toBe('Cells That Taste Danger')
    expect(chooseTitle({ ...base, documentTitle: 'Cells That Taste Danger | Quanta Magazine' }, names)).toBe(
      'Cells That Taste Danger',
    )
  })
})
