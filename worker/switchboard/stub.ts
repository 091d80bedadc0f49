import type { Env } from "../env";

/** One organisation per deployment: every console and call session talks to this one switchboard. */
export const SWITCHBOARD_NAME = "org";

export function switchboard(env: Env) {
  return env.SWITCHBOARD.getByName(SWITCHBOARD_NAME);
}
