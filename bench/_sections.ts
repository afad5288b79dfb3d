/**
 * The sections of bench/RESULTS.md rendered from the JSON files of the
 * benches `bench:report` does not run itself (bun_floor_results.json,
 * cluster_results.json, cache_results.json, memory_results.json), after the
 * report's own sections.
 */
import { renderCacheSection } from "./_cache_render.ts";
import { renderClusterSection } from "./_cluster_render.ts";
import { renderFloorSection } from "./_floor_render.ts";
import { renderMemorySection } from "./_memory_render.ts";

/** The headings those sections start with, in their order. */
export const JSON_SECTION_HEADINGS = [
  "## Bun: the JavaScript floor",
  "## Redis Cluster",
  "## Client-side cache",
  "## Memory",
];

/**
 * The sections, each empty when its bench never ran.
 *
 * @param benchDir The bench directory, with a trailing slash.
 * @returns Markdown.
 */
export async function renderJsonSections(benchDir: string): Promise<string> {
  return renderFloorSection(`${benchDir}bun_floor_results.json`) +
    await renderClusterSection(`${benchDir}cluster_results.json`) +
    renderCacheSection(`${benchDir}cache_results.json`) +
    renderMemorySection(`${benchDir}memory_results.json`);
}

/**
 * `markdown` (a RESULTS.md) with its JSON sections replaced by `sections`:
 * everything from the first of their headings on is dropped.
 *
 * @param markdown The file as it is.
 * @param sections What {@linkcode renderJsonSections} returns.
 * @returns The new file.
 */
export function replaceJsonSections(
  markdown: string,
  sections: string,
): string {
  let cut = markdown.length;
  for (const heading of JSON_SECTION_HEADINGS) {
    const at = markdown.indexOf(`\n${heading}\n`);
    if (at !== -1 && at < cut) cut = at;
  }
  return markdown.slice(0, cut) + sections;
}
