import { defineConfig } from "vitest/config";

// The console's tests in Node: the board reducer on its own, and end-to-end tests that drive Debian's
// Chromium (playwright-core) against a `wrangler dev` server running the carrier simulator.
export default defineConfig({
  test: {
    include: ["test/web/**/*.test.ts"],
    globalSetup: ["./test/web/server.ts"],
    testTimeout: 90_000,
    hookTimeout: 120_000,
    // expect.poll waits for what a console or the carrier shows; its 1 s default is less than a
    // carrier callback can take on a busy machine (Playwright's own waits allow 30 s).
    expect: { poll: { timeout: 10_000 } },
    // One server, one set of demo agents: the browser tests run one after another.
    fileParallelism: false,
  },
});
