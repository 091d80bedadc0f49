import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Tests run inside workerd with the real bindings of wrangler.toml: D1 (migrated with the same files
// production applies), the CallSession and Switchboard Durable Objects, and real WebSockets.
const PARK_TIMEOUT_TESTS = "test/worker/park-timeout-integration.test.ts";
const WRAP_UP_TESTS = "test/worker/wrap-up-integration.test.ts";

export default defineConfig(async () => {
  const migrations = await readD1Migrations("migrations");
  const workerd = (vars: Record<string, string>) =>
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          TEST_MIGRATIONS: migrations,
          // The simulator plays Twilio; its webhooks are signed with this token, as Twilio's would be.
          CARRIER: "simulator",
          TWILIO_AUTH_TOKEN: "test-auth-token",
          PUBLIC_URL: "https://calls.example.test",
          // Short enough to exercise, long enough that no test races it by accident.
          CLAIM_LEASE_SECONDS: "10",
          // The shortest Twilio allows: a callee who does not answer ends the call in 5 s.
          DIAL_TIMEOUT_SECONDS: "5",
          // Three slots, so that a full lot is reached with three calls.
          PARK_SLOTS: "3",
          // A REST request the simulator holds (an injected timeout) is given up on quickly.
          TWILIO_REST_TIMEOUT_SECONDS: "2",
          // No wrap-up (wrangler.toml's 30 s): most tests hang up and take the next call at once.
          WRAP_UP_SECONDS: "0",
          ...vars,
        },
      },
    });
  const common = {
    // Generous: races run many rounds, and two test files share two cores.
    testTimeout: 60_000,
    setupFiles: ["./test/worker/setup.ts"],
  };
  return {
    test: {
      // Every decision logs a JSON line; show them only for a failing test (a root option: vitest
      // ignores it inside a project).
      silent: "passed-only" as const,
      projects: [
        { plugins: [workerd({})], test: { ...common, name: "worker", include: ["test/worker/**/*.test.ts", "test/security/**/*.test.ts"], exclude: [PARK_TIMEOUT_TESTS, WRAP_UP_TESTS] } },
        // Its own workerd: real park-timeout alarms, two seconds after a park, with real clocks everywhere;
        // each wait of a recall (the parker, then everyone) ends three seconds after it began.
        { plugins: [workerd({ PARK_TIMEOUT_SECONDS: "2", RING_TIMEOUT_SECONDS: "3" })], test: { ...common, name: "park-timeout", include: [PARK_TIMEOUT_TESTS] } },
        // Its own workerd: a wrap-up short enough to see end on its own with a real switchboard alarm
        // (the fake clock of desks.ts timePasses moves a call session's alarm, not the switchboard's).
        { plugins: [workerd({ WRAP_UP_SECONDS: "3" })], test: { ...common, name: "wrap-up", include: [WRAP_UP_TESTS] } },
      ],
    },
  };
});
