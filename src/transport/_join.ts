/**
 * Shared by the transports whose writes are asynchronous (Deno, Cloudflare):
 * what queued up while one write was in flight leaves as one buffer.
 *
 * @module
 */

/**
 * Empties `queue` into one buffer.
 *
 * @param queue Buffers waiting to be written, oldest first; emptied.
 * @returns The bytes, or undefined when nothing was queued.
 */
export function takeQueued(queue: Uint8Array[]): Uint8Array | undefined {
  if (queue.length === 0) return undefined;
  if (queue.length === 1) return queue.pop();
  let size = 0;
  for (const part of queue) size += part.length;
  const joined = new Uint8Array(size);
  let offset = 0;
  for (const part of queue) {
    joined.set(part, offset);
    offset += part.length;
  }
  queue.length = 0;
  return joined;
}
