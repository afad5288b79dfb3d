/**
 * `deno task bench:report:sections`: renders the sections of
 * bench/RESULTS.md that come from other benches' JSON files (Bun's
 * JavaScript floor from bun_floor_results.json, Redis Cluster from
 * cluster_results.json, client-side cache from cache_results.json, memory
 * from memory_results.json) into the file as the last
 * `bench:report` wrote it, without rerunning any bench. `bench:report`
 * renders the same sections when it rewrites the file.
 *
 * @module
 */
import { renderJsonSections, replaceJsonSections } from "./_sections.ts";

const benchDir = `${import.meta.dirname}/`;
const file = `${benchDir}RESULTS.md`;
const before = await Deno.readTextFile(file);
const after = replaceJsonSections(before, await renderJsonSections(benchDir));
if (after === before) {
  console.log("bench/RESULTS.md is up to date");
} else {
  await Deno.writeTextFile(file, after);
  console.log("rewrote the JSON sections of bench/RESULTS.md");
}
