// The "short-ring" project's global setup (vitest.web.config.ts): a server of its own whose rings run
// out in seconds, for the tests that wait rings out for real (auto-pause-e2e). The main project's
// server keeps wrangler.toml's 60 s, which its tests rely on.
import { serverSetup } from "./server";

/** Long enough for an agent to see a ring and press Answer on a busy machine, short enough to let three run out. */
export const RING_TIMEOUT_SECONDS = 5;
/** wrangler.toml's default, said here so that the test does not depend on it. */
export const AUTO_PAUSE_AFTER = 3;

export default serverSetup({
  RING_TIMEOUT_SECONDS: String(RING_TIMEOUT_SECONDS),
  AUTO_PAUSE_AFTER: String(AUTO_PAUSE_AFTER),
});
