// The console's keyboard shortcuts, decided from the board: Alt+Shift+A answers the oldest ring,
// Alt+Shift+D declines it, Alt+Shift+P parks my connected call, Alt+Shift+R retrieves the call in the
// lowest slot. Pure, so that which key does what in which state is unit-tested; the component only
// listens and runs the store's action.
import { activeCallOf, type BoardState, ringingFor } from "./board";

export type Shortcut =
  | { action: "answer"; callSid: string }
  | { action: "decline"; callSid: string }
  | { action: "park"; callSid: string }
  | { action: "retrieve-first" };

export interface KeyPress {
  altKey: boolean;
  shiftKey: boolean;
  /** KeyboardEvent.code: the key's place, whatever the layout types there. */
  code: string;
}

/** What this key press does for agent `me` now, or null (not a shortcut, or nothing to do). */
export function shortcutFor(state: BoardState, me: string, key: KeyPress): Shortcut | null {
  if (!key.altKey || !key.shiftKey) return null;
  const active = activeCallOf(state, me);
  if (key.code === "KeyP") return active?.phase === "connected" ? { action: "park", callSid: active.callSid } : null;
  if (key.code === "KeyR") return active ? null : { action: "retrieve-first" };
  // A ring is answered or declined only with no call held: the card shows no ring then either.
  const ring = ringingFor(state, me)[0];
  if (!ring || active) return null;
  if (key.code === "KeyA") return { action: "answer", callSid: ring.callSid };
  if (key.code === "KeyD") return { action: "decline", callSid: ring.callSid };
  return null;
}
