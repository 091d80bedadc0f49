// Taking a call: the claim (Answer) or the retrieve decides who gets it; only the winner's phone
// then joins the caller with its one-time ticket. If the phone cannot join, the call is given back
// at once (POST /release) so the others are rung again without waiting for the lease to lapse.
// Pure of the browser: the store gives it the API and the phone.
import type { ClaimResponse, RetrieveResponse, Ticket } from "../../worker/protocol";

export type TakeKind = "answer" | "retrieve";

/** What the server's answer to a claim or a retrieve means. */
export type Win = ({ won: true } & Ticket) | { won: false; by: string | null; busy: boolean };

export function winOf(r: ClaimResponse | RetrieveResponse): Win {
  if ("claimed" in r) return r.claimed ? { won: true, ticket: r.ticket, expiresAt: r.expiresAt } : { won: false, by: r.claimedBy, busy: !!r.busyWith };
  return r.retrieved ? { won: true, ticket: r.ticket, expiresAt: r.expiresAt } : { won: false, by: r.retrievedBy, busy: !!r.busyWith };
}

export type TakeOutcome =
  /** The phone joined the caller. */
  | { kind: "connected" }
  /** Someone else was first, or this agent already holds a call: normal, said calmly. */
  | { kind: "lost"; notice: string }
  /** Won, but the phone could not join: the call was given back (`released` says if the server heard it). */
  | { kind: "failed"; reason: string; notice: string; released: boolean };

export interface TakeDeps {
  /** POST /claim or /retrieve; a failure (403, 404, 410, network) rejects and is the caller's to show. */
  request(): Promise<ClaimResponse | RetrieveResponse>;
  /** The phone's connect with the ticket: resolves once the leg is connected. */
  connect(callSid: string, ticket: string): Promise<void>;
  /** POST /release with the reason in words. */
  release(callSid: string, reason: string): Promise<unknown>;
  /** An agent's name for the notices. */
  name(id: string | null): string;
  /** Called once the claim or retrieve is won, before the phone connects. */
  won?(win: Ticket): void;
}

const reasonOf = (e: unknown) => (e instanceof Error && e.message ? e.message : typeof e === "string" && e ? e : "the phone could not connect");

export async function takeCall(kind: TakeKind, callSid: string, deps: TakeDeps): Promise<TakeOutcome> {
  const win = winOf(await deps.request());
  if (!win.won) {
    if (win.busy) return { kind: "lost", notice: "You are already on a call" };
    return { kind: "lost", notice: `${kind === "answer" ? "Answered" : "Retrieved"} by ${deps.name(win.by)}` };
  }
  deps.won?.({ ticket: win.ticket, expiresAt: win.expiresAt });
  try {
    await deps.connect(callSid, win.ticket);
    return { kind: "connected" };
  } catch (e) {
    const reason = reasonOf(e);
    let released = true;
    try {
      await deps.release(callSid, reason);
    } catch {
      released = false; // the lease lapses by itself: the others are rung again a little later
    }
    const what = kind === "answer" ? "the call" : "the retrieved call";
    return { kind: "failed", reason, released, notice: `Could not connect ${what}: ${reason}` };
  }
}
