/**
 * Posting connections: one per (group, pub), never shared with another group or with the
 * subscription, each on an isolation key of its own (so on a circuit of its own), and replaced
 * by a fresh one (new key, new circuit) after ROTATE_MS plus a uniform jitter in
 * [0, ROTATE_JITTER_MS). A connection past its time takes no new posts: it closes at once when
 * idle, or when its last post in flight is answered. The next post dials a fresh one.
 *
 * Posts to one (group, pub) share its connection and are pipelined by the pub client.
 */
import { randomBytes } from 'node:crypto';
import type { PubClient } from '../pub-links/client.js';
import { untilAborted } from './backoff.js';
import type { Connector, PubConnection } from './connector.js';
import { GroupPubsError, GroupPubsErrorCode } from './errors.js';

export interface PostingConfig {
  readonly rotateMs: number;
  readonly rotateJitterMs: number;
  readonly random: () => number;
}

/** One posting connection of one (group, pub). */
class PostLink {
  readonly isolationKey = randomBytes(16).toString('hex');
  readonly connecting: Promise<PubConnection>;
  readonly #timer: NodeJS.Timeout;
  #conn: PubConnection | null = null;
  #inflight = 0;
  #retired = false;

  constructor(connect: (isolationKey: string) => Promise<PubConnection>, lifetimeMs: number, onRetire: (link: PostLink) => void) {
    this.connecting = connect(this.isolationKey).then((conn) => {
      this.#conn = conn;
      conn.client.addEventListener('close', () => onRetire(this), { once: true });
      if (this.#retired && this.#inflight === 0) void conn.close();
      return conn;
    });
    this.connecting.catch(() => onRetire(this));
    this.#timer = setTimeout(() => onRetire(this), lifetimeMs);
    this.#timer.unref();
  }

  get retired(): boolean {
    return this.#retired;
  }

  /** Takes no new posts; closes once nothing is in flight. */
  retire(): void {
    if (this.#retired) return;
    this.#retired = true;
    clearTimeout(this.#timer);
    if (this.#inflight === 0) void this.#conn?.close();
  }

  async use<T>(op: (client: PubClient) => Promise<T>, signal: AbortSignal): Promise<T> {
    this.#inflight += 1;
    try {
      const conn = await untilAborted(this.connecting, signal, () => new GroupPubsError(GroupPubsErrorCode.ABORTED, 'aborted'));
      return await op(conn.client);
    } finally {
      this.#inflight -= 1;
      if (this.#retired && this.#inflight === 0) void this.#conn?.close();
    }
  }

  /** Cuts it now (the connection's failure is what the post saw). */
  drop(): void {
    this.retire();
    void this.#conn?.close();
  }
}

export class PostingLinks {
  readonly #connector: Connector;
  readonly #config: PostingConfig;
  readonly #stop: AbortSignal;
  /** groupKey → pub → its current link. */
  readonly #links = new Map<string, Map<string, PostLink>>();

  constructor(connector: Connector, config: PostingConfig, stop: AbortSignal) {
    this.#connector = connector;
    this.#config = config;
    this.#stop = stop;
  }

  #retire(groupKey: string, pub: string, link: PostLink): void {
    link.retire();
    const pubs = this.#links.get(groupKey);
    if (pubs?.get(pub) === link) {
      pubs.delete(pub);
      if (pubs.size === 0) this.#links.delete(groupKey);
    }
  }

  /** The current link of (group, pub), dialled if there is none (or it is past its time). */
  link(groupKey: string, pub: string): PostLink {
    let pubs = this.#links.get(groupKey);
    const current = pubs?.get(pub);
    if (current && !current.retired) return current;
    const c = this.#config;
    const lifetime = c.rotateMs + Math.floor(c.random() * c.rotateJitterMs);
    const link: PostLink = new PostLink(
      (key) => this.#connector.connect(pub, key, this.#stop),
      lifetime,
      (l) => this.#retire(groupKey, pub, l),
    );
    if (!pubs) {
      pubs = new Map();
      this.#links.set(groupKey, pubs);
    }
    pubs.set(pub, link);
    return link;
  }

  /** Closes every posting connection (stop()). */
  closeAll(): void {
    for (const [groupKey, pubs] of [...this.#links]) for (const [pub, link] of [...pubs]) {
      link.drop();
      this.#retire(groupKey, pub, link);
    }
  }
}

export type { PostLink };
