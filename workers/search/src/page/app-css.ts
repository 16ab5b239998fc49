/**
 * The page's stylesheet, served as /assets/app.css. Colours are chosen for WCAG AA: body text and muted text
 * at least 7:1, links 7:1, borders and the focus ring at least 3:1 against their background, in both schemes.
 * Fonts fall back through the usual Korean and Japanese system fonts; `:lang()` picks the right CJK glyphs.
 */
export const APP_CSS = `
:root {
  color-scheme: light dark;
  --bg: #ffffff; --fg: #1b1b1f; --muted: #4f5058; --line: #85868f; --soft: #f2f3f6;
  --link: #0645ad; --focus: #0645ad; --mark-bg: #ffe066; --mark-fg: #1b1b1f; --accent: #0645ad; --on-accent: #ffffff;
  --sans: system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', 'Helvetica Neue', Arial,
    'Noto Sans CJK KR', 'Apple SD Gothic Neo', 'Malgun Gothic', 'Noto Sans CJK JP', 'Hiragino Sans', 'Yu Gothic',
    Meiryo, sans-serif;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #16171b; --fg: #ececf1; --muted: #b4b6c0; --line: #80828c; --soft: #23252b;
    --link: #9cc1ff; --focus: #9cc1ff; --mark-bg: #ffe066; --mark-fg: #16171b; --accent: #9cc1ff; --on-accent: #16171b;
  }
}
* { box-sizing: border-box; }
html { font-family: var(--sans); line-height: 1.5; background: var(--bg); color: var(--fg); }
body { margin: 0; }
:lang(ko) { font-family: 'Noto Sans KR', 'Noto Sans CJK KR', 'Apple SD Gothic Neo', 'Malgun Gothic', var(--sans); word-break: keep-all; overflow-wrap: anywhere; }
:lang(ja) { font-family: 'Noto Sans JP', 'Noto Sans CJK JP', 'Hiragino Sans', 'Hiragino Kaku Gothic ProN', 'Yu Gothic', Meiryo, var(--sans); line-break: strict; overflow-wrap: anywhere; }
a { color: var(--link); }
a:hover { text-decoration-thickness: 2px; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.vh { position: absolute !important; width: 1px; height: 1px; margin: -1px; padding: 0; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
.skip { position: absolute; left: .5rem; top: -3rem; background: var(--bg); padding: .5rem .75rem; z-index: 10; }
.skip:focus { top: .5rem; }
[hidden] { display: none !important; }

.top { display: flex; flex-wrap: wrap; align-items: center; gap: .75rem 1.5rem; padding: 1rem clamp(1rem, 3vw, 2rem); border-bottom: 1px solid var(--line); }
.brand { margin: 0; font-size: 1.35rem; letter-spacing: -.01em; }
.brand a { color: inherit; text-decoration: none; }
#search-form { display: flex; gap: .5rem; flex: 1 1 28rem; max-width: 46rem; }
.combo { position: relative; flex: 1; }
input, select, button { font: inherit; color: inherit; }
#q { width: 100%; padding: .55rem .75rem; border: 2px solid var(--line); border-radius: .5rem; background: var(--bg); }
#q:focus-visible { outline-offset: 0; border-color: var(--focus); }
button, .btn { padding: .5rem 1rem; border-radius: .5rem; border: 2px solid var(--accent); background: var(--accent); color: var(--on-accent); cursor: pointer; }
button.quiet { background: transparent; color: var(--link); border-color: var(--line); padding: .3rem .7rem; }
#suggestions { position: absolute; z-index: 5; left: 0; right: 0; top: calc(100% + 4px); margin: 0; padding: .25rem 0; list-style: none; background: var(--bg); border: 1px solid var(--line); border-radius: .5rem; box-shadow: 0 6px 20px rgb(0 0 0 / .18); }
#suggestions li { padding: .4rem .75rem; cursor: pointer; }
#suggestions li b { font-weight: 700; }
#suggestions li[aria-selected='true'] { background: var(--soft); outline: 2px solid var(--focus); outline-offset: -2px; }

.layout { display: grid; grid-template-columns: minmax(12rem, 16rem) minmax(0, 1fr); gap: 2rem; padding: 1.25rem clamp(1rem, 3vw, 2rem); max-width: 76rem; }
#layout.reading { grid-template-columns: minmax(0, 1fr); }
.filters-head { display: flex; align-items: center; justify-content: space-between; gap: 1rem; margin-bottom: .5rem; }
.filters-head h2 { margin: 0; }
#filters-toggle { display: none; }
@media (max-width: 48rem) {
  .layout { grid-template-columns: 1fr; gap: 1rem; }
  /* On a phone the filters fold away behind a button, so results come first. */
  #filters-toggle { display: inline-block; }
  #filter-panel:not(.open) { display: none; }
  #filter-panel.open { margin-top: .75rem; }
}
aside h2 { font-size: 1rem; }
fieldset { border: 0; padding: 0; margin: 0 0 1.1rem; min-width: 0; }
legend { font-weight: 600; padding: 0; margin-bottom: .3rem; }
.facet ul { list-style: none; margin: 0; padding: 0; }
.facet li { display: flex; align-items: baseline; gap: .4rem; padding: .1rem 0; }
.facet label { display: flex; flex: 1; justify-content: space-between; gap: .5rem; min-width: 0; cursor: pointer; }
.facet label .v { overflow-wrap: anywhere; }
.count { color: var(--muted); font-variant-numeric: tabular-nums; }
input[type='checkbox'] { width: 1.05rem; height: 1.05rem; accent-color: var(--accent); }
.dates label { display: block; font-size: .9rem; color: var(--muted); margin-top: .3rem; }
.dates input { width: 100%; padding: .3rem .4rem; border: 1px solid var(--line); border-radius: .35rem; background: var(--bg); }

.toolbar { display: flex; flex-wrap: wrap; justify-content: space-between; align-items: center; gap: .5rem 1rem; margin-bottom: .5rem; }
#status { margin: 0; color: var(--muted); }
#sort { padding: .3rem .4rem; border: 1px solid var(--line); border-radius: .35rem; background: var(--bg); }
.error { padding: .75rem 1rem; border-left: 4px solid #b3261e; background: var(--soft); }
#results, .latest { list-style: none; margin: 0; padding: 0; }
.hit { padding: .9rem 0; border-bottom: 1px solid var(--soft); }
.hit h3, .hit h4 { font-size: 1.1rem; margin: 0 0 .2rem; font-weight: 600; }
.meta { margin: 0; color: var(--muted); font-size: .9rem; }
.meta > * + *::before { content: '·'; display: inline-block; padding: 0 .4rem; color: var(--muted); }
.snippet { margin: .3rem 0 0; }
mark { background: var(--mark-bg); color: var(--mark-fg); padding: 0 .1em; border-radius: .15em; }
#pager { display: flex; flex-wrap: wrap; gap: .35rem; margin: 1.25rem 0; align-items: center; }
#pager a, #pager span { min-width: 2.4rem; padding: .3rem .6rem; text-align: center; border-radius: .35rem; }
#pager a { border: 1px solid var(--line); text-decoration: none; }
#pager [aria-current] { background: var(--accent); color: var(--on-accent); font-weight: 600; }
#pager .gap, #pager .off { color: var(--muted); }
.welcome ul { padding: 0; list-style: none; display: flex; flex-wrap: wrap; gap: .5rem; }

#article-view { max-width: 44rem; }
#article-view h2 { font-size: 1.6rem; line-height: 1.25; margin: .75rem 0 .4rem; }
.attribution { font-size: .9rem; color: var(--muted); }
.body p { margin: 0 0 1em; white-space: pre-line; }
.tags { display: flex; flex-wrap: wrap; gap: .4rem; list-style: none; padding: 0; }
.tags a { display: inline-block; padding: .1rem .6rem; border: 1px solid var(--line); border-radius: 1rem; text-decoration: none; font-size: .9rem; }
footer { padding: 1rem clamp(1rem, 3vw, 2rem) 2rem; color: var(--muted); font-size: .85rem; }
`
