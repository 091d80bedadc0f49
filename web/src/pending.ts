// Requests in flight, per call: what a call's buttons show ("Answering…") and why a second press is
// refused. Pure, over a plain record, so that whose mark ends when is unit-tested apart from the store.

/** A request in flight for one call: its buttons show it and refuse a second press. */
export type Pending = "answering" | "declining" | "parking" | "transferring" | "retrieving" | "hanging-up";

export type PendingByCall = Readonly<Record<string, Pending>>;

/** Marks `callSid` busy with `what`. */
export function markPending(p: PendingByCall, callSid: string, what: Pending): PendingByCall {
  return { ...p, [callSid]: what };
}

/**
 * Ends one request's busy mark, and only its own: a retrieved call can be connected, and parked
 * again, before the retrieve's own HTTP answer arrives, and that answer must not clear "parking".
 * Returns `p` itself when nothing changes, so that a signal holding it does not notify.
 */
export function clearPending(p: PendingByCall, callSid: string, what: Pending): PendingByCall {
  if (p[callSid] !== what) return p;
  const { [callSid]: _, ...rest } = p;
  return rest;
}

/** A park or transfer of this call is under way: its call moves, so park and transfer wait. */
export function isHandingOver(p: PendingByCall, callSid: string): boolean {
  const what = p[callSid];
  return what === "parking" || what === "transferring";
}
