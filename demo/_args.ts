/**
 * The demo's command-line flags.
 *
 * @module
 */

import { parseArgs } from "node:util";

/** The demo's settings, from its flags. */
export interface DemoArgs {
  /** Requests per variant. */
  requests: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** Cap on each load run, in seconds. */
  duration: number;
  /** `pool.max` of the pooled variant. */
  poolMax: number;
  /** Users the requests are spread over. */
  users: number;
  /** Where the SVG chart goes. */
  out: string;
  /** Run the pool-sizing matrix instead of the acts. */
  sizing: boolean;
  /** Run act 1 against a throwaway 3-primary Redis Cluster instead. */
  cluster: boolean;
  /** Print the usage and stop. */
  help: boolean;
}

/** The usage text. */
export const USAGE = `Usage: deno task demo [flags]
       bun demo/main.ts [flags]
       node --expose-gc demo/main.ts [flags]   (Node 24)

Starts a throwaway redis-server (unless REDIS_URL is set), load-tests the
article's web service with a client per request (naive) and with one pool
(pooled), then shows a leaked lease being detected and reclaimed.

  --requests N      requests per variant               (default 20000)
  --concurrency C   requests in flight at once         (default 50)
  --duration S      cap on each load run, in seconds   (default 8)
  --pool-max M      pool.max of the pooled variant     (default 10)
  --users U         users the requests are spread over (default 1000)
  --out FILE        where the SVG chart goes           (default demo-results.svg)
  --sizing          measure req/s and p99 for pool.max 1/2/4/10 at several
                    concurrencies, multiplexed and leased, instead
  --cluster         start a throwaway Redis Cluster (3 primaries, no
                    replicas; REDIS_URL is not used) and run the naive vs
                    pooled comparison on it with createCluster, then show
                    each node's stats, topology queries and redirections
                    (no chart, no leak act)
  --help            this text`;

/**
 * Parses the demo's flags.
 *
 * @param argv The arguments after the script name.
 * @returns The settings.
 * @throws {TypeError} On an unknown flag, a value that is not a positive
 * number (an integer for counts), or `--sizing` with `--cluster`.
 */
export function parseDemoArgs(argv: string[]): DemoArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      requests: { type: "string", default: "20000" },
      concurrency: { type: "string", default: "50" },
      duration: { type: "string", default: "8" },
      "pool-max": { type: "string", default: "10" },
      users: { type: "string", default: "1000" },
      out: { type: "string", default: "demo-results.svg" },
      sizing: { type: "boolean", default: false },
      cluster: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.sizing && values.cluster) {
    throw new TypeError(
      "Cannot run the demo with both --sizing and --cluster: the sizing matrix runs on a single server",
    );
  }
  return {
    requests: positive("requests", values.requests, true),
    concurrency: positive("concurrency", values.concurrency, true),
    duration: positive("duration", values.duration, false),
    poolMax: positive("pool-max", values["pool-max"], true),
    users: positive("users", values.users, true),
    out: values.out,
    sizing: values.sizing,
    cluster: values.cluster,
    help: values.help,
  };
}

function positive(name: string, text: string, integer: boolean): number {
  const value = Number(text);
  if (!(value > 0) || !Number.isFinite(value) || integer && value % 1 !== 0) {
    throw new TypeError(
      `Cannot run the demo as --${name} must be a positive ${
        integer ? "integer" : "number"
      }, got "${text}"`,
    );
  }
  return value;
}
