/**
 * Lines that are page furniture rather than article text, in any path: "Back To Top", share rows,
 * "Advertisement", newsletter prompts. Only whole short lines are judged, so prose mentioning them stays.
 */

/** Lines longer than this are never treated as furniture by the exact-phrase test. */
export const DEFAULT_MAX_JUNK_LINE_CHARS = 80

/** Whole-line phrases (lower case, punctuation and arrows stripped) that are navigation or chrome. */
const JUNK_PHRASES: ReadonlySet<string> = new Set([
  'back to top',
  'to top',
  'top',
  'go to top',
  'scroll to top',
  'return to top',
  'skip to content',
  'skip to main content',
  'skip navigation',
  'skip to navigation',
  'jump to content',
  'menu',
  'main menu',
  'close',
  'close menu',
  'open menu',
  'toggle navigation',
  'navigation',
  'home',
  'search',
  'share',
  'share this',
  'share this article',
  'share this story',
  'share on facebook',
  'share on twitter',
  'share via email',
  'tweet',
  'email',
  'e-mail',
  'print',
  'facebook',
  'twitter',
  'linkedin',
  'whatsapp',
  'pinterest',
  'reddit',
  'flipboard',
  'copy link',
  'link copied',
  'comments',
  'comment',
  'view comments',
  'show comments',
  'leave a comment',
  'leave a reply',
  'advertisement',
  'advertisements',
  'advertising',
  'ad',
  'sponsored',
  'sponsored content',
  'story continues below advertisement',
  'article continues below advertisement',
  'continue reading below',
  'continue reading',
  'read more',
  'read more below',
  'related',
  'related articles',
  'related stories',
  'related news',
  'related content',
  'related coverage',
  'more stories',
  'more news',
  'recommended',
  'recommended for you',
  'most read',
  'most popular',
  'trending',
  'trending now',
  'subscribe',
  'subscribe now',
  'sign up',
  'sign in',
  'log in',
  'login',
  'register',
  'next',
  'previous',
  'prev',
  'next article',
  'previous article',
  'click here',
  'loading',
  'loading...',
  'photo',
  'video',
  'image',
  'enlarge this image',
  'toggle caption',
  'hide caption',
  'listen',
  'listen to this article',
  'advert',
  "don't miss",
  'do not miss',
  'breaking news',
  'join the conversation',
  'tell us what you think',
  'this slideshow requires javascript',
  'enable javascript',
  'more',
  'see more',
  'view more',
  'show more',
  'load more',
  'more on this story',
  'more on this',
  'you may also like',
  'you might also like',
  'also read',
  'read also',
  'read next',
  'up next',
  'watch',
  'watch now',
  'play video',
  'caption',
  'iklan',
  'anzeige',
  'publicité',
  'publicidad',
  'werbung',
  '광고',
  '広告',
  '맨 위로',
  '위로',
  '공유하기',
  '기사 공유',
  '프린트',
  '인쇄',
  '이메일',
  '댓글',
  '구독',
  '로그인',
  '메뉴',
  '검색',
  '관련기사',
  '많이 본 뉴스',
  'トップへ戻る',
  'ページの先頭へ',
  'ページトップへ',
  'シェア',
  'ツイート',
  '印刷',
  'メニュー',
  '検索',
  'ログイン',
  '関連記事',
])

