/** SHA-256 helpers over WebCrypto, which Node 20+ and workerd both provide as `crypto.subtle`. */

const encoder = new TextEncoder()

/** Hex SHA-256 of a string's UTF-8 bytes. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', encoder.encode(text))
  let hex = ''
  for (const byte of new Uint8Array(digest)) hex += byte.toString(16).padStart(2, '0')
  return hex
}

/** Hash of the normalized title and body: equal content re-sent gives an equal hash (`unchanged`). */
export function contentHashOf(title: string, body: string): Promise<string> {
  return sha256Hex(`${title}\n\n${body}`)
}
