import { LOCAL_ACCOUNT_SID } from "../worker/config";
import type { Env } from "../worker/env";

/** The account the simulator pretends to be; its REST API accepts it with the auth token. */
export const SIM_ACCOUNT_SID = LOCAL_ACCOUNT_SID;

export function simConfig(env: Env) {
  const speed = Number(env.SIMULATOR_SPEED || "1");
  return { accountSid: SIM_ACCOUNT_SID, speed: Number.isFinite(speed) && speed > 0 ? speed : 1 };
}
