import { DurableObject } from "cloudflare:workers";
import type { Env } from "../worker/env";
import { log } from "../worker/log";
import { type CarrierToPhone, type IncomingLeg, parsePhoneMessage } from "./phoneProtocol";

export const CARRIER_NAME = "carrier";
export const IDENTITY_HEADER = "X-Sim-Identity";
const CALL_INDEX_PREFIX = "call:";
const KEEP_CALLS = 200;

export interface SimCallSummary {
  callSid: string;
  from: string;
  to: string;
  status: string;
  startedAt: number;
}

/**
 * The simulated carrier's switch: every simulated phone's WebSocket (one "device" per console, keyed
 * by Client identity) and an index of the simulated calls. The calls themselves run in SimCall objects.
 */
export class SimCarrier extends DurableObject<Env> {
  async fetch(request: Request): Promise<Response> {
    const identity = request.headers.get(IDENTITY_HEADER);
    if (request.headers.get("Upgrade") !== "websocket" || !identity) return new Response("expected a WebSocket upgrade", { status: 426 });
    const pair = new WebSocketPair();
    this.ctx.acceptWebSocket(pair[1], [identity]);
    pair[1].serializeAttachment({ identity });
    pair[1].send(JSON.stringify({ type: "registered", identity } satisfies CarrierToPhone));
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  /** Sends to every device registered with this identity; false when none is (the leg rings nowhere). */
  notify(identity: string, msg: CarrierToPhone): boolean {
    const sockets = this.ctx.getWebSockets(identity);
    const frame = JSON.stringify(msg);
    for (const ws of sockets) reply(ws, frame);
    return sockets.length > 0;
  }

  ring(identity: string, call: IncomingLeg): boolean {
    return this.notify(identity, { type: "incoming", call });
  }

  registered(identity: string): boolean {
    return this.ctx.getWebSockets(identity).length > 0;
  }

  async webSocketMessage(ws: WebSocket, raw: string | ArrayBuffer): Promise<void> {
    if (raw === "ping") return reply(ws, "pong");
    const { identity } = ws.deserializeAttachment() as { identity: string };
    const msg = parsePhoneMessage(raw);
    if (!msg) {
      return reply(ws, JSON.stringify({ type: "error", callSid: null, message: "unknown phone message" } satisfies CarrierToPhone));
    }
    const error = await this.env.SIM_CALLS.getByName(msg.parentCallSid).phone(identity, msg);
    if (error) {
      log("sim.phone_refused", { callSid: msg.parentCallSid, agentId: identity, action: msg.type, error }, "warn");
      reply(ws, JSON.stringify({ type: "error", callSid: msg.callSid, message: error } satisfies CarrierToPhone));
    }
  }

  webSocketClose(ws: WebSocket, code: number): void {
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, "bye");
    } catch {
      // already closed
    }
  }

  track(call: SimCallSummary): void {
    this.ctx.storage.kv.put(CALL_INDEX_PREFIX + String(call.startedAt).padStart(15, "0") + call.callSid, call);
    const keys = [...this.ctx.storage.kv.list({ prefix: CALL_INDEX_PREFIX })].map(([k]) => k);
    for (const k of keys.slice(0, Math.max(0, keys.length - KEEP_CALLS))) this.ctx.storage.kv.delete(k);
  }

  /** The simulated calls, newest first. */
  calls(): SimCallSummary[] {
    return [...this.ctx.storage.kv.list<SimCallSummary>({ prefix: CALL_INDEX_PREFIX, reverse: true })].map(([, v]) => v);
  }
}

/** A phone may hang up (close its socket) while its last action is still being applied. */
function reply(ws: WebSocket, frame: string): void {
  try {
    ws.send(frame);
  } catch {
    // closed meanwhile: nothing to tell
  }
}
