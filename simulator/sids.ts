/** A Twilio-shaped SID: two letters and 32 hex digits. */
export function newSid(prefix: "CA" | "RE" | "TR"): string {
  return prefix + [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, "0")).join("");
}
