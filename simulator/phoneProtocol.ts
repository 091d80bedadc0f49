// The simulated phone's wire protocol (WebSocket /sim/phone): what a browser "device" asks the carrier
// simulator and what the carrier tells it. It mirrors @twilio/voice-sdk 2.x: the phone never rings
// (Twilio rings no browser in the lobby model); it only places outgoing calls with device.connect().
// Imports nothing: the browser imports it too.

export type PhoneToCarrier =
  /** device.connect({ params }): `ref` is the phone's own name for the call until it learns the CallSid. */
  | { type: "connect"; ref: string; params: Record<string, string> }
  /** call.disconnect() */
  | { type: "disconnect"; callSid: string }
  /** call.mute(muted) */
  | { type: "mute"; callSid: string; muted: boolean };

export type CarrierToPhone =
  /** The device is registered (Device "registered"). */
  | { type: "registered"; identity: string }
  /** The outgoing leg exists: the SDK learns its CallSid (Call "ringing"). */
  | { type: "ringing"; ref: string; callSid: string }
  /** The leg is answered, media open (Call "accept"): the TwiML App's answer ran a verb. */
  | { type: "accept"; ref: string; callSid: string }
  /** The leg ended, whatever the cause: refused by <Hangup/>, conference ended, kicked (Call "disconnect"). */
  | { type: "disconnect"; ref: string; callSid: string }
  /** A TwilioError (Call or Device "error"); ref and callSid are null when no call is concerned. */
  | { type: "error"; ref: string | null; callSid: string | null; code: number; message: string };

/** Voice SDK error codes the simulator sends (lib/twilio/errors/generated.ts). */
export const PHONE_ERRORS = {
  /** GeneralError: a malformed message, a call that is not this phone's. */
  unknown: 31000,
  /** ConnectionError "Error sent from gateway in HANGUP": the leg ended before it was answered. */
  hangupBeforeAnswer: 31005,
} as const;

const MAX_REF = 128;
const MAX_PARAMS = 20;

export function parsePhoneMessage(raw: unknown): PhoneToCarrier | null {
  if (typeof raw !== "string") return null;
  let m: unknown;
  try {
    m = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof m !== "object" || m === null) return null;
  const o = m as Record<string, unknown>;
  switch (o.type) {
    case "connect": {
      if (typeof o.ref !== "string" || o.ref.length === 0 || o.ref.length > MAX_REF) return null;
      const params = o.params ?? {};
      if (typeof params !== "object" || params === null || Array.isArray(params)) return null;
      const entries = Object.entries(params as Record<string, unknown>);
      if (entries.length > MAX_PARAMS || entries.some(([, v]) => typeof v !== "string")) return null;
      return { type: "connect", ref: o.ref, params: Object.fromEntries(entries) as Record<string, string> };
    }
    case "disconnect":
      return typeof o.callSid === "string" ? { type: "disconnect", callSid: o.callSid } : null;
    case "mute":
      return typeof o.callSid === "string" && typeof o.muted === "boolean" ? { type: "mute", callSid: o.callSid, muted: o.muted } : null;
    default:
      return null;
  }
}
