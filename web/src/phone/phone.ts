// What the console needs of a phone. Two adapters: Twilio's Voice SDK and the carrier simulator.
// The UI above never knows which one it holds.
import { RING_PURPOSES, type RingPurpose } from "../../../worker/protocol";

export type PhoneEvent =
  /**
   * A leg for this call rings on this device. `purpose` comes from the <Client>'s <Parameter>s, which
   * the SDK calls customParameters; null when the worker sent none (or one this console does not know).
   */
  | { type: "incoming"; parentCallSid: string; from: string; purpose: RingPurpose | null; parameters: Record<string, string> }
  /** The ring stopped without this device answering (answered elsewhere, caller gone, timed out). */
  | { type: "cancel"; parentCallSid: string }
  /** This device's call is connected. */
  | { type: "connected"; parentCallSid: string }
  /** This device's call ended. */
  | { type: "disconnect"; parentCallSid: string }
  | { type: "ready" }
  | { type: "error"; parentCallSid: string | null; message: string };

export interface Phone {
  readonly kind: "twilio" | "simulator";
  start(): Promise<void>;
  stop(): void;
  /** Answers the ringing leg of this call; resolves once connected, rejects with a message in words. */
  accept(parentCallSid: string): Promise<void>;
  /** Declines this device's leg: the others keep ringing (Voice SDK reject()). */
  reject(parentCallSid: string): void;
  /**
   * Another agent won the claim. The leg and this device's pending call both stay alive, so the call
   * can still be answered here if the winner's lease expires. Not the SDK's ignore(): that closes the
   * pending Call for good (voice-sdk lib/twilio/call.ts, ignore() sets status Closed).
   */
  silence(parentCallSid: string): void;
  hangup(parentCallSid: string): void;
  mute(parentCallSid: string, muted: boolean): void;
  onEvent(listener: (e: PhoneEvent) => void): void;
}

/** The ring's purpose from a leg's custom parameters, if it is one the protocol defines. */
export function ringPurpose(parameters: Record<string, string>): RingPurpose | null {
  const p = parameters.purpose;
  return (RING_PURPOSES as readonly string[]).includes(p ?? "") ? (p as RingPurpose) : null;
}
