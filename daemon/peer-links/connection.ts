/**
 * One peer connection: a WebSocket, the Noise XX handshake over its first three binary
 * messages (protocol/peer/handshake.ts), then encrypted frames (protocol/peer/wire.ts), one per
 * message. Everything a peer sends is checked here: a text message, a message over the size
 * limit, bytes that do not decrypt or decode, or a handshake that fails end the connection
 * quietly (a debug line with the reason code; nothing is answered).
 */
import debugFactory from 'debug';
import type { WebSocket, RawData } from 'ws';
import type { Certificate } from '../../protocol/certificate.js';
import type { OnionAddress } from '../../protocol/identity.js';
import { TypedEventTarget } from '../events.js';
import { HANDSHAKE_TIMEOUT_MS, PEER_MAX_PAYLOAD } from './constants.js';
import { PeerLinkError, PeerLinkErrorCode } from './errors.js';
import { createVersionRefusal } from '../../protocol/peer/handshake.js';
import { type OwnPeer, type PeerFrame, type SecureSession, decryptFrame, encodeFrame, initiatorHandshake, responderHandshake } from './secure.js';

const log = debugFactory('snug:daemon:peer-links');

export interface ConnectionEvents {
  close: PeerLinkErrorCode | 'local';
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return new Uint8Array(Buffer.concat(data));
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

export class PeerConnection extends TypedEventTarget<ConnectionEvents> {
  readonly #ws: WebSocket;
  #session: SecureSession | null = null;
  #waiting: Array<{ resolve: (b: Uint8Array) => void; reject: (e: unknown) => void }> = [];
  #queued: Uint8Array[] = [];
  #closed: PeerLinkErrorCode | 'local' | null = null;
  /** Frames decoded before anyone asked for them. */
  readonly #frames: PeerFrame[] = [];
  #nextWaiter: ((frame: PeerFrame) => void) | null = null;
  #handler: ((frame: PeerFrame) => void) | null = null;
  /** Date.now() of the last message received, and of the last sent. */
  lastReceived = Date.now();
  lastSent = Date.now();
  /** The plaintext of the last frame received (tests compare replies byte for byte). */
  lastFrameBytes: Uint8Array | null = null;

  private constructor(ws: WebSocket) {
    super();
    this.#ws = ws;
    ws.on('error', () => {});
    ws.on('message', (data, isBinary) => {
      if (!isBinary) return this.fail(PeerLinkErrorCode.BAD_FRAME, 'a text message');
      const bytes = toBytes(data);
      if (bytes.length > PEER_MAX_PAYLOAD) return this.fail(PeerLinkErrorCode.BAD_FRAME, 'an oversize message');
      this.lastReceived = Date.now();
      this.#onMessage(bytes);
    });
    ws.once('close', () => this.#end(PeerLinkErrorCode.CLOSED));
  }

  /** The authenticated peer (its certificate checked against the address dialled or claimed). */
  get remoteAddress(): OnionAddress {
    return this.#session!.remoteAddress;
  }

  /** The peer's certificate (verified in the handshake). */
  get remoteCertificate(): Certificate {
    return this.#session!.result.remoteCertificate;
  }

  get handshakeHash(): Uint8Array {
    return this.#session!.handshakeHash;
  }

  get closed(): boolean {
    return this.#closed !== null;
  }

  /** Dials' side: the handshake as initiator toward `remote` over an open WebSocket. */
  static async initiate(ws: WebSocket, own: OwnPeer, remote: OnionAddress, timeoutMs = HANDSHAKE_TIMEOUT_MS): Promise<PeerConnection> {
    const c = new PeerConnection(ws);
    return c.#handshake(timeoutMs, async () => {
      const hs = initiatorHandshake(own, remote);
      c.#sendRaw(hs.writeMessage());
      hs.readMessage(await c.#nextRaw());
      c.#sendRaw(hs.writeMessage());
      return hs.result();
    });
  }

  /** The listener's side: the handshake as responder, the dialled address being ours. */
  static async respond(ws: WebSocket, own: OwnPeer, timeoutMs = HANDSHAKE_TIMEOUT_MS): Promise<PeerConnection> {
    const c = new PeerConnection(ws);
    return c.#handshake(timeoutMs, async () => {
      const hs = responderHandshake(own);
      try {
        hs.readMessage(await c.#nextRaw());
      } catch (err) {
        // a dialler of another version gets the clear refusal, then the connection ends
        if ((err as { code?: string }).code === 'ERR_UNSUPPORTED_VERSION') c.#sendRaw(createVersionRefusal());
        throw err;
      }
      c.#sendRaw(hs.writeMessage());
      hs.readMessage(await c.#nextRaw());
      return hs.result();
    });
  }

