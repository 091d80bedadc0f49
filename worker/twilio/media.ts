// A voicemail's audio, fetched from the carrier with the account's credentials for a signed-in agent,
// and its deletion at the carrier. The media URL is built from the account SID and the RecordingSid,
// never taken from the URL stored with the voicemail: a stored URL is data from a webhook, and
// fetching it with the account's credentials would hand them (and the worker's reach) to its host.
import type { Config } from "../config";
import type { Env } from "../env";
import { carrierAccess, carrierRest } from "./rest";

/** Twilio's RecordingSid: "RE" and 32 hex digits (Recording resource, `sid`). */
export const RECORDING_SID_PATTERN = /^RE[0-9a-fA-F]{32}$/;
/** A Range header the worker passes on: one or more byte ranges, nothing else (RFC 9110 §14.1.2). */
const RANGE_PATTERN = /^bytes=\s*(\d*-\d*)(\s*,\s*\d*-\d*){0,7}$/;
/** How long the carrier may take to start answering; the body then streams for as long as it needs. */
const HEADERS_TIMEOUT_MS = 15_000;
/** Redirects the worker follows (Twilio may answer the media URL with one to its storage). */
const MAX_REDIRECTS = 3;

interface Carrier {
  apiBase: string;
  accountSid: string;
  authorization: string;
  fetch: (request: Request) => Promise<Response>;
}

/** The REST client's access (worker/twilio/rest.ts), as HTTP Basic for plain fetches of media. */
function carrier(env: Env, config: Config, exports: unknown): Carrier {
  const access = carrierAccess(env, config, exports);
  return { apiBase: access.apiBase, accountSid: access.accountSid, authorization: "Basic " + btoa(`${access.user}:${access.secret}`), fetch: (r) => access.fetch(r) };
}

/** Twilio's media URL of a recording, as WAV ("Fetch a Recording media file": no extension or .wav). */
export function recordingMediaUrl(apiBase: string, accountSid: string, recordingSid: string): string {
  return `${apiBase}/2010-04-01/Accounts/${accountSid}/Recordings/${recordingSid}.wav`;
}

export type MediaResult =
  | { ok: true; response: Response }
  /** gone: the carrier has no such recording (404); refused: our credentials were not accepted; failed: anything else. */
  | { ok: false; why: "gone" | "refused" | "failed"; status: number | null };

/**
 * Asks the carrier for a recording's audio, passing `range` on so that the player can seek: Twilio
 * (and its storage, if it redirects there) answers 206 with Content-Range. The credentials go only to
 * the carrier's own origin; a redirect elsewhere is followed without them (a pre-signed storage URL
 * refuses a request that carries a second credential).
 */
export async function fetchRecordingMedia(env: Env, config: Config, exports: unknown, recordingSid: string, range: string | null): Promise<MediaResult> {
  if (!RECORDING_SID_PATTERN.test(recordingSid)) return { ok: false, why: "gone", status: null };
  const c = carrier(env, config, exports);
  let url = new URL(recordingMediaUrl(c.apiBase, c.accountSid, recordingSid));
  const origin = url.origin;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error("the carrier did not answer in time")), HEADERS_TIMEOUT_MS);
  try {
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const headers = new Headers();
      if (url.origin === origin) headers.set("Authorization", c.authorization);
      if (range && RANGE_PATTERN.test(range)) headers.set("Range", range);
      const res = await c.fetch(new Request(url, { headers, redirect: "manual", signal: abort.signal }));
      const location = res.headers.get("Location");
      if (res.status >= 300 && res.status < 400 && location) {
        await res.body?.cancel();
        const next = new URL(location, url);
        if (next.protocol !== "https:" && next.origin !== origin) return { ok: false, why: "failed", status: res.status };
        url = next;
        continue;
      }
      if (res.ok || res.status === 416) return { ok: true, response: res };
      await res.body?.cancel();
      const why = res.status === 404 ? "gone" : res.status === 401 || res.status === 403 ? "refused" : "failed";
      return { ok: false, why, status: res.status };
    }
    return { ok: false, why: "failed", status: null };
  } catch {
    return { ok: false, why: "failed", status: null };
  } finally {
    clearTimeout(timer);
  }
}

/** What deleting a recording at the carrier came to: a 404 means it is already gone, which is as good. */
export type DeleteOutcome = "deleted" | "gone" | "failed";

/** DELETE /2010-04-01/Accounts/{AccountSid}/Recordings/{RecordingSid}.json (Twilio answers 204). */
export async function deleteRecording(env: Env, config: Config, exports: unknown, recordingSid: string): Promise<{ outcome: DeleteOutcome; error: string | null }> {
  if (!RECORDING_SID_PATTERN.test(recordingSid)) return { outcome: "gone", error: null };
  try {
    await carrierRest(env, config, exports).recordings(recordingSid).remove();
    return { outcome: "deleted", error: null };
  } catch (err) {
    const e = err as { status?: number };
    if (e.status === 404) return { outcome: "gone", error: null };
    return { outcome: "failed", error: String(err).slice(0, 300) };
  }
}
