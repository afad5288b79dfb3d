/**
 * Typed events on an `EventTarget`, for the client and subscriptions: a
 * listener gets a `CustomEvent` whose `detail` is typed by the event map,
 * and the emitter can tell whether anyone listened (the client warns on the
 * console about a leak only when nobody listens for `leak`).
 *
 * @module
 */

/** A listener for one event of an event map. */
export type EventListenerOf<M, K extends keyof M> = (
  event: CustomEvent<M[K]>,
) => void;

/** The events of one object, typed by the map `M`. */
export class Events<M> {
  // Made by the first listener: most clients never get one.
  #target: EventTarget | undefined;
  #listening: Map<keyof M, Set<unknown>> | undefined;

  /** Adds a listener (as `EventTarget.addEventListener`). */
  add<K extends keyof M & string>(
    type: K,
    listener: EventListenerOf<M, K>,
    options?: AddEventListenerOptions,
  ): void {
    const listening = this.#listening ??= new Map();
    let set = listening.get(type);
    if (set === undefined) listening.set(type, set = new Set());
    set.add(listener);
    this.#target ??= new EventTarget();
    this.#target.addEventListener(type, listener as EventListener, options);
  }

  /** Removes a listener. */
  remove<K extends keyof M & string>(
    type: K,
    listener: EventListenerOf<M, K>,
  ): void {
    this.#listening?.get(type)?.delete(listener);
    this.#target?.removeEventListener(type, listener as EventListener);
  }

  /**
   * Dispatches an event when anyone listens for it.
   *
   * @returns Whether anyone listened.
   */
  emit<K extends keyof M & string>(type: K, detail: M[K]): boolean {
    const listened = (this.#listening?.get(type)?.size ?? 0) > 0;
    if (listened) {
      this.#target!.dispatchEvent(new CustomEvent(type, { detail }));
    }
    return listened;
  }
}
