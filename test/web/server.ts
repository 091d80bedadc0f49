// Starts the app the way `npm run dev` does (built console, migrated local D1, demo agents, simulator)
// on a free port with its own state folder, for the browser tests. Skipped when there is no Chromium.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** A small lot and a short park timeout, so that a full lot and a parked call coming back can be seen in a test. */
export const PARK_SLOTS = 2;
export const PARK_TIMEOUT_SECONDS = 30;

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string | null;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

async function waitForHealth(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited (${child.exitCode}):\n${log()}`);
    try {
      if ((await fetch(url + "/healthz")).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`wrangler dev did not answer within 90 s:\n${log()}`);
}

export default async function setup(project: TestProject) {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI) throw new Error(`browser tests are required in CI, but there is no Chromium at ${CHROMIUM}`);
    console.warn(`\n  SKIPPED: the browser tests need Chromium at ${CHROMIUM} (apt-get install chromium); none found.\n`);
    project.provide("baseUrl", null);
    return;
  }
  const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "true" };
  const build = spawnSync("vite", ["build", "-c", "web/vite.config.ts", "--logLevel", "warn"], { env, encoding: "utf8" });
  if (build.status !== 0) throw new Error(`console build failed:\n${build.stdout}${build.stderr}`);
  const state = mkdtempSync(join(tmpdir(), "ringall-e2e-"));
  const migrate = spawnSync("wrangler", ["d1", "migrations", "apply", "DB", "--local", "--persist-to", state], { env, encoding: "utf8" });
  if (migrate.status !== 0) throw new Error(`migrations failed:\n${migrate.stdout}${migrate.stderr}`);
  const port = await freePort();
  let output = "";
  const child = spawn(
    "wrangler",
    [
      "dev",
      "--port",
      String(port),
      "--ip",
      "127.0.0.1",
      "--persist-to",
      state,
      "--var",
      "DEMO_AGENTS:true",
      "--var",
      `PARK_SLOTS:${PARK_SLOTS}`,
      "--var",
      `PARK_TIMEOUT_SECONDS:${PARK_TIMEOUT_SECONDS}`,
      "--show-interactive-dev-session=false",
    ],
    { env, stdio: ["ignore", "pipe", "pipe"] },
  );
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitForHealth(baseUrl, child, () => output.slice(-4000));
  project.provide("baseUrl", baseUrl);
  return async () => {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    rmSync(state, { recursive: true, force: true });
  };
}
