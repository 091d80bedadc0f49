// The phone's readiness as the console tells it: to the server (PUT /api/me/phone, which decides
// whether this agent is rung) and to the agent (the banner). Pure.
import type { PhoneStateRequest } from "../../worker/protocol";

export type PhoneStatus =
  /** Nothing heard from the phone yet (asking for the microphone, fetching a token, registering). */
  | { state: "starting" }
  | { state: "ready" }
  | { state: "unready"; reason: string };

export const STARTING: PhoneStatus = { state: "starting" };

/** What to tell the server, or null while the phone has said nothing yet (the server assumes not ready). */
export function phoneRequest(status: PhoneStatus): PhoneStateRequest | null {
  if (status.state === "starting") return null;
  return status.state === "ready" ? { ready: true } : { ready: false, reason: status.reason };
}

/** The banner's words, or null when there is nothing to say. */
export function phoneBanner(status: PhoneStatus): string | null {
  if (status.state !== "unready") return null;
  const reason = status.reason.trim().replace(/[.\s]+$/, "");
  return `Your phone is not ready, so calls will not ring here until it is: ${reason}.`;
}
