/**
 * One client connection of the API server: newline-delimited JSON-RPC in, answers and (once
 * subscribed) notifications out, with the limits of issue 10:
 * - a line longer than maxLineBytes is answered ERR_LINE_TOO_LONG and the connection closed;
 * - at most maxInFlight requests run at once: a line whose requests would pass the cap waits,
 *   and the connection is not read meanwhile (a batch bigger than the cap runs alone);
 * - while maxOutputBytes of answers are unread, no more requests are read (backpressure);
 * - a subscriber whose unread notifications pass maxBacklogBytes is destroyed; the daemon never
 *   waits for it.
 *
 * Subscriptions: the journal's live feed is joined first and buffered, the replay is read, then
 * everything is sent in seq order with anything at or below the cursor dropped, so the switch
 * from replay to live has neither gap nor duplicate. Nothing is sent before the answer to
 * event/subscribe.
 */
import type { Socket } from 'node:net';
import { NOTIFICATIONS, isNotificationName, type Notification } from '../../protocol/api/notifications.js';
import { ApiError } from '../../protocol/api/errors.js';
import { errorResponse, parseLine, type Element, type ParsedLine, type ResponseMessage } from './envelope.js';
import type { NotificationJournal } from './journal.js';
import { LineSplitter } from './lines.js';
import type { ApiLog, CallState, HandlerContext, Router } from './router.js';

export interface ConnectionLimits {
  readonly maxLineBytes: number;
  readonly maxInFlight: number;
  readonly maxBatch: number;
  readonly maxBacklogBytes: number;
  readonly maxOutputBytes: number;
}

export interface ConnectionDeps {
  readonly router: Router;
  readonly limits: ConnectionLimits;
  readonly log: ApiLog;
  readonly stopping: () => boolean;
  readonly onClose: (connection: ApiConnection) => void;
}

/**
 * The wire form of a notification, made once however many subscribers it goes to; null (never
 * sent, logged once) when its params do not match its descriptor: a publisher's bug must not
 * reach clients, which validate what they get.
 */
const lineCache = new WeakMap<Notification, string | null>();
function notificationLine(n: Notification, log: ApiLog): string | null {
  let line = lineCache.get(n);
  if (line === undefined) {
    const descriptor = isNotificationName(n.method) ? NOTIFICATIONS[n.method] : undefined;
    const checked = descriptor?.params.safeParse(n.params);
    if (checked === undefined || !checked.success) {
      log('api-bad-notification', { method: isNotificationName(n.method) ? n.method : 'unknown' });
      line = null;
    } else line = JSON.stringify({ jsonrpc: '2.0', method: n.method, params: checked.data }) + '\n';
    lineCache.set(n, line);
  }
  return line;
}

/** A FIFO with O(1) shift (an array's shift moves every element: a read can hold 30,000 lines). */
class LineQueue {
  #items: (Buffer | ParsedLine)[] = [];
  #head = 0;
  get length(): number {
    return this.#items.length - this.#head;
  }
  push(item: Buffer | ParsedLine): void {
    this.#items.push(item);
  }
  peek(): Buffer | ParsedLine | undefined {
    return this.#items[this.#head];
  }
  replaceHead(item: ParsedLine): void {
    this.#items[this.#head] = item;
  }
  shift(): void {
    this.#head += 1;
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }
  clear(): void {
    this.#items = [];
    this.#head = 0;
  }
  /** Copies the waiting lines that are views of `chunk` (so they do not pin all of it). */
  unpin(chunk: Buffer): void {
    for (let i = this.#head; i < this.#items.length; i++) {
      const q = this.#items[i]!;
      if (Buffer.isBuffer(q) && q.buffer === chunk.buffer) this.#items[i] = Buffer.from(q);
    }
  }
}

type SubscriptionState = 'pending' | 'replaying' | 'live';

interface Subscription {
  state: SubscriptionState;
  /** Replay still to send (from the journal), in seq order. */
  replay: readonly Notification[];
  replayIndex: number;
  /** Live notifications that arrived before the replay was sent. */
  buffered: Notification[];
  bufferedBytes: number;
  /** The highest seq sent or skipped; anything at or below it is a duplicate. */
  cursor: number;
  unlisten: () => void;
}

