import twilio from "twilio";
import { type Config, LOCAL_ACCOUNT_SID } from "../config";
import type { Env } from "../env";

/** What the twilio client hands its httpClient (a subset of RequestClient.RequestOptions). */
interface HttpRequest {
  method: string;
  uri: string;
  username?: string;
  password?: string;
  headers?: Record<string, string>;
  params?: Record<string, unknown>;
  data?: Record<string, unknown>;
  timeout?: number;
}

const TWILIO_ORIGIN = "https://api.twilio.com";

function form(data: Record<string, unknown>): string {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(data)) {
    if (v === undefined || v === null) continue;
    for (const item of Array.isArray(v) ? v : [v]) body.append(k, String(item));
  }
  return body.toString();
}

/** 429 (Twilio's 20429) is "never processed and always safe to retry": up to this many more tries. */
const MAX_429_RETRIES = 3;
const MAX_429_DELAY_MS = 3000;

/**
 * The twilio client's default transport is axios over node:https, which Workers do not have
 * (twilio-node#1096): this one speaks fetch, and sends every call to TWILIO_API_BASE, which is
 * Twilio in production and the carrier simulator locally. twilio-node's own retry of 429s lives in
 * its default RequestClient, so this client does it itself.
 */
export function fetchHttpClient(apiBase: string, doFetch: typeof fetch = fetch, timeoutMs = 10_000) {
  const once = async (opts: HttpRequest) => {
      const url = new URL(opts.uri.startsWith(TWILIO_ORIGIN) ? apiBase + opts.uri.slice(TWILIO_ORIGIN.length) : opts.uri);
      for (const [k, v] of Object.entries(opts.params ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
      const headers = new Headers(opts.headers);
      headers.delete("User-Agent");
      if (opts.username) headers.set("Authorization", "Basic " + btoa(`${opts.username}:${opts.password ?? ""}`));
      let body: string | undefined;
      if (opts.data && opts.method.toUpperCase() !== "GET") {
        headers.set("Content-Type", "application/x-www-form-urlencoded");
        body = form(opts.data);
      }
      // A timer cleared once answered: AbortSignal.timeout() would keep a Durable Object busy for 15 s.
      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(new Error("Twilio REST request timed out")), timeoutMs);
      try {
        const res = await doFetch(url.toString(), { method: opts.method.toUpperCase(), headers, body, signal: abort.signal });
        return { statusCode: res.status, body: await res.text(), headers: Object.fromEntries(res.headers) };
      } finally {
        clearTimeout(timer);
      }
  };
  return {
    async request(opts: HttpRequest) {
      for (let retry = 0; ; retry++) {
        const res = await once(opts);
        if (res.statusCode !== 429 || retry >= MAX_429_RETRIES) return res;
        await new Promise((r) => setTimeout(r, Math.min(MAX_429_DELAY_MS, 100 * 2 ** retry + Math.random() * 100)));
      }
    },
  };
}

/** What a failed REST request means for the call (Twilio's error codes; twilio-node's RestException). */
export type RestFailure = "gone" | "refused" | "transient";

export function classifyRestError(err: unknown): RestFailure {
  const e = err as { status?: number; code?: number };
  // 21220: the call is not in progress; 20404: no such call. Either way the call is over.
  if (e.code === 21220 || e.code === 20404 || e.status === 404) return "gone";
  // Any other 4xx but 429 did nothing; 429 (after our retries), 5xx, timeouts and network errors may have.
  if (typeof e.status === "number" && e.status >= 400 && e.status < 500 && e.status !== 429) return "refused";
  return "transient";
}

/** Where the carrier's REST API is, and as whom the product calls it. */
export interface CarrierAccess {
  apiBase: string;
  accountSid: string;
  /** The API key when there is one, else the account SID and its auth token. */
  user: string;
  secret: string;
  fetch: typeof fetch;
}

interface Loopback {
  default: { fetch(request: Request): Promise<Response> };
}

/** Where the product's REST calls go locally: the simulator's REST API, reached without leaving workerd (localhost: a name the host guard accepts). */
export const SIMULATOR_API_BASE = "http://localhost/sim/api";

/**
 * Twilio's API in Twilio mode, else the built-in carrier simulator through the worker's own
 * entrypoint (`exports` is a Durable Object's ctx.exports, or the worker's own).
 */
export function carrierAccess(env: Env, config: Config, exports: unknown): CarrierAccess {
  const accountSid = env.TWILIO_ACCOUNT_SID || LOCAL_ACCOUNT_SID;
  const [user, secret] = env.TWILIO_API_KEY_SID && env.TWILIO_API_KEY_SECRET ? [env.TWILIO_API_KEY_SID, env.TWILIO_API_KEY_SECRET] : [accountSid, config.authToken ?? ""];
  if (config.carrier !== "simulator") return { apiBase: config.apiBase, accountSid, user, secret, fetch: (input, init) => fetch(input, init) };
  const loopback = (exports as Loopback).default;
  const viaWorker = ((input: RequestInfo | URL, init?: RequestInit) => loopback.fetch(new Request(input, init))) as typeof fetch;
  return { apiBase: SIMULATOR_API_BASE, accountSid, user, secret, fetch: viaWorker };
}

/** The official REST client over a carrier's access. */
export function twilioRest(access: CarrierAccess, config: Config) {
  return twilio(access.user, access.secret, { accountSid: access.accountSid, httpClient: fetchHttpClient(access.apiBase, access.fetch, config.restTimeoutMs) as never });
}

/** The REST client for this deployment. */
export function carrierRest(env: Env, config: Config, exports: unknown) {
  return twilioRest(carrierAccess(env, config, exports), config);
}

/**
 * Whether a recording this product started by REST is running on the call now, by Twilio's list of
 * the call's recordings: what makes retrying a create that may have been applied safe.
 */
export async function isRecording(rest: ReturnType<typeof twilioRest>, callSid: string): Promise<boolean> {
  const page = await rest.calls(callSid).recordings.page({ pageSize: 20 });
  return page.instances.some((r) => r.source === "StartCallRecordingAPI" && (r.status === "in-progress" || r.status === "paused"));
}
