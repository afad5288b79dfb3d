import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

function read(name: string): Record<string, unknown> {
  return JSON.parse(
    readFileSync(name, "utf8"),
  );
}

test("deno.json and jsr.json agree on name, version, exports and what is published", () => {
  const deno = read("deno.json");
  const jsr = read("jsr.json");
  assert.equal(deno.name, "@respool/redis");
  assert.equal(jsr.name, deno.name);
  assert.match(String(deno.version), /^\d+\.\d+\.\d+$/);
  assert.equal(jsr.version, deno.version);
  assert.deepEqual(jsr.exports, deno.exports);
  assert.deepEqual(jsr.publish, deno.publish);
  assert.equal(jsr.license, "MIT");
});

test("package.json holds development dependencies only", () => {
  const pkg = read("package.json");
  assert.equal(pkg.private, true);
  assert.equal(pkg.dependencies, undefined);
});
