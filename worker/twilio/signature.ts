import { getExpectedTwilioSignature, validateRequest } from "twilio/lib/webhooks/webhooks.js";

export type TwilioParams = Record<string, string>;

/**
 * The URL Twilio signed: behind a tunnel or proxy the worker sees another URL than Twilio requested,
 * so with PUBLIC_URL set the signature is checked over PUBLIC_URL + path + query.
 */
export function signedUrl(publicUrl: string | null, requestUrl: string): string {
  if (!publicUrl) return requestUrl;
  const u = new URL(requestUrl);
  return publicUrl + u.pathname + u.search;
}

/** X-Twilio-Signature check, with Twilio's own helper (constant-time compare, port variants). */
export function isValidSignature(authToken: string, signature: string, url: string, params: TwilioParams): boolean {
  return validateRequest(authToken, signature, url, params);
}

/** Signs a request the way Twilio does; used by the simulator and the tests that stand in for Twilio. */
export function sign(authToken: string, url: string, params: TwilioParams): string {
  return getExpectedTwilioSignature(authToken, url, params);
}
