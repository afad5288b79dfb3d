/**
 * Hash slots and the fast key lookup the cluster routes by, checked against
 * the registry's general key-spec walk (no server needed).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { allCommandSpecs, keyPositions } from "../src/commands/registry.ts";
import { commandSlots, keySlot, soleKeyIndex } from "../src/router/slot.ts";
import { slotOf } from "./_cluster.ts";

test("keySlot matches the reference CRC16 for strings, tags and bytes", () => {
  const keys = [
    "",
    "a",
    "foo",
    "{user:1}:cart",
    "{}x",
    "x{}",
    "a{b}c{d}",
    "{{a}}",
    "ключ",
    "💡{tag}",
  ];
  for (const key of keys) {
    assert.equal(keySlot(key), slotOf(key), key);
    assert.equal(keySlot(new TextEncoder().encode(key)), slotOf(key), key);
  }
  assert.equal(keySlot(12345), slotOf("12345"));
});

test("soleKeyIndex agrees with the key-spec walk for every command", () => {
  let fast = 0;
  for (const spec of allCommandSpecs()) {
    const words = spec.name.split(" ");
    const length = Math.max(Math.abs(spec.arity), words.length + 1, 3);
    const args = [
      ...words,
      ...Array.from({ length: length - words.length }, (_, i) => `k${i}`),
    ];
    if (soleKeyIndex(spec, args) !== 1) continue;
    fast++;
    assert.deepEqual(keyPositions(spec, args), [1], spec.name);
    const slots = commandSlots(spec, args);
    assert.deepEqual(slots, { kind: "one", slot: keySlot(args[1]) }, spec.name);
  }
  assert.ok(fast > 100, `only ${fast} commands take the fast path`);
});
