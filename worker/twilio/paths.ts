// Every URL the product gives Twilio, in one place. Twilio needs absolute URLs (inline TwiML
// sent through the REST API has no base to resolve a relative one against).

export const TWILIO_PATHS = {
  voice: "/twilio/voice",
  /** The TwiML App's Voice URL: a console's phone connects here with its ticket. */
  connect: "/twilio/connect",
  wait: "/twilio/wait",
  conference: "/twilio/conference",
  lobbyEnded: "/twilio/lobby-ended",
  callStatus: "/twilio/call-status",
  voicemailRecorded: "/twilio/voicemail/recorded",
  recordingStatus: "/twilio/voicemail/recording-status",
  transcription: "/twilio/voicemail/transcription",
  /** An outbound call's Url: its callee answered. */
  outbound: "/twilio/outbound",
  /** The conversation recording's status callback (see CallSession: op "record"). */
  callRecordingStatus: "/twilio/call-recording-status",
} as const;

/** Audio the worker serves itself (web/public/audio, deployed with the console's assets). */
export const AUDIO_PATHS = { ringback: "/audio/ringback.wav", hold: "/audio/hold.wav" } as const;

export type TwilioUrls = { [K in keyof typeof TWILIO_PATHS]: string };

export function twilioUrls(base: string): TwilioUrls {
  return Object.fromEntries(Object.entries(TWILIO_PATHS).map(([k, p]) => [k, base + p])) as TwilioUrls;
}

/** A URL of one lobby generation (see worker/call/machine.ts). */
export function genUrl(url: string, gen: number, extra: Record<string, string | number> = {}): string {
  const q = new URLSearchParams({ gen: String(gen), ...Object.fromEntries(Object.entries(extra).map(([k, v]) => [k, String(v)])) });
  return `${url}?${q}`;
}
