// Calling out from the console: which number a history item calls back, what a typed number means,
// and when the phone of the agent who dialled joins the callee. Pure, unit-tested apart from the store.
import { type CallView, E164 } from "../../worker/protocol";

/** A typed number without its spaces, dots, dashes and brackets; a leading 00 is an international +. */
export function normalizeNumber(typed: string): { ok: true; number: string } | { ok: false; why: string } {
  let n = typed.trim().replace(/[\s().-]/g, "");
  if (n.startsWith("00")) n = "+" + n.slice(2);
  if (n === "") return { ok: false, why: "Type a number to call" };
  if (!n.startsWith("+")) return { ok: false, why: "Start with + and the country code, such as +1 555 123 0000" };
  if (!E164.test(n)) return { ok: false, why: "That is not a phone number: + and 7 to 15 digits" };
  return { ok: true, number: n };
}

/**
 * The number a finished call can be called back on: the caller of a missed, abandoned or voicemail
 * call; the callee of an outbound call nobody answered. Null for anything else, and for a caller
 * whose number is withheld or not a phone number.
 */
export function callBackNumber(call: CallView): string | null {
  const number = call.direction === "outbound" ? (call.outcome === "unanswered" ? call.to : null) : call.outcome && call.outcome !== "answered" ? call.from : null;
  return number && E164.test(number) ? number : null;
}

/** The outbound call this console placed and holds a ticket for, until the phone has joined. */
export interface HeldDial {
  callSid: string;
  ticket: string;
  /** The phone's connect was started (once per dial). */
  joining: boolean;
}

/**
 * What to do with the held dial now the board says `call` (undefined: not live; `ended`: it is in the
 * history): connect when the callee has answered (the call is claimed for me), forget it once the call
 * is over or taken by someone else, else wait (the dial's reply can come before the feed's first
 * message of the call).
 */
export function dialStep(held: HeldDial, call: CallView | undefined, ended: boolean, me: string): "connect" | "forget" | "wait" {
  if (ended) return "forget";
  if (!call) return "wait";
  const mine = (call.phase === "dialing" && call.dialedBy === me) || (call.phase === "claimed" && call.claimedBy === me) || (call.phase === "connected" && call.answeredBy === me);
  if (!mine) return "forget";
  return call.phase === "claimed" && !held.joining ? "connect" : "wait";
}

/** "Calling +1 555…" while Twilio rings the callee; how an outbound call ended. */
export function dialOutcomeText(call: CallView): string {
  switch (call.dialResult) {
    case "busy":
      return "Declined or busy";
    case "no-answer":
      return "No answer";
    case "canceled":
      return "Cancelled";
    case "failed":
      return "Could not be reached";
    default:
      return "Not answered";
  }
}
