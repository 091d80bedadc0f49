import VoiceResponse from "twilio/lib/twiml/VoiceResponse.js";
import type { RingPurpose } from "../protocol";
import type { TwilioUrls } from "./paths";

export interface RingOptions {
  timeoutSeconds: number;
  purpose: RingPurpose;
  /** For a transfer: who hands the call over, shown on the target's console. */
  transferFrom?: string | null;
}

/**
 * Rings every agent at once: the first to accept is bridged and Twilio cancels the other legs.
 * `urls` carry the <Dial>'s generation (paths.ts dialUrls).
 */
export function ringGroupTwiml(callSid: string, agentIds: string[], urls: TwilioUrls, o: RingOptions): string {
  const r = new VoiceResponse();
  // answerOnBridge keeps the caller hearing ringback, not silence, until an agent is connected.
  const dial = r.dial({ timeout: o.timeoutSeconds, answerOnBridge: true, action: urls.dialAction, method: "POST" });
  for (const agentId of agentIds) {
    const client = dial.client({
      statusCallback: urls.legStatus,
      // Only what changes a decision: a leg answered, or ended (completed, no-answer, busy, canceled,
      // failed all come as "completed"). "initiated" and "ringing" would be two more webhooks per agent
      // per call and decide nothing; the ring itself is recorded when the <Dial> is sent.
      statusCallbackEvent: ["answered", "completed"],
      statusCallbackMethod: "POST",
    });
    client.identity(agentId);
    // The browser sees only its own child CallSid; claims are keyed on the parent (twilio-facts.md).
    client.parameter({ name: "parentCallSid", value: callSid });
    // A retrieve is answered by the retriever's console by itself; a transfer says who sent it.
    client.parameter({ name: "purpose", value: o.purpose });
    if (o.transferFrom) client.parameter({ name: "transferFrom", value: o.transferFrom });
  }
  return r.toString();
}

/** A parked caller hears the hold music until a REST redirect moves the call on. */
export function holdTwiml(musicUrl: string): string {
  const r = new VoiceResponse();
  r.play({ loop: 0 }, musicUrl);
  return r.toString();
}

export interface VoicemailOptions {
  greeting: string;
  maxSeconds: number;
}

export function voicemailTwiml(urls: TwilioUrls, o: VoicemailOptions): string {
  const r = new VoiceResponse();
  r.say(o.greeting);
  // Without an action Twilio would request this document again and loop the greeting.
  r.record({
    action: urls.voicemailRecorded,
    method: "POST",
    maxLength: o.maxSeconds,
    playBeep: true,
    timeout: 5,
    recordingStatusCallback: urls.recordingStatus,
    recordingStatusCallbackMethod: "POST",
    recordingStatusCallbackEvent: ["completed"],
    transcribe: true,
    transcribeCallback: urls.transcription,
  });
  // Reached only when nothing was recorded (Twilio skips the action for an empty recording).
  r.say("We did not get a message. Goodbye.");
  r.hangup();
  return r.toString();
}

export function goodbyeTwiml(text?: string): string {
  const r = new VoiceResponse();
  if (text) r.say(text);
  r.hangup();
  return r.toString();
}

export function emptyTwiml(): string {
  return new VoiceResponse().toString();
}
