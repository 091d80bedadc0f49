// Which switchboard message tells this agent what, in words. Pure: the store feeds it the board
// before and after each message and shows what it returns.
import type { ClaimReleaseReason, ServerMessage } from "../../worker/protocol";
import { type BoardState, ringingFor, ringsHere } from "./board";

export interface NoticeText {
  text: string;
  tone: "info" | "problem";
}

const nameOf = (state: BoardState, id: string | null | undefined) => (id ? (state.agents[id]?.name ?? id) : "another agent");

/** Why a claim was given back, in words. */
export const RELEASE_WORDS: Record<ClaimReleaseReason, string> = {
  lease_expired: "their phone took too long to connect",
  declined: "they declined it",
  connect_failed: "their phone could not connect",
  leg_failed: "their line was refused or dropped",
  caller_gone: "the caller left",
};

export function releaseWords(reason: ClaimReleaseReason | string): string {
  return (RELEASE_WORDS as Record<string, string>)[reason] ?? reason;
}

/** What this message says to agent `me`: `before` and `after` are the board around the message. */
export function noticesFor(before: BoardState, after: BoardState, msg: ServerMessage, me: string): NoticeText[] {
  const out: NoticeText[] = [];
  switch (msg.type) {
    case "call.answered": {
      // Someone else took a call that rang here: say who, calmly (the ring stops with the board).
      const was = before.calls[msg.call.callSid];
      if (msg.agentId !== me && was && ringsHere(before, was, me)) out.push({ text: `Answered by ${nameOf(after, msg.agentId)}`, tone: "info" });
      break;
    }
    case "call.claim_released":
      if (msg.agentId !== me && ringsHere(after, msg.call, me)) {
        out.push({ text: `${nameOf(after, msg.agentId)} could not connect: ringing again (${msg.detail ?? releaseWords(msg.reason)})`, tone: "info" });
      }
      break;
    case "call.transfer_failed":
      if (msg.from === me) {
        const slot = after.calls[msg.call.callSid]?.lot?.slot ?? msg.call.lot?.slot;
        out.push({
          text: `${nameOf(after, msg.to)} did not take the transfer: ${slot ? `the caller is in parking slot ${slot}` : "the caller is back in the parking lot"}`,
          tone: "info",
        });
      }
      break;
    case "voicemail.created":
      out.push({ text: `New voicemail from ${msg.voicemail.from}`, tone: "info" });
      break;
    case "agent.paused":
      if (msg.agentId === me) {
        out.push({ text: `You missed ${msg.missed} call${msg.missed === 1 ? "" : "s"} in a row and are now Away (${msg.reason}). Set yourself Available to take calls again.`, tone: "problem" });
      }
      break;
  }
  return out;
}

/**
 * Calls that ring `me` after a message and did not before: each deserves one browser notification
 * (a re-sent view of a ringing call, or a second ring of the same call, does not ring anew).
 */
export function newRings(before: BoardState, after: BoardState, me: string) {
  const had = new Set(ringingFor(before, me).map((c) => c.callSid));
  return ringingFor(after, me).filter((c) => !had.has(c.callSid));
}

/**
 * The notices shown with `n` added. One notice says a thing once: an agent who pressed Answer and
 * lost hears "Answered by …" both from the claim's 409 and from the board's message, and showed it
 * twice (found by the browser tests). Returns `all` itself when `n` says nothing new.
 */
export function addNotice<T extends NoticeText>(all: T[], n: T): T[] {
  return all.some((x) => x.text === n.text && x.tone === n.tone) ? all : [...all, n];
}
