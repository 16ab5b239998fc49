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
])

const JUNK = {
  // Arrows, bullets and similar decorations around a navigation label.
  decorations: /^[\s\p{P}\p{S}]+|[\s\p{P}\p{S}]+$/gu,
  // A row of labels joined by separators ("Home | News | Sport").
  separators: /\s*[|·•»›/]\s*/u,
  // Sentence prompts that only appear as furniture.
  prompts:
    /^(sign up for|subscribe to|get the latest|follow us on|like us on|download (the|our) app|click here to|you might also like|we recommend|recommended for you|read next|also read|read also|see also|more from|related:|copyright ©|© ?\d{4}|all rights reserved)/iu,
} as const

function key(line: string): string {
  return line.replace(JUNK.decorations, '').toLowerCase().replace(/\s+/g, ' ')
}

/** True when a whole line is navigation, sharing, advertising or other page furniture. */
export function isJunkLine(line: string): boolean {
  const trimmed = line.trim()
  if (trimmed === '') return true
  if (trimmed.length > DEFAULT_MAX_JUNK_LINE_CHARS) return false
  const k = key(trimmed)
  if (k === '') return true
  if (JUNK_PHRASES.has(k)) return true
  const parts = trimmed
    .split(JUNK.separators)
    .map(key)
    .filter((p) => p !== '')
  if (parts.length > 1 && parts.every((p) => JUNK_PHRASES.has(p))) return true
  return JUNK.prompts.test(trimmed) && trimmed.length <= DEFAULT_MAX_JUNK_LINE_CHARS
}
