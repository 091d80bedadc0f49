import type { Env } from "./env";
import { oncePer } from "./memo";

/** Used by the simulator and the worker when neither TWILIO_ACCOUNT_SID nor TWILIO_AUTH_TOKEN is set. */
export const LOCAL_AUTH_TOKEN = "local-simulator-auth-token";
/** The account the local carrier simulator answers for when no TWILIO_ACCOUNT_SID is set. */
export const LOCAL_ACCOUNT_SID = "AC" + "0".repeat(32);
export const DEFAULT_TWILIO_API_BASE = "https://api.twilio.com";

export interface Config {
  twilioMode: boolean;
  authToken: string | null;
  publicUrl: string | null;
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
  /** Absolute, or null: the worker's own /audio/hold.wav. */
  holdMusicUrl: string | null;
  /** What a caller hears first in the lobby. */
  lobbyGreeting: string;
}

function numberVar(raw: string | undefined, fallback: number, min: number, max: number, name: string): number {
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`${name} must be a number from ${min} to ${max}, got "${raw}"`);
  return n;
}

function httpUrl(raw: string | undefined, name: string): string | null {
  if (!raw) return null;
  if (!/^https?:\/\/[^\s<>"]+$/.test(raw)) throw new Error(`${name} must be an http(s) URL of an audio file, got "${raw}"`);
  return raw;
}

/** Read once per env object: every request and every call decision asks for it. */
export const readConfig: (env: Env) => Config = oncePer(parseConfig);

function parseConfig(env: Env): Config {
  const twilioMode = Boolean(env.TWILIO_ACCOUNT_SID);
  const ringTimeoutSeconds = numberVar(env.RING_TIMEOUT_SECONDS, 60, 1, 3600, "RING_TIMEOUT_SECONDS");
  return {
    twilioMode,
    // In Twilio mode a missing token must reject every webhook, never fall back to a known default.
    authToken: env.TWILIO_AUTH_TOKEN || (twilioMode ? null : LOCAL_AUTH_TOKEN),
    publicUrl: env.PUBLIC_URL ? env.PUBLIC_URL.replace(/\/+$/, "") : null,
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
    holdMusicUrl: httpUrl(env.HOLD_MUSIC_URL, "HOLD_MUSIC_URL"),
    lobbyGreeting: env.LOBBY_GREETING || "Thank you for calling. Please hold while we find someone to take your call.",
  };
}
