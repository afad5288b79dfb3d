/**
 * How long, in milliseconds, a TCP connection may sit idle before the first
 * keep-alive probe. Load balancers and NAT gateways drop flows idle for a
 * few minutes (AWS NLB after 350 s, Azure after 4 minutes) without telling
 * either end, so a quiet subscriber would wait forever on a dead socket; a
 * probe every 30 s keeps the flow alive, and finds a vanished peer, at the
 * cost of one empty segment per idle half minute. The Node and Bun
 * transports set it; Deno's `setKeepAlive()` takes no delay.
 *
 * @module
 */

/** The idle time before the first keep-alive probe, in milliseconds. */
export const KEEPALIVE_INITIAL_DELAY_MS = 30_000;
