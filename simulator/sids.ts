import { randomHex } from "../worker/hex";

/** A Twilio-shaped SID: two letters and 32 hex digits. */
export function newSid(prefix: "CA" | "CF" | "RE" | "TR" | "AP" | "SK"): string {
  return prefix + randomHex(16);
}
