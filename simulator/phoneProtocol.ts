// The simulated phone's wire protocol: what the carrier simulator tells a browser "device" and what
// the device answers. It mirrors @twilio/voice-sdk's Device/Call events so the console's simulator
// adapter can behave like the real SDK. Imports nothing: the browser imports it too.

/** A ringing leg, as the Voice SDK's Call presents it. */
export interface IncomingLeg {
  /** The child leg's CallSid: `call.parameters.CallSid` in the SDK. */
  callSid: string;
  parentCallSid: string;
  from: string;
  to: string;
  /** The <Parameter> values of the <Client> noun: `call.customParameters` in the SDK. */
  customParameters: Record<string, string>;
}

export type CarrierToPhone =
  | { type: "registered"; identity: string }
  | { type: "incoming"; call: IncomingLeg }
  /** Ringing stopped before this device answered (another device answered, the caller left, the dial timed out). */
  | { type: "cancel"; callSid: string }
  /** This device's accept bridged the call. */
  | { type: "accept"; callSid: string }
  /** The connected call ended from the far side (caller hung up, call redirected). */
  | { type: "disconnect"; callSid: string }
  | { type: "error"; callSid: string | null; message: string };

export type PhoneToCarrier =
  | { type: "accept"; callSid: string; parentCallSid: string }
  | { type: "reject"; callSid: string; parentCallSid: string }
  | { type: "disconnect"; callSid: string; parentCallSid: string }
  | { type: "mute"; callSid: string; parentCallSid: string; muted: boolean };

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
  if (typeof o.callSid !== "string" || typeof o.parentCallSid !== "string") return null;
  const base = { callSid: o.callSid, parentCallSid: o.parentCallSid };
  if (o.type === "accept" || o.type === "reject" || o.type === "disconnect") return { type: o.type, ...base };
  if (o.type === "mute" && typeof o.muted === "boolean") return { type: "mute", ...base, muted: o.muted };
  return null;
}