export class ApiConnection {
  readonly id: number;
  readonly #socket: Socket;
  readonly #deps: ConnectionDeps;
  readonly #controller = new AbortController();
  readonly #lines: LineSplitter;
  #inFlight = 0;
  /** Requests read but not yet answered (running or waiting for the rest of their batch). */
  #pending = 0;
  /**
   * Lines read but not started: their requests would pass the in-flight cap, or answers are
   * waiting to be read. Kept raw (parsed when they reach the head), so a read's worth of lines
   * costs its bytes, and a flood of bad lines is answered only as fast as the client reads.
   */
  #queue = new LineQueue();
  #closed = false;
  #ending = false;
  #pausedForOutput = false;
  #paused = false;
  #corked = false;
  #subscription: Subscription | null = null;
  readonly #idle = new Set<() => void>();
  #resolveClosed!: () => void;
  /** Resolves once the socket has closed. */
  readonly closed = new Promise<void>((resolve) => {
    this.#resolveClosed = resolve;
  });

  constructor(id: number, socket: Socket, deps: ConnectionDeps) {
    this.id = id;
    this.#socket = socket;
    this.#deps = deps;
    this.#lines = new LineSplitter(deps.limits.maxLineBytes);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('drain', () => this.#onDrain());
    socket.on('error', () => {
      // the close that follows does the cleanup
    });
    socket.on('close', () => this.#onClosed());
    socket.on('end', () => {
      // the client is done sending: answer what it sent, then close
      this.#ending = true;
      this.#endIfIdle();
    });
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get subscribed(): boolean {
    return this.#subscription !== null;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Resolves once no request of this connection is being answered. */
  whenIdle(): Promise<void> {
    if ((this.#pending === 0 && this.#queue.length === 0) || this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#idle.add(resolve));
  }

  /** Aborts the handlers' signals (the server is stopping). */
  abort(): void {
    this.#controller.abort(new ApiError('ERR_SHUTTING_DOWN'));
  }

  /** Sends what is queued, then closes. */
  end(): void {
    if (this.#closed) return;
    this.#unsubscribe();
    this.#socket.end();
  }

  destroy(): void {
    this.#socket.destroy();
  }

  /** Writes one error and closes (connection limit, line too long). */
  refuse(response: ResponseMessage): void {
    this.#closed = true;
    this.#socket.end(JSON.stringify(response) + '\n');
    // a client that does not read its refusal must not keep the socket
    setTimeout(() => this.#socket.destroy(), 1000).unref();
  }

  // ---- input ----

  #onData(chunk: Buffer): void {
    if (this.#closed) return;
    const { lines, tooLong } = this.#lines.push(chunk);
    if (tooLong) return this.#lineTooLong();
    // a line inside the chunk is a view of it; the queue copies only what must wait
    for (const line of lines) this.#queue.push(line);
    this.#startQueued();
    this.#queue.unpin(chunk);
  }

  /** Starts queued lines while the in-flight cap allows; pauses reading while some wait. */
  #startQueued(): void {
    const cap = this.#deps.limits.maxInFlight;
    while (this.#queue.length > 0 && !this.#closed && !this.#pausedForOutput) {
      const head = this.#queue.peek()!;
      const next = Buffer.isBuffer(head) ? parseLine(head, this.#deps.limits.maxBatch) : head;
      this.#queue.replaceHead(next);
      const weight = next.kind === 'single' ? 1 : next.kind === 'batch' ? next.elements.length : 0;
      if (weight > 0 && this.#inFlight > 0 && this.#inFlight + weight > cap) break;
      this.#queue.shift();
      this.#handleLine(next);
    }
    this.#updateReading();
  }

  #updateReading(): void {
    const pause = this.#pausedForOutput || this.#queue.length > 0;
    if (pause === this.#paused || this.#closed) return;
    this.#paused = pause;
    if (pause) this.#socket.pause();
    else this.#socket.resume();
  }

  #lineTooLong(): void {
    this.#queue.clear();
    this.#lines.reset();
    this.#deps.log('api-line-too-long', { connection: this.id });
    this.#closeAfter(errorResponse(null, 'ERR_LINE_TOO_LONG', undefined, { max: this.#deps.limits.maxLineBytes }));
  }

  #closeAfter(response: ResponseMessage): void {
    this.#unsubscribe();
    this.#controller.abort(new ApiError('ERR_LINE_TOO_LONG'));
    this.refuse(response);
  }

  #handleLine(parsed: ParsedLine): void {
    switch (parsed.kind) {
      case 'blank':
        return;
      case 'error':
        this.#write(parsed.response);
        return;
      case 'single': {
        this.#pending += 1;
        void this.#run(parsed.element).then(({ response, after }) => {
          this.#pending -= 1;
          if (response !== null) this.#write(response);
          for (const fn of after) this.#safely(fn);
          this.#afterLine();
        });
        return;
      }
      case 'batch': {
        this.#pending += 1;
        void Promise.all(parsed.elements.map((e) => this.#run(e))).then((results) => {
          this.#pending -= 1;
          const responses = results.map((r) => r.response).filter((r): r is ResponseMessage => r !== null);
          // JSON-RPC 2.0: a batch is answered with an array, or nothing if it held only notifications
          if (responses.length > 0) this.#write(responses);
          for (const r of results) for (const fn of r.after) this.#safely(fn);
          this.#afterLine();
        });
        return;
      }
    }
  }

  async #run(element: Element): Promise<{ response: ResponseMessage | null; after: (() => void)[] }> {
    const after: (() => void)[] = [];
    if (element.kind === 'invalid') return { response: element.response, after };
    const ctx: HandlerContext = {
      connectionId: this.id,
      signal: this.#controller.signal,
      afterResponse: (fn) => {
        after.push(fn);
      },
    };
    const state: CallState = { ctx, stopping: this.#deps.stopping };
    this.#inFlight += 1;
    try {
      return { response: await this.#deps.router.dispatch(element.request, state), after };
    } catch {
      // the router maps every error; this is a bug in it, answered as one
      const id = element.request.id;
      return { response: id === undefined ? null : errorResponse(id, 'ERR_INTERNAL'), after };
    } finally {
      this.#inFlight -= 1;
    }
  }

  #afterLine(): void {
    this.#startQueued();
    this.#checkIdle();
  }

  // ---- output ----

  #write(message: ResponseMessage | readonly ResponseMessage[]): void {
    if (this.#closed) return;
    let text: string;
    try {
      text = JSON.stringify(message);
    } catch {
      // a result JSON cannot hold (the schema let through something it should not): a bug, answered as one
      this.#deps.log('api-unserialisable-answer', { connection: this.id });
      const ids = (Array.isArray(message) ? message : [message]).map((m: ResponseMessage) => errorResponse(m.id, 'ERR_INTERNAL'));
      text = JSON.stringify(Array.isArray(message) ? ids : ids[0]);
    }
    const flowing = this.#socket.write(text + '\n');
    // paused only when 'drain' will come (write said so), or reading would never resume
    if (!flowing && !this.#pausedForOutput && this.#socket.writableLength > this.#deps.limits.maxOutputBytes) {
      this.#pausedForOutput = true;
      this.#updateReading();
    }
  }

  #onDrain(): void {
    if (this.#pausedForOutput && this.#socket.writableLength <= this.#deps.limits.maxOutputBytes) {
      this.#pausedForOutput = false;
      this.#startQueued();
      this.#checkIdle();
    }
    const sub = this.#subscription;
    if (sub !== null && sub.state === 'replaying') this.#pump(sub);
  }

  #checkIdle(): void {
    if (this.#pending !== 0 || this.#queue.length > 0) return;
    for (const resolve of this.#idle) resolve();
    this.#idle.clear();
    this.#endIfIdle();
  }

  #endIfIdle(): void {
    // a client that half-closed gets its answers, then the close (unless it is subscribed)
    if (this.#ending && this.#pending === 0 && this.#queue.length === 0 && this.#subscription === null && !this.#closed) this.#socket.end();
  }

  #safely(fn: () => void): void {
    try {
      fn();
    } catch {
      this.#deps.log('api-after-response-failed', { connection: this.id });
    }
  }

  // ---- subscription ----

  /**
   * Joins the journal's live feed, reads the replay after `since` (none when undefined), and
   * arranges for both to be sent once the answer is out (`ctx.afterResponse`).
   */
  async subscribe(journal: NotificationJournal, since: number | undefined, ctx: HandlerContext): Promise<{ missed: number; latest: number }> {
    if (this.#subscription !== null) throw new ApiError('ERR_ALREADY_SUBSCRIBED');
    const sub: Subscription = {
      state: 'pending',
      replay: [],
      replayIndex: 0,
      buffered: [],
      bufferedBytes: 0,
      cursor: since ?? Number.MAX_SAFE_INTEGER,
      unlisten: () => {},
    };
    this.#subscription = sub;
    sub.unlisten = journal.listen((n) => this.#onLive(sub, n));
    let replay;
    try {
      replay = await journal.since(since ?? Number.MAX_SAFE_INTEGER);
    } catch (err) {
      this.#unsubscribe();
      throw err;
    }
    if (this.#subscription !== sub) throw new ApiError('ERR_SHUTTING_DOWN');
    // without `since`, the subscription starts after the newest notification there is now
    if (since === undefined) sub.cursor = replay.latest;
    sub.replay = replay.notifications;
    ctx.afterResponse(() => this.#startSending(sub));
    return { missed: replay.missed, latest: replay.latest };
  }

  #onLive(sub: Subscription, n: Notification): void {
    if (this.#subscription !== sub || this.#closed) return;
    if (sub.state === 'live') {
      if (n.params.seq <= sub.cursor) return;
      sub.cursor = n.params.seq;
      this.#sendNotification(n);
      return;
    }
    const line = notificationLine(n, this.#deps.log);
    if (line === null) return;
    sub.buffered.push(n);
    sub.bufferedBytes += line.length;
    this.#checkBacklog(sub);
  }

  #startSending(sub: Subscription): void {
    if (this.#subscription !== sub || sub.state !== 'pending') return;
    sub.state = 'replaying';
    this.#pump(sub);
  }

  /** Sends replay then buffered notifications while the socket takes them (write() true); resumes on 'drain'. */
  #pump(sub: Subscription): void {
    while (sub.replayIndex < sub.replay.length) {
      if (this.#closed || this.#subscription !== sub) return;
      const n = sub.replay[sub.replayIndex++]!;
      if (n.params.seq <= sub.cursor) continue;
      sub.cursor = n.params.seq;
      const line = notificationLine(n, this.#deps.log);
      if (line !== null && !this.#writeNotificationLine(line)) return; // 'drain' calls again
    }
    sub.replay = [];
    const buffered = sub.buffered;
    sub.buffered = [];
    sub.bufferedBytes = 0;
    sub.state = 'live';
    for (const n of buffered) {
      if (n.params.seq <= sub.cursor) continue;
      sub.cursor = n.params.seq;
      this.#sendNotification(n);
      if (this.#closed) return;
    }
  }

  /**
   * Notifications come in bursts (one per journal append, many per event-loop turn): the socket
   * is corked until the end of the tick, so a burst goes out in one writev, not a write each.
   */
  #writeNotificationLine(line: string): boolean {
    if (!this.#corked) {
      this.#corked = true;
      this.#socket.cork();
      process.nextTick(() => {
        this.#corked = false;
        this.#socket.uncork();
      });
    }
    return this.#socket.write(line);
  }

  #sendNotification(n: Notification): void {
    const line = notificationLine(n, this.#deps.log);
    if (line === null) return;
    this.#writeNotificationLine(line);
    const sub = this.#subscription;
    if (sub !== null) this.#checkBacklog(sub);
  }

  #checkBacklog(sub: Subscription): void {
    if (this.#socket.writableLength + sub.bufferedBytes > this.#deps.limits.maxBacklogBytes) {
      this.#deps.log('api-subscriber-cut-off', { connection: this.id, backlog: this.#socket.writableLength + sub.bufferedBytes });
      this.#unsubscribe();
      this.#controller.abort(new ApiError('ERR_INTERNAL'));
      this.#socket.destroy();
    }
  }

  #unsubscribe(): void {
    const sub = this.#subscription;
    if (sub === null) return;
    this.#subscription = null;
    sub.unlisten();
    sub.replay = [];
    sub.buffered = [];
  }

  #onClosed(): void {
    this.#closed = true;
    this.#unsubscribe();
    this.#controller.abort(new ApiError('ERR_SHUTTING_DOWN'));
    for (const resolve of this.#idle) resolve();
    this.#idle.clear();
    this.#deps.onClose(this);
    this.#resolveClosed();
  }
}
