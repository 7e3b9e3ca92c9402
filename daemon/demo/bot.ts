/**
 * The demo's second participant: a small bot that answers what it is sent, in a group or 1:1.
 * It is a client of its own daemon's local API like any bot (daemon/api/client.ts): it
 * subscribes to notifications and answers each message/didReceive that someone else wrote.
 */
import type { ApiClient } from '../api/client.js';

/** What the bot says back to one message (pure). */
export function botAnswer(text: string, from: string, where: 'group' | 'direct' = 'group'): string {
  const t = text.trim();
  const lower = t.toLowerCase();
  if (/^(hi|hello|hey|hallo|salut|hola)\b/.test(lower)) {
    const how = where === 'group' ? 'through a pub, over onion services of a private Tor network on this machine' : 'over a peer link between our onion services, on a private Tor network on this machine';
    return `hello ${from}! I am snugbot, a bot with its own snug daemon. We talk ${how}.`;
  }
  if (lower.includes('help') || lower === '?') return 'Press ? for the keys and commands. Try /me to see your address as a QR code, or just write something.';
  if (lower.includes('how') && lower.includes('work')) {
    return where === 'group'
      ? 'Your message was encrypted for the group, posted to the pub over Tor, and fetched by my daemon from there. The pub only ever sees ciphertext.'
      : 'Your message went end to end encrypted over a Noise link between your onion service and mine; my daemon acknowledged it once it was on disk.';
  }
  const words = t.split(/\s+/).filter(Boolean).length;
  return `you said "${t.length > 200 ? t.slice(0, 200) + '…' : t}" (${words} word${words === 1 ? '' : 's'}). Say hi, or ask how it works.`;
}

export interface BotInit {
  /** The bot's own address (its messages are not answered). */
  readonly address: string;
  /** Display names of the people who write to it. */
  readonly nameOf?: (address: string) => string;
}

export class DemoBot {
  readonly #client: ApiClient;
  readonly #init: BotInit;
  readonly #abort = new AbortController();
  /** Answers sent so far (for the tests and the demo's exit line). */
  answered = 0;

  constructor(components: { readonly client: ApiClient }, init: BotInit) {
    this.#client = components.client;
    this.#init = init;
  }

  async start(): Promise<void> {
    this.#client.addEventListener('message/didReceive', (e) => {
      const { message, groupId, address } = e.detail;
      if (message.kind !== 'message' || message.author === null || message.author === this.#init.address) return;
      const target = groupId !== undefined ? { groupId } : address !== undefined ? { address } : null;
      if (target === null || this.#abort.signal.aborted) return;
      const answer = botAnswer(message.text, this.#init.nameOf?.(message.author) ?? 'there', groupId !== undefined ? 'group' : 'direct');
      this.#client.call('message/send', { ...target, text: answer }).then(
        () => (this.answered += 1),
        () => undefined, // the daemon going away as the demo stops
      );
    });
    await this.#client.call('event/subscribe', {});
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#client.close();
  }
}