  async #handshake(timeoutMs: number, run: () => Promise<SecureSession>): Promise<PeerConnection> {
    const timer = setTimeout(() => this.fail(PeerLinkErrorCode.TIMEOUT, 'handshake timeout'), timeoutMs);
    try {
      const session = await run();
      this.#session = session;
      // frames that came in the same read as the last handshake message
      const early = this.#queued;
      this.#queued = [];
      for (const b of early) this.#onFrameBytes(b);
      return this;
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === 'ERR_UNSUPPORTED_VERSION') this.close(); // after the refusal went out
      else this.fail(PeerLinkErrorCode.HANDSHAKE, code ?? 'handshake failed');
      throw err instanceof PeerLinkError ? err : new PeerLinkError(PeerLinkErrorCode.HANDSHAKE, 'the handshake failed', { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  #onMessage(bytes: Uint8Array): void {
    if (this.#session === null) {
      const w = this.#waiting.shift();
      if (w) w.resolve(bytes);
      else if (this.#queued.length < 4) this.#queued.push(bytes);
      else this.fail(PeerLinkErrorCode.BAD_FRAME, 'messages before the handshake finished');
      return;
    }
    this.#onFrameBytes(bytes);
  }

  #onFrameBytes(bytes: Uint8Array): void {
    if (this.#closed !== null) return;
    let frame: PeerFrame;
    try {
      const d = decryptFrame(this.#session!, bytes);
      frame = d.frame;
      this.lastFrameBytes = d.plaintext;
    } catch (err) {
      return this.fail(PeerLinkErrorCode.BAD_FRAME, (err as { code?: string }).code ?? 'bad frame');
    }
    if (this.#handler !== null) this.#handler(frame);
    else if (this.#nextWaiter !== null) this.#nextWaiter(frame);
    else if (this.#frames.length < 16) this.#frames.push(frame);
    else this.fail(PeerLinkErrorCode.BAD_FRAME, 'frames nobody reads');
  }

  /** From now on every frame (first those buffered) goes to `handler`. */
  stream(handler: (frame: PeerFrame) => void): void {
    this.#handler = handler;
    for (const f of this.#frames.splice(0)) if (this.#closed === null) handler(f);
  }

  #nextRaw(): Promise<Uint8Array> {
    const q = this.#queued.shift();
    if (q) return Promise.resolve(q);
    if (this.#closed !== null) return Promise.reject(new PeerLinkError(PeerLinkErrorCode.CLOSED, 'closed'));
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  #sendRaw(bytes: Uint8Array): void {
    if (this.#closed !== null) return;
    this.lastSent = Date.now();
    this.#ws.send(bytes, { binary: true });
  }

  send(frame: PeerFrame): void {
    if (this.#session === null || this.#closed !== null) return;
    this.#sendRaw(encodeFrame(this.#session, frame));
  }

  /** The next frame (one buffered, or the next to come), or a rejection (closed, timeout). */
  next(timeoutMs: number): Promise<PeerFrame> {
    const buffered = this.#frames.shift();
    if (buffered !== undefined) return Promise.resolve(buffered);
    return new Promise((resolve, reject) => {
      if (this.#closed !== null) return reject(new PeerLinkError(PeerLinkErrorCode.CLOSED, 'closed'));
      const done = () => {
        clearTimeout(timer);
        this.#nextWaiter = null;
        this.removeEventListener('close', onClose);
      };
      const onFrame = (frame: PeerFrame) => {
        done();
        resolve(frame);
      };
      this.#nextWaiter = onFrame;
      const onClose = () => {
        done();
        reject(new PeerLinkError(PeerLinkErrorCode.CLOSED, 'closed'));
      };
      const timer = setTimeout(() => {
        done();
        this.fail(PeerLinkErrorCode.TIMEOUT, 'no answer');
        reject(new PeerLinkError(PeerLinkErrorCode.TIMEOUT, 'no answer in time'));
      }, timeoutMs);
      this.addEventListener('close', onClose);
    });
  }

  /** Drops the connection quietly (nothing is sent but the WebSocket's close). */
  fail(code: PeerLinkErrorCode, why: string): void {
    if (this.#closed !== null) return;
    log('dropping a peer connection: %s (%s)', code, why);
    this.#ws.terminate();
    this.#end(code);
  }

  /** Closes the connection after what was sent (a normal close). */
  close(): void {
    if (this.#closed !== null) return;
    this.#ws.close(1000);
    const t = setTimeout(() => this.#ws.terminate(), 2_000);
    t.unref();
    this.#end('local');
  }

  #end(code: PeerLinkErrorCode | 'local'): void {
    if (this.#closed !== null) return;
    this.#closed = code;
    const err = new PeerLinkError(PeerLinkErrorCode.CLOSED, 'closed');
    for (const w of this.#waiting.splice(0)) w.reject(err);
    this.emit('close', code);
  }
}
