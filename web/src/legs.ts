// The phone's legs against the board. The board is the truth of who holds a call: when it says this
// agent is no longer connected to a call the phone still holds (parked, transferred, ended, taken
// over), the phone hangs that leg up. Pure: the store keeps the legs and does the hanging up.
import type { BoardState } from "./board";

export interface HeldLeg {
  callSid: string;
  /** The phone said the leg is connected (SDK accept); false while it is joining. */
  connected: boolean;
  /**
   * The board has shown this call as this agent's (claimed by or connected to them) since the phone
   * took it. Until then a view that is not theirs may simply be older than their claim (the HTTP
   * answer can overtake the board's message), so it says nothing.
   */
  seenMine: boolean;
}

/** The board gives this call to `me`: claimed by them, or connected to them. */
export function isMine(state: BoardState, callSid: string, me: string): boolean {
  const c = state.calls[callSid];
  return !!c && ((c.phase === "claimed" && c.claimedBy === me) || (c.phase === "connected" && c.answeredBy === me));
}

/**
 * Reviews the legs after the board changed: which connected legs to hang up, and the legs kept. A
 * leg still joining is left to the server, which refuses a connect whose claim is gone.
 */
export function reviewLegs(state: BoardState, me: string, legs: readonly HeldLeg[]): { legs: HeldLeg[]; hangUp: string[] } {
  const kept: HeldLeg[] = [];
  const hangUp: string[] = [];
  for (const leg of legs) {
    if (isMine(state, leg.callSid, me)) kept.push(leg.seenMine ? leg : { ...leg, seenMine: true });
    else if (leg.seenMine && leg.connected) hangUp.push(leg.callSid);
    else kept.push(leg);
  }
  return { legs: kept, hangUp };
}
