// Starts the app the way `npm run dev` does (built console, migrated local D1, demo agents, simulator)
// on a free port with its own state folder, for the browser tests. Skipped when there is no Chromium.
// The default export is the main project's global setup; short-ring-server.ts starts a second server
// with shorter rings for the tests that wait rings out (vitest.web.config.ts).
import { existsSync } from "node:fs";
import type { TestProject } from "vitest/node";
import { prepareState, run, startServer } from "../../bench/server";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
/** A small lot and a short park timeout, so that a full lot and a parked call coming back can be seen in a test. */
export const PARK_SLOTS = 2;
export const PARK_TIMEOUT_SECONDS = 30;
/**
 * Long enough to see a wrap-up on every console and press Ready before it ends (wrap-up-e2e), short
 * enough that a test whose agent hangs up and then takes the next caller in line waits it out within
 * Playwright's 30 s. One server for every test, so no per-test value: team() ends a wrap-up left by an
 * earlier test with Ready.
 */
export const WRAP_UP_SECONDS = 12;

declare module "vitest" {
  export interface ProvidedContext {
    baseUrl: string | null;
  }
}

/** The first server's build of the console is every server's: a run builds it once. */
const BUILT = Symbol.for("ringall.test.web.consoleBuilt");

/**
 * A global setup that starts the app with `vars` over the defaults every browser test server has
 * (simulator, demo agents, the small lot, wrap-up) and provides its address as `baseUrl`. Each
 * vitest project of vitest.web.config.ts names a global setup file that calls it with its own vars;
 * each server has its own port and state folder (bench/server.ts), so two never share a database.
 */
export function serverSetup(vars: Record<string, string> = {}) {
  return async function setup(project: TestProject) {
    if (!existsSync(CHROMIUM)) {
      if (process.env.CI) throw new Error(`browser tests are required in CI, but there is no Chromium at ${CHROMIUM}`);
      console.warn(`\n  SKIPPED: the browser tests need Chromium at ${CHROMIUM} (apt-get install chromium); none found.\n`);
      project.provide("baseUrl", null);
      return;
    }
    const g = globalThis as { [BUILT]?: boolean };
    if (!g[BUILT]) {
      run("vite", ["build", "-c", "web/vite.config.ts", "--logLevel", "warn"]);
      g[BUILT] = true;
    }
    // The same local server the benchmark starts (bench/server.ts): migrated D1 in its own folder, a free port.
    const server = await startServer("wrangler.toml", await prepareState("wrangler.toml", null), {
      CARRIER: "simulator",
      DEMO_AGENTS: "true",
      PARK_SLOTS: String(PARK_SLOTS),
      PARK_TIMEOUT_SECONDS: String(PARK_TIMEOUT_SECONDS),
      WRAP_UP_SECONDS: String(WRAP_UP_SECONDS),
      ...vars,
    });
    project.provide("baseUrl", server.url);
    return () => server.stop();
  };
}

/** The main project's server: wrangler.toml's RING_TIMEOUT_SECONDS (60 s), which its tests rely on. */
export default serverSetup();
