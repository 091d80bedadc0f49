import type { Env } from "./env";
import { E164 } from "./protocol";
import { oncePer } from "./memo";

/** Signs the simulator's webhooks when CARRIER=simulator has no TWILIO_AUTH_TOKEN; never accepted in any other mode. */
export const LOCAL_AUTH_TOKEN = "local-simulator-auth-token";
/** The account the local carrier simulator answers for. */
export const LOCAL_ACCOUNT_SID = "AC" + "0".repeat(32);
export const DEFAULT_TWILIO_API_BASE = "https://api.twilio.com";
/** The simulator's one number: the caller ID of outbound calls in simulator mode. */
export const LOCAL_NUMBER = "+15550100000";

/** Who carries the calls: a Twilio account, or the built-in simulator (local development only). */
export type Carrier = "twilio" | "simulator";

export interface Config {
  /**
   * Set only when CARRIER names a carrier and what it needs is there; null means the worker refuses
   * calls (webhooks answer 503, /healthz and GET /api/me say why) and no token is accepted.
   */
  carrier: Carrier | null;
  /** Why `carrier` is null, naming the fix; null when it is set. */
  carrierError: string | null;
  authToken: string | null;
  publicUrl: string | null;
  /** Host names besides localhost and PUBLIC_URL's that the simulator-mode server answers for (ALLOWED_HOSTS). */
  allowedHosts: string[];
  apiBase: string;
  /** The longest a caller waits for an agent, per wait (then voicemail, or back to the lot). */
  ringTimeoutSeconds: number;
  claimLeaseMs: number;
  /** With no callback for this long, a call session asks Twilio where its call is. */
  reconcileMs: number;
  /** How long one REST request to Twilio may take before it counts as a (possibly applied) timeout. */
  restTimeoutMs: number;
  pingTimeoutMs: number;
  sessionTtlMs: number;
  voicemailGreeting: string;
  voicemailMaxSeconds: number;
  parkSlots: number;
  parkTimeoutMs: number;
  /** After-call work: how long an agent whose call ended is not rung (0: never). */
  wrapUpMs: number;
  /** Rings in a row an agent lets time out before they are set away ("Missed 3 calls"); 0: never. */
  autoPauseAfter: number;
  /** The reports' service level: the share of offered calls answered within this many seconds (docs/reports.md). */
  serviceLevelSeconds: number;
  /** Callers who give up waiting sooner than this are left out of the service level (0: none). */
  shortAbandonSeconds: number;
  /** Absolute, or null: the worker's own /audio/hold.wav. */
  holdMusicUrl: string | null;
  /** What a caller hears first in the lobby. */
  lobbyGreeting: string;
  /** The caller ID of outbound calls (OUTBOUND_CALLER_ID, a number of the Twilio account); null: no outbound calls. */
  callerId: string | null;
  /** How long Twilio rings an outbound call's callee before giving up (no-answer). */
  dialTimeoutSeconds: number;
  /** The number prefixes agents may call (DIAL_ALLOWED_PREFIXES, e.g. +1 and +44); null: any number. */
  dialAllowedPrefixes: string[] | null;
  /** Storage retention, in milliseconds (worker/retention.ts; a call session's own storage: CallSession.ts). */
  retention: { voicemailMs: number; recordingMs: number; callMs: number; ringEventMs: number; callSessionMs: number };
}

function numberVar(raw: string | undefined, fallback: number, min: number, max: number, name: string): number {
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`${name} must be a number from ${min} to ${max}, got "${raw}"`);
  return n;
}

function phoneNumberVar(raw: string | undefined, name: string): string | null {
  if (!raw) return null;
  if (!E164.test(raw)) throw new Error(`${name} must be a phone number in E.164 form such as +15551230000, got "${raw}"`);
  return raw;
}

/** A list of E.164 prefixes ("+1, +44"); unset or empty: null. */
function prefixesVar(raw: string | undefined, name: string): string[] | null {
  const list = (raw ?? "").split(/[\s,]+/).filter(Boolean);
  const bad = list.find((p) => !/^\+[1-9][0-9]{0,14}$/.test(p));
  if (bad !== undefined) throw new Error(`${name} must list number prefixes with their + such as "+1, +44", got "${bad}"`);
  return list.length ? list : null;
}

