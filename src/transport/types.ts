/**
 * The one interface every runtime's socket code implements. The core talks
 * only to these types and never to a runtime global.
 *
 * @module
 */

/** TLS settings for `rediss://` connections. */
export interface TlsOptions {
  /**
   * PEM certificates of the authorities to trust instead of the system's.
   */
  ca?: string | string[];
  /**
   * The name the server's certificate must carry.
   *
   * @default {the host name}
   */
  servername?: string;
  /**
   * Whether to reject a certificate that does not verify. Turn off only for
   * tests.
   *
   * @default {true}
   */
  rejectUnauthorized?: boolean;
}

/** Where and how a transport connects. */
export interface TransportConnectOptions {
  /** The host name or address, for TCP. */
  readonly host: string;
  /** The TCP port. */
  readonly port: number;
  /** The path of a unix socket; when set, `host` and `port` are ignored. */
  readonly path?: string;
  /** TLS settings; when set, the connection is encrypted. */
  readonly tls?: TlsOptions;
  /** Aborted when the connect attempt has taken too long. */
  readonly signal?: AbortSignal;
}

/** Callbacks a transport invokes as the socket receives data or ends. */
export interface TransportHandlers {
  /**
   * Called with each chunk received. The chunk may be reused by the transport
   * once the call returns.
   */
  data(chunk: Uint8Array): void;
  /**
   * Called once when the socket has closed, for whatever reason; `error` is
   * set when it closed because of a failure.
   */
  close(error?: Error): void;
}

/** An open socket. */
export interface TransportSocket {
  /**
   * Queues bytes to send. Never throws: a write failure closes the socket and
   * is reported through {@linkcode TransportHandlers.close}. The transport
   * takes ownership of `bytes`.
   */
  write(bytes: Uint8Array): void;
  /**
   * Sends the first `length` bytes of `bytes` and keeps no reference to
   * them once it returns (it copies what the kernel did not take), so the
   * caller may reuse the buffer without a copy or a view per write.
   * Offered by transports that can do it cheaply; otherwise `write`.
   */
  readonly writeCopy?: (bytes: Uint8Array, length: number) => void;
  /**
   * Closes the socket (with a FIN where the runtime allows), dropping what
   * is still queued. The connection calls it once every reply is in.
   */
  destroy(): void;
  /**
   * Decodes UTF-8 bytes `start` to `end` of `bytes` faster than
   * `TextDecoder` can (which needs a view per call), if the runtime has a
   * way; invalid sequences become U+FFFD and a leading BOM is kept.
   */
  readonly decodeUtf8?: (
    bytes: Uint8Array,
    start: number,
    end: number,
  ) => string;
  /**
   * Encodes `text` as UTF-8 into `bytes` from `offset`, at most `max` bytes,
   * faster than `TextEncoder.encodeInto` can (which needs a view per call),
   * if the runtime has a way; returns the number of bytes written. Lone
   * surrogates become U+FFFD, as with `TextEncoder`.
   */
  readonly encodeUtf8Into?: (
    text: string,
    bytes: Uint8Array,
    offset: number,
    max: number,
  ) => number;
}

/**
 * Opens sockets for one runtime. `connect` resolves once the socket can be
 * written (after the TLS handshake for TLS), and rejects if it cannot be
 * opened or `signal` aborts first.
 *
 * @example A transport that only refuses
 * ```ts
 * import type { Transport } from "@respool/redis";
 *
 * const refusing: Transport = {
 *   name: "refusing",
 *   connect: () => Promise.reject(new Error("no network here")),
 * };
 * ```
 */
export interface Transport {
  /** A short name for messages, such as `deno` or `bun`. */
  readonly name: string;
  /** Opens a socket. */
  connect(
    options: TransportConnectOptions,
    handlers: TransportHandlers,
  ): Promise<TransportSocket>;
}
