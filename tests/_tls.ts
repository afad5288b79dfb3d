/**
 * Makes throwaway TLS material with the `openssl` CLI: a CA, a server
 * certificate for 127.0.0.1 and localhost signed by it, and a second CA that
 * signed nothing (to check that a wrong CA is refused). Uses only node:
 * modules so it runs unchanged under Deno, Bun and Node.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Paths and PEM text of the certificates {@linkcode makeCerts} made. */
export interface TestCerts {
  /** The temporary directory holding every file. */
  readonly dir: string;
  /** PEM of the CA that signed the server certificate. */
  readonly caPem: string;
  /** Path of the CA certificate. */
  readonly ca: string;
  /** Path of the server certificate (for 127.0.0.1 and localhost). */
  readonly cert: string;
  /** Path of the server's private key. */
  readonly key: string;
  /** PEM of an unrelated CA that signed nothing. */
  readonly otherCaPem: string;
  /** Removes the directory and every file in it. */
  cleanup(): void;
}

function openssl(dir: string, args: string[]): void {
  try {
    execFileSync("openssl", args, {
      cwd: dir,
      stdio: ["ignore", "pipe", "pipe"],
    });
  } catch (error) {
    const stderr = (error as { stderr?: Uint8Array }).stderr;
    const detail = stderr ? new TextDecoder().decode(stderr) : String(error);
    throw new Error(
      `Cannot make test certificates as openssl ${args[0]} failed: ${detail}`,
    );
  }
}

// EC keys: generating them is instant, unlike RSA.
const KEY = [
  "-newkey",
  "ec",
  "-pkeyopt",
  "ec_paramgen_curve:prime256v1",
  "-nodes",
];

function makeCa(dir: string, name: string): void {
  openssl(dir, [
    "req",
    "-x509",
    ...KEY,
    "-days",
    "2",
    "-subj",
    `/CN=respool test ${name}`,
    "-keyout",
    `${name}.key`,
    "-out",
    `${name}.crt`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
}

/**
 * Generates a CA, a server certificate it signed for 127.0.0.1 and
 * localhost, and an unrelated second CA, in a new temporary directory.
 *
 * @returns The files' paths and PEM text, and a way to remove them.
 */
export function makeCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), "respool-tls-"));
  try {
    makeCa(dir, "ca");
    makeCa(dir, "other-ca");
    openssl(dir, [
      "req",
      ...KEY,
      "-subj",
      "/CN=localhost",
      "-keyout",
      "server.key",
      "-out",
      "server.csr",
    ]);
    writeFileSync(
      join(dir, "server.ext"),
      [
        "subjectAltName=IP:127.0.0.1,DNS:localhost",
        "basicConstraints=critical,CA:FALSE",
        "keyUsage=critical,digitalSignature,keyEncipherment",
        "extendedKeyUsage=serverAuth",
        "",
      ].join("\n"),
    );
    openssl(dir, [
      "x509",
      "-req",
      "-in",
      "server.csr",
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-set_serial",
      "1",
      "-days",
      "2",
      "-extfile",
      "server.ext",
      "-out",
      "server.crt",
    ]);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const ca = join(dir, "ca.crt");
  return {
    dir,
    ca,
    caPem: readFileSync(ca, "utf8"),
    cert: join(dir, "server.crt"),
    key: join(dir, "server.key"),
    otherCaPem: readFileSync(join(dir, "other-ca.crt"), "utf8"),
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