function httpUrl(raw: string | undefined, name: string): string | null {
  if (!raw) return null;
  if (!/^https?:\/\/[^\s<>"]+$/.test(raw)) throw new Error(`${name} must be an http(s) URL of an audio file, got "${raw}"`);
  return raw;
}

/**
 * The carrier is chosen by CARRIER alone, never guessed: guessing from TWILIO_ACCOUNT_SID is what let a
 * deployment that forgot it run the simulator. Even with the SID set, an unset CARRIER refuses (naming
 * the fix), so that there is one rule, and a deployment upgraded from that guess fails loudly, not by luck.
 */
function chooseCarrier(env: Env): { carrier: Carrier; carrierError: null } | { carrier: null; carrierError: string } {
  const refuse = (why: string) => ({ carrier: null, carrierError: `not configured: ${why}` });
  const raw = env.CARRIER?.trim() ?? "";
  if (raw === "simulator") return { carrier: "simulator", carrierError: null };
  if (raw === "twilio") {
    const missing = (["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"] as const).filter((k) => !env[k]);
    if (missing.length) return refuse(`CARRIER is "twilio" but ${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not set (npm run setup:twilio prints what to set)`);
    if (!/^AC[0-9a-fA-F]{32}$/.test(env.TWILIO_ACCOUNT_SID ?? "")) return refuse("TWILIO_ACCOUNT_SID must be AC followed by 32 hex digits");
    return { carrier: "twilio", carrierError: null };
  }
  if (raw === "") {
    return refuse(
      env.TWILIO_ACCOUNT_SID
        ? 'set CARRIER = "twilio" under [vars] in wrangler.toml (TWILIO_ACCOUNT_SID alone no longer chooses Twilio)'
        : 'set CARRIER = "twilio" (with TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN), or "simulator" for local development',
    );
  }
  return refuse(`CARRIER must be "twilio" or "simulator", got "${raw.slice(0, 40)}"`);
}

/** PUBLIC_URL as an origin (scheme, host, port): signatures are checked over it + path + query. */
function publicOrigin(raw: string | undefined): string | null {
  if (!raw) return null;
  let url: URL | null = null;
  try {
    url = new URL(raw);
  } catch {
    // reported below
  }
  if (!url || (url.protocol !== "https:" && url.protocol !== "http:") || url.origin !== raw.replace(/\/+$/, "").toLowerCase()) {
    throw new Error(`PUBLIC_URL must be an origin such as https://ringall.example.com (no path), got "${raw}"`);
  }
  return url.origin;
}

const DAY_MS = 86_400_000;

/** Read once per env object: every request and every call decision asks for it. */
export const readConfig: (env: Env) => Config = oncePer(parseConfig);

function parseConfig(env: Env): Config {
  const { carrier, carrierError } = chooseCarrier(env);
  const ringTimeoutSeconds = numberVar(env.RING_TIMEOUT_SECONDS, 60, 1, 3600, "RING_TIMEOUT_SECONDS");
  return {
    carrier,
    carrierError,
    // The published local token signs only the simulator's own webhooks: with no carrier, or Twilio's,
    // a missing token rejects every webhook instead of falling back to it.
    authToken: carrier === "simulator" ? env.TWILIO_AUTH_TOKEN || LOCAL_AUTH_TOKEN : carrier === "twilio" ? (env.TWILIO_AUTH_TOKEN ?? null) : null,
    publicUrl: publicOrigin(env.PUBLIC_URL),
    // Host names only: a port given with one ("dev.example.test:8787") is dropped.
    allowedHosts: (env.ALLOWED_HOSTS ?? "")
      .split(",")
      .map((h) => h.trim().toLowerCase().replace(/:\d+$/, ""))
      .filter(Boolean),
    apiBase: (env.TWILIO_API_BASE || DEFAULT_TWILIO_API_BASE).replace(/\/+$/, ""),
    ringTimeoutSeconds,
    // Covers the connect: Twilio's signalling, our /twilio/connect, ICE and the conference join
    // (Twilio publishes no figure; one user measured a mean of 3 s and a p95 of 6 s).
    claimLeaseMs: numberVar(env.CLAIM_LEASE_SECONDS, 15, 0.05, 120, "CLAIM_LEASE_SECONDS") * 1000,
    reconcileMs: numberVar(env.RECONCILE_SECONDS, 60, 1, 3600, "RECONCILE_SECONDS") * 1000,
    restTimeoutMs: numberVar(env.TWILIO_REST_TIMEOUT_SECONDS, 10, 0.1, 60, "TWILIO_REST_TIMEOUT_SECONDS") * 1000,
    pingTimeoutMs: numberVar(env.CONSOLE_PING_TIMEOUT_SECONDS, 30, 1, 3600, "CONSOLE_PING_TIMEOUT_SECONDS") * 1000,
    sessionTtlMs: numberVar(env.SESSION_TTL_HOURS, 12, 0.01, 24 * 30, "SESSION_TTL_HOURS") * 3_600_000,
    voicemailGreeting:
      env.VOICEMAIL_GREETING || "Sorry, nobody can take your call right now. Please leave a message after the tone.",
    voicemailMaxSeconds: numberVar(env.VOICEMAIL_MAX_SECONDS, 120, 5, 3600, "VOICEMAIL_MAX_SECONDS"),
    parkSlots: Math.floor(numberVar(env.PARK_SLOTS, 10, 1, 100, "PARK_SLOTS")),
    parkTimeoutMs: numberVar(env.PARK_TIMEOUT_SECONDS, 180, 1, 3600, "PARK_TIMEOUT_SECONDS") * 1000,
    wrapUpMs: numberVar(env.WRAP_UP_SECONDS, 30, 0, 3600, "WRAP_UP_SECONDS") * 1000,
    autoPauseAfter: Math.floor(numberVar(env.AUTO_PAUSE_AFTER, 3, 0, 100, "AUTO_PAUSE_AFTER")),
    serviceLevelSeconds: numberVar(env.SERVICE_LEVEL_SECONDS, 20, 1, 3600, "SERVICE_LEVEL_SECONDS"),
    shortAbandonSeconds: numberVar(env.SHORT_ABANDON_SECONDS, 0, 0, 600, "SHORT_ABANDON_SECONDS"),
    holdMusicUrl: httpUrl(env.HOLD_MUSIC_URL, "HOLD_MUSIC_URL"),
    callerId: phoneNumberVar(env.OUTBOUND_CALLER_ID, "OUTBOUND_CALLER_ID") ?? (carrier === "simulator" ? LOCAL_NUMBER : null),
    dialTimeoutSeconds: numberVar(env.DIAL_TIMEOUT_SECONDS, 30, 5, 600, "DIAL_TIMEOUT_SECONDS"),
    dialAllowedPrefixes: prefixesVar(env.DIAL_ALLOWED_PREFIXES, "DIAL_ALLOWED_PREFIXES"),
    lobbyGreeting: env.LOBBY_GREETING || "Thank you for calling. Please hold while we find someone to take your call.",
    retention: {
      voicemailMs: numberVar(env.VOICEMAIL_RETENTION_DAYS, 90, 1, 36_500, "VOICEMAIL_RETENTION_DAYS") * DAY_MS,
      // Call recordings are personal data like voicemails: kept as long unless set apart.
      recordingMs:
        numberVar(env.RECORDING_RETENTION_DAYS, numberVar(env.VOICEMAIL_RETENTION_DAYS, 90, 1, 36_500, "VOICEMAIL_RETENTION_DAYS"), 1, 36_500, "RECORDING_RETENTION_DAYS") * DAY_MS,
      callMs: numberVar(env.CALL_RETENTION_DAYS, 400, 1, 36_500, "CALL_RETENTION_DAYS") * DAY_MS,
      ringEventMs: numberVar(env.RING_EVENT_RETENTION_DAYS, 90, 1, 36_500, "RING_EVENT_RETENTION_DAYS") * DAY_MS,
      callSessionMs: numberVar(env.CALL_SESSION_RETENTION_DAYS, 2, 0.0001, 365, "CALL_SESSION_RETENTION_DAYS") * DAY_MS,
    },
  };
}
