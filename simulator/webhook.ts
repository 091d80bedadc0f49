import { readConfig } from "../worker/config";
import type { Env } from "../worker/env";
import { log } from "../worker/log";
import { sign } from "../worker/twilio/signature";

/** Twilio gives a call webhook 15 s before it gives up on it. */
const TWILIO_WEBHOOK_TIMEOUT_MS = 15_000;

export interface Delivery {
  ok: boolean;
  status: number;
  body: string;
}

interface Loopback {
  default: { fetch(request: Request): Promise<Response> };
}

/**
 * POSTs a webhook the way Twilio does: form-encoded, with X-Twilio-Signature over the exact URL and
 * parameters. It reaches the product through the worker's own entrypoint (ctx.exports), so the
 * URL's host may be PUBLIC_URL's and nothing leaves the machine.
 */
export async function deliver(ctx: DurableObjectState, env: Env, url: string, params: Record<string, string>): Promise<Delivery> {
  const token = readConfig(env).authToken ?? "";
  const request = new Request(url, {
    method: "POST",
    headers: {
      "Content-Type": "application/x-www-form-urlencoded",
      "X-Twilio-Signature": sign(token, url, params),
      "I-Twilio-Idempotency-Token": crypto.randomUUID(),
      "User-Agent": "TwilioProxy/1.1 (ringall carrier simulator)",
    },
    body: new URLSearchParams(params).toString(),
    signal: AbortSignal.timeout(TWILIO_WEBHOOK_TIMEOUT_MS),
  });
  try {
    const res = await (ctx.exports as unknown as Loopback).default.fetch(request);
    const body = await res.text();
    if (!res.ok) log("sim.webhook_failed", { callSid: params.ParentCallSid ?? params.CallSid, url, status: res.status, body: body.slice(0, 200) }, "warn");
    return { ok: res.ok, status: res.status, body };
  } catch (err) {
    log("sim.webhook_failed", { callSid: params.CallSid, url, error: String(err) }, "warn");
    return { ok: false, status: 0, body: "" };
  }
}
