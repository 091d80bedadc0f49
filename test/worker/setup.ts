import { applyD1Migrations, env } from "cloudflare:test";

// The very migrations production applies; storage is isolated per test file.
await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
