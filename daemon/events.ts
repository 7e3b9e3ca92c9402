/**
 * Typed events on an EventTarget (STYLE.md, js-libp2p's TypedEventEmitter): `Events` maps each
 * event type to its detail, so listeners get a typed `CustomEvent` and call sites need no casts.
 */

type AddOptions = Parameters<EventTarget['addEventListener']>[2];
type RemoveOptions = Parameters<EventTarget['removeEventListener']>[2];
type AnyListener = Parameters<EventTarget['addEventListener']>[1];

export type EventListenerFor<Detail> = ((event: CustomEvent<Detail>) => void) | { handleEvent(event: CustomEvent<Detail>): void };

// Events maps an event name to the type of its detail (undefined for none).
export class TypedEventTarget<Events extends { [K in keyof Events]: unknown }> extends EventTarget {
  override addEventListener<K extends keyof Events & string>(
    type: K,
    listener: EventListenerFor<Events[K]> | null,
    options?: AddOptions,
  ): void {
    super.addEventListener(type, listener as AnyListener, options);
  }

  override removeEventListener<K extends keyof Events & string>(
    type: K,
    listener: EventListenerFor<Events[K]> | null,
    options?: RemoveOptions,
  ): void {
    super.removeEventListener(type, listener as AnyListener, options);
  }

  /** Dispatches `type` with `detail`; a listener that throws does not stop the others. */
  emit<K extends keyof Events & string>(type: K, ...detail: undefined extends Events[K] ? [Events[K]?] : [Events[K]]): void {
    this.dispatchEvent(new CustomEvent(type, { detail: detail[0] }));
  }

  /** Resolves with the detail of the next `type` event. */
  once<K extends keyof Events & string>(type: K, options: { signal?: AbortSignal } = {}): Promise<Events[K]> {
    return new Promise((resolve, reject) => {
      if (options.signal?.aborted) return reject(options.signal.reason);
      const onAbort = () => {
        this.removeEventListener(type, onEvent);
        reject(options.signal?.reason);
      };
      const onEvent = (event: CustomEvent<Events[K]>) => {
        options.signal?.removeEventListener('abort', onAbort);
        resolve(event.detail);
      };
      this.addEventListener(type, onEvent, { once: true });
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
