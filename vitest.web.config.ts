import { defineConfig } from "vitest/config";

// The console's tests in Node: the board reducer on its own, and end-to-end tests that drive Debian's
// Chromium (playwright-core) against a `wrangler dev` server running the carrier simulator. Two
// projects, each with its own server (own port, own state folder), run one after the other, in
// their groupOrder (both set: vitest runs files of a group 0 without parallelism after every group):
// - "web": every test, against a server with wrangler.toml's ring timeout (60 s);
// - "short-ring": the tests that let rings run out for real, against a server whose rings last
//   seconds (test/web/short-ring-server.ts).
const SHORT_RING = ["test/web/auto-pause-e2e.test.ts"];

export default defineConfig({
  test: {
    testTimeout: 90_000,
    hookTimeout: 120_000,
    // expect.poll waits for what a console or the carrier shows; its 1 s default is less than a
    // carrier callback can take on a busy machine (Playwright's own waits allow 30 s).
    expect: { poll: { timeout: 10_000 } },
    // One server per project, one set of demo agents on it: the browser tests run one after another.
    fileParallelism: false,
    projects: [
      {
        extends: true,
        test: {
          name: "web",
          include: ["test/web/**/*.test.ts"],
          exclude: SHORT_RING,
          globalSetup: ["./test/web/server.ts"],
          sequence: { groupOrder: 1 },
        },
      },
      {
        extends: true,
        test: {
          name: "short-ring",
          include: SHORT_RING,
          globalSetup: ["./test/web/short-ring-server.ts"],
          sequence: { groupOrder: 2 },
        },
      },
    ],
  },
});
