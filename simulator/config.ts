import type { Env } from "../worker/env";

/** The account the simulator pretends to be; the REST API accepts it with the local auth token. */
export const SIM_ACCOUNT_SID = "AC" + "0".repeat(32);

export function simConfig(env: Env & { SIMULATOR_SPEED?: string }) {
  const speed = Number(env.SIMULATOR_SPEED || "1");
  return { accountSid: SIM_ACCOUNT_SID, speed: Number.isFinite(speed) && speed > 0 ? speed : 1 };
}