const JUNK = {
  // Arrows, bullets and similar decorations around a navigation label.
  decorations: /^[\s\p{P}\p{S}]+|[\s\p{P}\p{S}]+$/gu,
  // A row of labels joined by separators ("Home | News | Sport").
  // "|", "·", "•" separate labels anywhere; ">", "/", "»", "›" only with spaces around (not in "a/b" or "<tag>").
  separators: /\s*[|·•]\s*|\s+[»›>/]\s+/u,
  // Sentence prompts that only appear as furniture.
  prompts:
    /^(sign up for|subscribe to|get the latest|follow us on|like us on|download (the|our) app|click here to|you might also like|you may also like|we recommend|recommended for you|read next|also read|read also|see also|see more:|read more:|more from|more news from|more stories from|related:|filed under:|copyright ©|© ?\d{4}|all rights reserved)/iu,
  // Notices that run longer than a menu line but are still furniture (reprint terms, affiliate disclosures).
  notices:
    /^(?:this document is subject to copyright|citation: .{10,300} retrieved .{0,40} from|this (?:post|article|page|story) (?:may )?contains? affiliate)/iu,
  // A short line with a copyright notice is a footer or a photo credit.
  copyright: /©\s?\d{4}|\bcopyright\s+(?:©\s*)?\d{4}|\(c\)\s?\d{4}|© [\p{Lu}]/iu,
  // How to reach or follow the author: the sign-off under a story.
  signOff:
    /\b(?:follow (?:him|her|them|us|me) on (?:twitter|facebook|instagram|x)|(?:may|can) be reached at|contact (?:him|her|them|the author) at|email (?:him|her|them) at|join our .{0,40}forums?)\b/iu,
  // "Published: 10:48, Tue, Nov 19, 2019", "| UPDATED: 11:05", "Posted Fri 6:45 PM", "Updated at 1:23 p.m.", "Published 1 day ago".
  dateline:
    /^[|•·\s]*(?:(?:last |first )?(?:published|updated|posted|modified)(?: on| at)?|publication date)\s*:?\s*(?<rest>.*)$/iu,
  // Each word after "Published" must be part of a date: numbers, month and weekday names, times, "ago".
  dateWord:
    /^(?:[\d:./-]+(?:am|pm|st|nd|rd|th|h)?|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?|(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)[a-z]*\.?|a\.?m\.?|p\.?m\.?|at|on|ago|an?|one|(?:second|minute|hour|day|week|month|year)s?|yesterday|today|[|•·()-])$/iu,
  dateSignal: /\d|\bago\b|yesterday|today/iu,
  // Time zones ("EST", "GMT", "KST"), upper case only.
  timeZone: /^[A-Z]{2,4}$/u,
  // WordPress shortcodes left in the text ("[button link=...]"). One attribute group whose value runs to the
  // bracket covers any number of attributes; a repeated group (`(?:\s+name=[^\]]*)*`) was exponential on
  // "[x a=1 a=1 …" without the closing bracket.
  shortcode: /^\[\/?[a-z_-]+(?:\s+[a-z_-]+=[^\]]*)?\]/iu,
} as const

/** Labels in a row that make a menu, and the longest label. */
const MIN_MENU_ITEMS = 3
const MAX_MENU_ITEM_WORDS = 3

/** Copyright notices and sign-offs longer than this are prose that happens to mention them. */
export const DEFAULT_MAX_NOTICE_CHARS = 250

/** Datelines carry no story text; the date itself is read from the page's metadata. */
export const DEFAULT_MAX_DATELINE_CHARS = 90

function key(line: string): string {
  return line.replace(JUNK.decorations, '').toLowerCase().replace(/\s+/g, ' ')
}

/** True when a whole line is navigation, sharing, advertising or other page furniture. */
export function isJunkLine(line: string): boolean {
  const trimmed = line.trim()
  if (trimmed === '') return true
  if (JUNK.shortcode.test(trimmed)) return true
  if (trimmed.length <= DEFAULT_MAX_NOTICE_CHARS && JUNK.copyright.test(trimmed)) return true
  if (trimmed.length <= DEFAULT_MAX_NOTICE_CHARS * 2 && JUNK.notices.test(trimmed)) return true
  if (trimmed.length > DEFAULT_MAX_JUNK_LINE_CHARS) return false
  const k = key(trimmed)
  if (k === '') return true
  if (JUNK_PHRASES.has(k)) return true
  const parts = trimmed
    .split(JUNK.separators)
    .map(key)
    .filter((p) => p !== '')
  if (parts.length > 1 && parts.every((p) => JUNK_PHRASES.has(p))) return true
  // A row of three or more short labels between separators is a menu ("Home | News | Sport").
  // (A line without spaces is a path or an address, not a menu.)
  if (
    trimmed.includes(' ') &&
    parts.length >= MIN_MENU_ITEMS &&
    parts.every((p) => p.split(' ').length <= MAX_MENU_ITEM_WORDS)
  ) {
    return true
  }
  if (isDateline(trimmed)) return true
  return JUNK.prompts.test(trimmed)
}

/** Words a dateline may have after its "Published"/"Updated" label. */
const MAX_DATELINE_WORDS = 9

/** "Published: 10:48, Tue, Nov 19, 2019", "| UPDATED: 11:05", "Updated at 1:23 p.m.", "Published 1 day ago". */
function isDateline(line: string): boolean {
  if (line.length > DEFAULT_MAX_DATELINE_CHARS) return false
  const rest = JUNK.dateline.exec(line)?.groups?.rest
  if (rest === undefined) return false
  const words = rest
    .split(/[\s,;|]+/)
    .map((w) => w.replace(/^\(+|\)+$/g, ''))
    .filter((w) => w !== '')
  return (
    JUNK.dateSignal.test(rest) &&
    words.length <= MAX_DATELINE_WORDS &&
    words.every((w) => JUNK.dateWord.test(w) || JUNK.timeZone.test(w))
  )
}

/** True for the author's sign-off under a story ("Follow him on Twitter @x", "may be reached at ..."). */
export function isSignOff(line: string): boolean {
  return line.length <= DEFAULT_MAX_NOTICE_CHARS * 2 && JUNK.signOff.test(line)
}
