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

/** The official REST client, authenticated with the API key when there is one, else the auth token. */
export function twilioRest(env: Env, config: Config, doFetch: typeof fetch = fetch) {
  const accountSid = env.TWILIO_ACCOUNT_SID || LOCAL_ACCOUNT_SID;
  const [user, secret] = env.TWILIO_API_KEY_SID && env.TWILIO_API_KEY_SECRET ? [env.TWILIO_API_KEY_SID, env.TWILIO_API_KEY_SECRET] : [accountSid, config.authToken ?? ""];
  return twilio(user, secret, { accountSid, httpClient: fetchHttpClient(config.apiBase, doFetch, config.restTimeoutMs) as never });
}

interface Loopback {
  default: { fetch(request: Request): Promise<Response> };
}

/** Where the product's REST calls go locally: the simulator's REST API, reached without leaving workerd (localhost: a name the host guard accepts). */
export const SIMULATOR_API_BASE = "http://localhost/sim/api";

/**
 * The REST client for this deployment: Twilio's API in Twilio mode, else the built-in carrier
 * simulator through the worker's own entrypoint (`exports` is a Durable Object's ctx.exports).
 */
export function carrierRest(env: Env, config: Config, exports: unknown) {
  if (config.carrier !== "simulator") return twilioRest(env, config);
  const loopback = (exports as Loopback).default;
  return twilioRest(env, { ...config, apiBase: SIMULATOR_API_BASE }, ((input: RequestInfo | URL, init?: RequestInit) =>
    loopback.fetch(new Request(input, init))) as typeof fetch);
}
