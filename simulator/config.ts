import { LOCAL_ACCOUNT_SID, LOCAL_NUMBER } from "../worker/config";
import type { Env } from "../worker/env";

/** The account the simulator pretends to be; its REST API accepts it with the auth token. */
export const SIM_ACCOUNT_SID = LOCAL_ACCOUNT_SID;
/** The account's one incoming number: callers placed without a "to" call it. */
export const SIM_NUMBER = LOCAL_NUMBER;
export const SIM_NUMBER_SID = "PN" + "0".repeat(32);
/** The TwiML App a simulated phone's connect goes through (the token's outgoingApplicationSid). */
export const SIM_APPLICATION_SID = "AP" + "0".repeat(32);
/**
 * Real Twilio takes a few hundred milliseconds of signalling between device.connect() and the TwiML
 * App request (invite, then Twilio's webhook). Not scaled by the speed: the product's own timers
 * (claim lease, ticket expiry) are not scaled either, and they must cope with this delay.
 */
const DEFAULT_CONNECT_DELAY_MS = 400;

export function simConfig(env: Env) {
  const speed = Number(env.SIMULATOR_SPEED || "1");
  const delay = Number(env.SIMULATOR_CONNECT_DELAY_MS ?? DEFAULT_CONNECT_DELAY_MS);
  return {
    accountSid: SIM_ACCOUNT_SID,
    applicationSid: SIM_APPLICATION_SID,
    speed: Number.isFinite(speed) && speed > 0 ? speed : 1,
    connectDelayMs: Number.isFinite(delay) && delay >= 0 ? Math.min(delay, 60_000) : DEFAULT_CONNECT_DELAY_MS,
    /** Twilio's "Enforce HTTP Auth on Media URLs": on unless SIMULATOR_MEDIA_AUTH is "false" (Twilio recommends it on). */
    mediaAuth: env.SIMULATOR_MEDIA_AUTH !== "false",
  };
}
