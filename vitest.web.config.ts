import { defineConfig } from "vitest/config";

// The console's tests in Node: the board reducer on its own, and end-to-end tests that drive Debian's
// Chromium (playwright-core) against a `wrangler dev` server running the carrier simulator.
export default defineConfig({
  test: {
    include: ["test/web/**/*.test.ts"],
    globalSetup: ["./test/web/server.ts"],
    testTimeout: 90_000,
    hookTimeout: 120_000,
    // One server, one set of demo agents: the browser tests run one after another.
    fileParallelism: false,
  },
});
