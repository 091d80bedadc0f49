import VoiceResponse from "twilio/lib/twiml/VoiceResponse.js";
import { genUrl, type TwilioUrls } from "./paths";

/** The conference's participant labels: `agent` is fixed so that Twilio itself refuses a second agent (error 16025). */
export const LABELS = { caller: "caller", agent: "agent" } as const;

/**
 * Attributes the first participant locks in for the whole conference (its status callback and
 * events); set the same on every participant so that it never matters who joins first.
 */
function shared(urls: TwilioUrls, gen: number) {
  return {
    beep: "false" as const,
    jitterBufferSize: "small" as const,
    statusCallback: genUrl(urls.conference, gen),
    statusCallbackMethod: "POST" as const,
    statusCallbackEvent: ["join", "leave"] as ("join" | "leave")[],
  };
}

/**
 * The lobby: the caller alone in a conference named by their CallSid, hearing the wait URL (ringback
 * and their place in line, or hold music) until the winning agent joins. The caller ends the
 * conference when they leave, which ends the agent's leg too. The <Dial action> is asked for only
 * when the conference ends under a caller who is still there (its wait URL failed).
 */
export function lobbyTwiml(callSid: string, urls: TwilioUrls, gen: number): string {
  const r = new VoiceResponse();
  const dial = r.dial({ action: genUrl(urls.lobbyEnded, gen), method: "POST" });
  dial.conference(
    {
      ...shared(urls, gen),
      participantLabel: LABELS.caller,
      startConferenceOnEnter: true,
      endConferenceOnExit: true,
      waitUrl: genUrl(urls.wait, gen),
      waitMethod: "POST",
    },
    callSid,
  );
  return r.toString();
}

/** The winning agent joins the caller. No wait URL: an agent should never wait there alone. */
export function joinTwiml(callSid: string, urls: TwilioUrls, gen: number): string {
  const r = new VoiceResponse();
  r.dial().conference(
    {
      ...shared(urls, gen),
      participantLabel: LABELS.agent,
      startConferenceOnEnter: true,
      endConferenceOnExit: false,
      waitUrl: "",
    },
    callSid,
  );
  return r.toString();
}

export interface WaitOptions {
  /** The audio to loop: ringback while an agent is sought, hold music while parked. */
  audioUrl: string;
  /** The recording's consent announcement (the admin's words), said once, before the greeting; null: not recorded. */
  announcement: string | null;
  /** Said once, first. */
  greeting: string | null;
  /** The caller's place in line, said when it is new to them (null: nobody waits ahead). */
  position: number | null;
  /** The next loop's URL: a wait URL must end in <Redirect>, or the caller hears silence. */
  next: string;
}

/** The wait URL's answer: only <Say>, <Play>, <Pause> and <Redirect> are allowed there (Twilio error 13238). */
export function waitTwiml(o: WaitOptions): string {
  const r = new VoiceResponse();
  if (o.announcement) r.say(o.announcement);
  if (o.greeting) r.say(o.greeting);
  if (o.position !== null) r.say(`You are number ${o.position} in line.`);
  r.play(o.audioUrl);
  r.redirect({ method: "POST" }, o.next);
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

/** Also the answer to a refused connect: it bridges nothing and ends the agent's leg. */
export function goodbyeTwiml(text?: string): string {
  const r = new VoiceResponse();
  if (text) r.say(text);
  r.hangup();
  return r.toString();
}

/** A pause, then the same request again (an outbound call answered before its call session knew of it). */
export function pauseAndAgainTwiml(url: string): string {
  const r = new VoiceResponse();
  r.pause({ length: 1 });
  r.redirect({ method: "POST" }, url);
  return r.toString();
}

export function emptyTwiml(): string {
  return new VoiceResponse().toString();
}
