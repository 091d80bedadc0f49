import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
export default defineConfig(async () => {
  const migrations = await readD1Migrations("migrations");
  return {
    plugins: [cloudflareTest({ wrangler: { configPath: "./wrangler.toml" }, miniflare: { bindings: { TEST_MIGRATIONS: migrations, TWILIO_AUTH_TOKEN: "test-auth-token", PUBLIC_URL: "https://calls.example.test", CLAIM_LEASE_SECONDS: "10", PARK_SLOTS: "3" } } })],
    test: { name: "scratch", include: ["simulator/__scratch__/*.test.ts"], setupFiles: ["./test/worker/setup.ts"], testTimeout: 60_000 },
  };
});
