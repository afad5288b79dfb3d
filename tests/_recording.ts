/**
 * A transport that records what each connection writes first, around
 * another transport: for the tests that a new connection's first command
 * leaves in the same write as its HELLO (on Deno, Bun, Node and workerd).
 * No `node:*` import: the test Worker bundles it.
 */
import type { Transport } from "../src/transport/types.ts";

/**
 * Wraps `inner` so that each connection's first write is kept, decoded.
 *
 * @param inner The transport that opens the sockets.
 * @returns The wrapper, and the first writes in the order they were made.
 */
export function recordFirstWrites(
  inner: Transport,
): { transport: Transport; firstWrites: string[] } {
  const firstWrites: string[] = [];
  const decoder = new TextDecoder();
  const transport: Transport = {
    name: "recording",
    async connect(options, handlers) {
      const socket = await inner.connect(options, handlers);
      let first = true;
      return {
        write(bytes) {
          if (first) firstWrites.push(decoder.decode(bytes));
          first = false;
          socket.write(bytes);
        },
        destroy: () => socket.destroy(),
      };
    },
  };
  return { transport, firstWrites };
}
