// What the console needs of a phone. Two adapters: Twilio's Voice SDK and the carrier simulator.
// The UI above never knows which one it holds.
//
// Nothing rings a phone any more: the caller waits in a conference (the lobby), the console rings
// from the board, and only the agent who won the claim connects, with a one-time ticket.

export type PhoneEvent =
  /** The phone can place a connect (Device registered, or the simulator phone registered). */
  | { type: "ready" }
  /** The phone cannot: the reason in words (unregistered, an error, the token could not be refreshed). */
  | { type: "unready"; reason: string }
  /** This phone's leg for this call is connected to the caller. */
  | { type: "connected"; callSid: string }
  /** The connected leg ended: the caller hung up, a park or transfer moved the caller, the call ended. */
  | { type: "disconnect"; callSid: string }
  | { type: "error"; callSid: string | null; message: string };

export interface Phone {
  readonly kind: "twilio" | "simulator";
  /** Asks for the microphone, gets ready; reports `ready`/`unready` events rather than rejecting where it can. */
  start(): Promise<void>;
  stop(): void;
  /**
   * Joins the caller of `callSid` (the caller's CallSid) with the ticket the claim or retrieve gave.
   * Resolves once the leg is connected; rejects with an Error in words if it is refused, ends or
   * fails first.
   */
  connect(callSid: string, ticket: string): Promise<void>;
  /** Ends this phone's leg for the call (connected or still joining). */
  hangup(callSid: string): void;
  mute(callSid: string, muted: boolean): void;
  onEvent(listener: (e: PhoneEvent) => void): void;
}

/** Why a connect failed, when the leg ended before it was answered: the server refused the ticket. */
export const JOIN_REFUSED = "the call could not be joined (it was taken, ended, or the answer came too late)";
