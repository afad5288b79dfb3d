/**
 * The part of OpenTelemetry's tracing API that respool calls, declared here
 * so that respool imports nothing: a `Tracer` from `@opentelemetry/api`
 * (`trace.getTracer("...")`) fits these types as it is.
 *
 * @module
 */

/** The value of a span attribute. */
export type SpanAttributeValue = string | number | boolean;

/** Span attributes by name; `undefined` values are left out. */
export type SpanAttributes = Record<string, SpanAttributeValue | undefined>;

/** What a span is given when it starts. */
export interface SpanOptions {
  /**
   * OpenTelemetry's `SpanKind`: respool uses 2 (`CLIENT`) for commands and
   * connecting, 0 (`INTERNAL`) for waiting in `acquire`.
   */
  kind?: number;
  /** Attributes known at the start (sampling decisions may read them). */
  attributes?: SpanAttributes;
}

/** A span's status. */
export interface SpanStatus {
  /** OpenTelemetry's `SpanStatusCode`: respool sets only 2 (`ERROR`). */
  code: number;
  /** What went wrong. */
  message?: string;
}

/** An exception as a span records it. */
export interface SpanException {
  /** The error's class, such as `ReplyError` or `TimeoutError`. */
  name?: string;
  /** The error's message. */
  message: string;
  /** Its stack, when it has one. */
  stack?: string;
}

/** The methods respool calls on a span it started. */
export interface Span {
  /**
   * Sets attributes (respool sets the server's address once it is known,
   * and what an error was).
   *
   * @param attributes The attributes.
   */
  setAttributes(attributes: SpanAttributes): unknown;
  /**
   * Sets the status; respool sets it only when the operation failed.
   *
   * @param status The status.
   */
  setStatus(status: SpanStatus): unknown;
  /**
   * Records an exception as an event of the span.
   *
   * @param exception The error.
   */
  recordException(exception: SpanException): unknown;
  /** Ends the span. */
  end(): unknown;
}

/**
 * What `createClient(url, { tracer })` and `createCluster(seeds, { tracer })`
 * take: an OpenTelemetry `Tracer`. Spans start in the active context, as
 * `startSpan` without a context does in `@opentelemetry/api`.
 */
export interface Tracer {
  /**
   * Starts a span.
   *
   * @param name The span's name.
   * @param options Its kind and first attributes.
   * @returns The span.
   */
  startSpan(name: string, options?: SpanOptions): Span;
}
