import { createHash } from 'node:crypto'
import { setTimeout as sleep } from 'node:timers/promises'
import { signedWebhookInit } from '@edgewire/client'
import type { WebhookResponse } from '@edgewire/shared/api-schemas'
import { Webhook } from 'standardwebhooks'

export type ArticleResult = WebhookResponse['results'][number]
export type ArticleStatus = ArticleResult['status']

export interface SendResult {
  status: number
  results: ArticleResult[]
  problem?: { title?: string; detail?: string; errors?: unknown }
}

/** Signs events per Standard Webhooks (with the reference `standardwebhooks` library) and posts them. */
export class WebhookClient {
  private readonly webhook: Webhook

  constructor(
    private readonly endpoint: string,
    secret: string,
  ) {
    this.webhook = new Webhook(secret)
  }

  /** The `webhook-signature` value for a message. */
  signatureFor(msgId: string, unixSeconds: number, body: string): string {
    return this.webhook.sign(msgId, new Date(unixSeconds * 1000), body)
  }

  /**
   * Sends one event. `id` defaults to a hash of the body, so resending the same content is a replay that the
   * server answers from memory, and a restart of a seed does no work twice.
   */
  async send(type: string, data: unknown, id?: string, retries = 5): Promise<SendResult> {
    const body = JSON.stringify({ type, timestamp: new Date().toISOString(), data })
    const msgId =
      id ??
      `msg_${createHash('sha256')
        .update(body.slice(body.indexOf('"data"')))
        .digest('hex')
        .slice(0, 32)}`
    for (let attempt = 0; ; attempt++) {
      let response: Response
      try {
        response = await fetch(this.endpoint, signedWebhookInit(this.webhook, msgId, body))
      } catch (err) {
        if (attempt >= retries) throw err
        await sleep(500 * 2 ** attempt)
        continue
      }
      if ((response.status === 429 || response.status === 503) && attempt < retries) {
        const retryAfter = Number(response.headers.get('retry-after') ?? '1')
        await sleep(Math.max(1, retryAfter) * 1000)
        continue
      }
      const json = (await response.json().catch(() => null)) as { results?: unknown } | null
      if (response.status === 202) {
        if (Array.isArray(json?.results)) return { status: 202, results: json.results as ArticleResult[] }
        // An answer lost on the way (a connection cut while it was read): the same id again is answered from memory.
        if (attempt < retries) {
          await sleep(500 * 2 ** attempt)
          continue
        }
        throw new Error(`a 202 to ${msgId} came without a readable answer`)
      }
      return { status: response.status, results: [], problem: (json ?? {}) as SendResult['problem'] }
    }
  }
}
