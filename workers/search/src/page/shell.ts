import { html } from 'hono/html'
import type { HtmlEscapedString } from 'hono/utils/html'

/** Asset addresses carry a content hash, so browsers may cache them for good. */
export interface ShellAssets {
  css: string
  js: string
}

/**
 * The page's HTML: landmarks, labelled controls and empty regions the script fills in. Everything dynamic
 * is rendered by /assets/app.js from the URL, so this shell is the same for every query and caches well.
 */
export function shell(assets: ShellAssets): HtmlEscapedString | Promise<HtmlEscapedString> {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Edgewire search</title>
<meta name="description" content="Search news articles in English, Korean and Japanese.">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${assets.css}">
<script src="${assets.js}" defer></script>
</head>
<body>
<a class="skip" href="#main">Skip to results</a>
<header class="top">
  <h1 class="brand"><a href="/">Edgewire</a></h1>
  <form id="search-form" role="search" action="/" method="get">
    <div class="combo">
      <label for="q" class="vh">Search articles</label>
      <input id="q" name="q" type="search" role="combobox" aria-autocomplete="list" aria-expanded="false"
        aria-controls="suggestions" autocomplete="off" autocapitalize="off" spellcheck="false" maxlength="256"
        enterkeyhint="search" placeholder="Search news: GSOMIA, 월식, 地震…" aria-describedby="q-help">
      <ul id="suggestions" role="listbox" aria-label="Suggestions" hidden></ul>
    </div>
    <button type="submit">Search</button>
  </form>
  <p id="q-help" class="meta">"exact phrase" · -leave out · -"leave out phrase"</p>
</header>
<div class="layout" id="layout">
  <aside id="filters" aria-labelledby="filters-heading">
    <div class="filters-head">
      <h2 id="filters-heading">Filters</h2>
      <button type="button" id="filters-toggle" class="quiet" aria-expanded="false" aria-controls="filter-panel">Show filters</button>
    </div>
    <div id="filter-panel">
      <div id="facets"></div>
      <fieldset class="dates">
        <legend>Date</legend>
        <label for="from">From</label>
        <input id="from" name="from" type="date">
        <label for="to">To</label>
        <input id="to" name="to" type="date">
      </fieldset>
      <button type="button" id="clear-filters" class="quiet" hidden>Clear filters</button>
    </div>
  </aside>
  <main id="main">
    <section id="results-view" aria-labelledby="results-heading">
      <h2 id="results-heading" class="vh" tabindex="-1">Results</h2>
      <div class="toolbar">
        <p id="status" role="status" aria-live="polite"></p>
        <div>
          <label for="sort">Sort by</label>
          <select id="sort" name="sort">
            <option value="relevance">Relevance</option>
            <option value="newest">Newest first</option>
            <option value="oldest">Oldest first</option>
          </select>
        </div>
      </div>
      <div id="error" class="error" role="alert" hidden></div>
      <div id="welcome" class="welcome" hidden></div>
      <ol id="results"></ol>
      <nav id="pager" aria-label="Result pages"></nav>
    </section>
    <section id="article-view" aria-label="Article" hidden></section>
  </main>
</div>
<footer>
  <noscript><p>This page needs JavaScript. The API answers without it: <a href="/search?q=GSOMIA">/search?q=GSOMIA</a>.</p></noscript>
  Articles from Reuters-21578 (research use) and Wikinews (CC BY 2.5). <a href="/docs">API reference</a> (<a href="/openapi.json">OpenAPI</a>).
</footer>
</body>
</html>
`
}
