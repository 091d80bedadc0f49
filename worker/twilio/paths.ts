// Every URL the product gives Twilio, in one place. Twilio needs absolute URLs (inline TwiML
// sent through the REST API has no base to resolve a relative one against).

export const TWILIO_PATHS = {
  voice: "/twilio/voice",
  dialAction: "/twilio/dial-action",
  legStatus: "/twilio/leg-status",
  callStatus: "/twilio/call-status",
  voicemailRecorded: "/twilio/voicemail/recorded",
  recordingStatus: "/twilio/voicemail/recording-status",
  transcription: "/twilio/voicemail/transcription",
} as const;

export type TwilioUrls = { [K in keyof typeof TWILIO_PATHS]: string };

export function twilioUrls(base: string): TwilioUrls {
  return Object.fromEntries(Object.entries(TWILIO_PATHS).map(([k, p]) => [k, base + p])) as TwilioUrls;
}

/** The dial action and leg status URLs of one <Dial> generation (see worker/call/machine.ts). */
export function dialUrls(urls: TwilioUrls, dial: number): TwilioUrls {
  return { ...urls, dialAction: `${urls.dialAction}?dial=${dial}`, legStatus: `${urls.legStatus}?dial=${dial}` };
}
