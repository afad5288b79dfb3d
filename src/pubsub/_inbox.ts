/**
 * A subscription's inbox: pub/sub messages read off their RESP form, handed
 * to waiting iterators or kept, up to a bound, until one asks.
 *
 * @module
 */

import { Queue } from "../_queue.ts";
import type { RespValue } from "../resp/decode.ts";
import type { SubscriptionMessage } from "./types.ts";

const textDecoder = new TextDecoder();
const textEncoder = new TextEncoder();

/** A bulk string or simple string as text. */
export function text(value: RespValue): string {
  return value instanceof Uint8Array
    ? textDecoder.decode(value)
    : String(value);
}

/** Messages between the connection and the iterators. */
export class Inbox<M extends string | Uint8Array> {
  readonly #bytes: boolean;
  readonly #maxBuffered: number;
  readonly #buffer = new Queue<SubscriptionMessage<M>>();
  readonly #readers = new Queue<
    (result: IteratorResult<SubscriptionMessage<M>>) => void
  >();
  #dropped = 0;
  #ended = false;

  /**
   * @param bytes Deliver payloads as `Uint8Array`.
   * @param maxBuffered The most messages kept while nobody iterates.
   */
  constructor(bytes: boolean, maxBuffered: number) {
    this.#bytes = bytes;
    this.#maxBuffered = maxBuffered;
  }

  /** Messages dropped because the buffer was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Takes a pub/sub push (message, pmessage, smessage); ignores others. */
  push(message: RespValue[]): void {
    const kind = text(message[0]);
    if (kind === "message" || kind === "smessage") {
      this.#deliver({
        channel: text(message[1]),
        message: this.#payload(message[2]),
        ...(kind === "smessage" ? { shard: true } : {}),
      });
    } else if (kind === "pmessage") {
      this.#deliver({
        pattern: text(message[1]),
        channel: text(message[2]),
        message: this.#payload(message[3]),
      });
    }
  }

  #payload(value: RespValue): M {
    if (this.#bytes) {
      return (value instanceof Uint8Array
        ? value
        : textEncoder.encode(String(value))) as M;
    }
    return text(value) as M;
  }

  #deliver(message: SubscriptionMessage<M>): void {
    const reader = this.#readers.shift();
    if (reader) {
      reader({ value: message, done: false });
      return;
    }
    if (this.#buffer.size >= this.#maxBuffered) {
      this.#buffer.shift();
      this.#dropped++;
    }
    this.#buffer.push(message);
  }

  /** No more messages: waiting iterators finish, after what is buffered. */
  end(): void {
    this.#ended = true;
    for (const reader of this.#readers.drain()) {
      reader({ value: undefined, done: true });
    }
  }

  /** An iterator over the messages, buffered first. */
  iterator(): AsyncIterator<SubscriptionMessage<M>> {
    return {
      next: () => {
        const value = this.#buffer.shift();
        if (value !== undefined) return Promise.resolve({ value, done: false });
        if (this.#ended) {
          return Promise.resolve({ value: undefined, done: true });
        }
        return new Promise((resolve) => this.#readers.push(resolve));
      },
      return: () => Promise.resolve({ value: undefined, done: true }),
    };
  }
}
