import { readConfig } from "../worker/config";
import type { Env } from "../worker/env";
import { log } from "../worker/log";
import { sign } from "../worker/twilio/signature";

/** Twilio gives a call webhook 15 s before it gives up on it. */
const TWILIO_WEBHOOK_TIMEOUT_MS = 15_000;

export type Method = "GET" | "POST";

export interface Delivery {
  ok: boolean;
  status: number;
  body: string;
  contentType: string;
}

interface Loopback {
  default: { fetch(request: Request): Promise<Response> };
}

/**
 * Requests a webhook the way Twilio does: a form-encoded POST with X-Twilio-Signature over the exact
 * URL and parameters, or a GET with the parameters appended to the query string and the signature
 * over that full URL (no body parameters). It reaches the product through the worker's own
 * entrypoint (ctx.exports), so the URL's host may be PUBLIC_URL's and nothing leaves the machine.
 */
export async function deliver(ctx: DurableObjectState, env: Env, url: string, params: Record<string, string>, method: Method = "POST"): Promise<Delivery> {
  const token = readConfig(env).authToken ?? "";
  let target = url;
  let init: RequestInit;
  const headers: Record<string, string> = {
    "I-Twilio-Idempotency-Token": crypto.randomUUID(),
    "User-Agent": "TwilioProxy/1.1 (ringall carrier simulator)",
  };
  if (method === "GET") {
    const u = new URL(url);
    for (const [k, v] of Object.entries(params)) u.searchParams.append(k, v);
    target = u.toString();
    init = { method, headers: { ...headers, "X-Twilio-Signature": sign(token, target, {}) } };
  } else {
    init = {
      method,
      headers: { ...headers, "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": sign(token, url, params) },
      body: new URLSearchParams(params).toString(),
    };
  }
  const request = new Request(target, { ...init, signal: AbortSignal.timeout(TWILIO_WEBHOOK_TIMEOUT_MS) });
  const callSid = params.CallSid ?? params.ConferenceSid;
  try {
    const res = await (ctx.exports as unknown as Loopback).default.fetch(request);
    const contentType = res.headers.get("Content-Type") ?? "";
    // An audio answer (a waitUrl may be MP3 or WAV) is played, never read as text: drain it.
    const body = /^audio\//i.test(contentType) ? (await res.arrayBuffer(), "") : await res.text();
    if (!res.ok) log("sim.webhook_failed", { callSid, url, status: res.status, body: body.slice(0, 200) }, "warn");
    return { ok: res.ok, status: res.status, body, contentType };
  } catch (err) {
    log("sim.webhook_failed", { callSid, url, error: String(err) }, "warn");
    return { ok: false, status: 0, body: "", contentType: "" };
  }
}
