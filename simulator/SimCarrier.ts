import { DurableObject } from "cloudflare:workers";
import type { Env } from "../worker/env";
import { log } from "../worker/log";
import type { AccountKind, AccountRecords, SimApp, SimKey, SimNumber } from "./accountRest";
import { type CarrierToPhone, PHONE_ERRORS, parsePhoneMessage } from "./phoneProtocol";
import { newSid } from "./sids";

export const CARRIER_NAME = "carrier";
export const IDENTITY_HEADER = "X-Sim-Identity";
/** The origin the phone's legs request the TwiML App at (PUBLIC_URL or the console's origin). */
export const BASE_HEADER = "X-Sim-Base";
/** The signed-in session's token hash: the phone closes when that session ends (closePhones). */
export const SIM_SESSION_HEADER = "X-Sim-Session";
const CALL_INDEX_PREFIX = "call:";
const LEG_PREFIX = "leg:";
const FAULT_PREFIX = "fault:";
const RECORDING_PREFIX = "recording:";
const ACCOUNT_PREFIX = "account:";
const CALLEE_PREFIX = "callee:";
/** The simulator keeps the latest recordings; an older one is gone, as if deleted. */
const KEEP_RECORDINGS = 1000;
const KEEP_CALLS = 200;
const KEEP_ENDED_LEGS_MS = 3_600_000;

/**
 * Names Twilio itself sends to the TwiML App: a custom param of the same name would collide, with an
 * outcome no Twilio document states, so the simulator refuses it.
 */
const TWILIO_PARAM_NAMES = new Set(["AccountSid", "ApiVersion", "ApplicationSid", "CallSid", "CallStatus", "Called", "Caller", "Direction", "From", "To"]);

export interface SimCallSummary {
  callSid: string;
  kind: "caller" | "agent" | "callee";
  /** The agent's identity for an agent leg, else null. */
  identity: string | null;
  from: string;
  to: string;
  status: string;
  startedAt: number;
}

interface SocketInfo {
  identity: string;
  socketId: string;
  base: string;
}

interface LegEntry {
  callSid: string;
  identity: string;
  ref: string;
  socketId: string;
  live: boolean;
  ringingSent: boolean;
  createdAt: number;
}

/** A recording made by <Record>, or by the REST API on a call: its media is a generated WAV of this length. */
export interface SimRecording {
  recordingSid: string;
  callSid: string;
  accountSid: string;
  seconds: number;
  createdAt: number;
  /** The Recording resource's `channels` and `source`; absent: a <Record> (1, RecordVerb). */
  channels?: 1 | 2;
  source?: "RecordVerb" | "StartCallRecordingAPI";
}

/**
 * How the simulated person at a number answers an outbound call (POST /sim/callees): pick up, decline
 * (Twilio reports busy), or let it ring until the call's Timeout (no-answer), after ringing this long.
 */
export const CALLEE_ANSWERS = ["answer", "decline", "no-answer"] as const;
export interface CalleeRule {
  answer: (typeof CALLEE_ANSWERS)[number];
  /** Seconds of ringing before they answer or decline (simulated seconds). */
  afterSeconds: number;
  /** Seconds after answering that they hang up; null: they stay until the agent ends the call. */
  hangupAfter: number | null;
}
/** A number nobody set up: answers after two rings, and stays. */
export const DEFAULT_CALLEE: CalleeRule = { answer: "answer", afterSeconds: 2, hangupAfter: null };

/** What the product's REST calls can be made to suffer (POST /sim/faults). */
export const FAULTS = ["timeout-applied", "timeout", "429", "500", "21220"] as const;
export type FaultKind = (typeof FAULTS)[number];
export const FAULT_OPS = ["update", "fetch", "delete", "record"] as const;
export type FaultOp = (typeof FAULT_OPS)[number];

export interface FaultRule {
  id: string;
  /** Only REST requests about this call; null: any call. */
  callSid: string | null;
  fault: FaultKind;
  /** Which REST request: "update" (POST …/Calls/{sid}.json), "fetch" (GET), "delete" (DELETE of one of the call's recordings), or "record" (POST …/Calls/{sid}/Recordings.json). */
  op: FaultOp;
  /** How many more matching requests it hits. */
  times: number;
  /** How long a timeout fault holds the HTTP answer. */
  holdMs: number;
  createdAt: number;
}

/**
 * The simulated carrier's switch: every simulated phone's WebSocket (a "device", tagged with its
 * Client identity and its own socket id), the index of agent legs (which socket placed which leg, so
 * that a phone only controls its own), the index of simulated calls, and the REST fault rules. The
 * calls themselves run in SimCall objects, the conferences in SimConference objects.
 */
export class SimCarrier extends DurableObject<Env> {
  async fetch(request: Request): Promise<Response> {
    const identity = request.headers.get(IDENTITY_HEADER);
    const base = request.headers.get(BASE_HEADER);
    if (request.headers.get("Upgrade") !== "websocket" || !identity || !base) return new Response("expected a WebSocket upgrade", { status: 426 });
    const pair = new WebSocketPair();
    const socketId = crypto.randomUUID();
    const session = request.headers.get(SIM_SESSION_HEADER);
    this.ctx.acceptWebSocket(pair[1], [identity, `sock:${socketId}`, ...(session ? [`session:${session}`] : [])]);
    pair[1].serializeAttachment({ identity, socketId, base } satisfies SocketInfo);
    pair[1].send(JSON.stringify({ type: "registered", identity } satisfies CarrierToPhone));
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  /** True while at least one phone of this identity is connected. */
  registered(identity: string): boolean {
    return this.ctx.getWebSockets(identity).length > 0;
  }

  /**
   * A SimCall's message about an agent leg, to the socket that placed it. "ringing" always goes first
   * (a fast leg may report before connect() has returned here); after "disconnect" the leg is no longer live.
   */
  toPhone(callSid: string, msg: CarrierToPhone): boolean {
    const leg = this.ctx.storage.kv.get<LegEntry>(LEG_PREFIX + callSid);
    if (!leg) return false;
    const ws = this.ctx.getWebSockets(`sock:${leg.socketId}`)[0];
    if (!leg.ringingSent) {
      leg.ringingSent = true;
      if (ws) reply(ws, { type: "ringing", ref: leg.ref, callSid });
    }
    if (msg.type === "disconnect") leg.live = false;
    this.ctx.storage.kv.put(LEG_PREFIX + callSid, leg);
    if (ws) reply(ws, msg);
    return Boolean(ws);
  }

  async webSocketMessage(ws: WebSocket, raw: string | ArrayBuffer): Promise<void> {
    if (raw === "ping") return void ws.send("pong");
    const me = ws.deserializeAttachment() as SocketInfo;
    const msg = parsePhoneMessage(raw);
    if (!msg) return reply(ws, { type: "error", ref: null, callSid: null, code: PHONE_ERRORS.unknown, message: "unknown phone message" });
    if (msg.type === "connect") return this.placeLeg(ws, me, msg.ref, msg.params);
    const leg = this.ctx.storage.kv.get<LegEntry>(LEG_PREFIX + msg.callSid);
    if (!leg || leg.identity !== me.identity) {
      log("sim.phone_refused", { callSid: msg.callSid, agentId: me.identity, action: msg.type }, "warn");
      return reply(ws, { type: "error", ref: null, callSid: msg.callSid, code: PHONE_ERRORS.unknown, message: "no such call on this phone's identity" });
    }
    // The SDK ignores disconnect() or mute() on a call that has already ended.
    if (!leg.live) return;
    const stub = this.env.SIM_CALLS.getByName(msg.callSid);
    const error = msg.type === "disconnect" ? await stub.phoneDisconnect(me.identity) : await stub.mute(me.identity, msg.muted);
    if (error) reply(ws, { type: "error", ref: leg.ref, callSid: leg.callSid, code: PHONE_ERRORS.unknown, message: error });
  }

  /**
   * The agent's session ended (signed out, expired, a new password, removed or disabled): the phones
   * of that session (`sessionHash`), or all of the identity's, close, and their calls' legs with them.
   */
  closePhones(identity: string, sessionHash: string | null, code: number, reason: string): number {
    const sockets = this.ctx.getWebSockets(sessionHash ? `session:${sessionHash}` : identity);
    for (const ws of sockets) {
      try {
        ws.close(code, reason);
      } catch {
        // already closed
      }
      this.webSocketClose(ws, code);
    }
    if (sockets.length > 0) log("sim.phones_closed", { agentId: identity, phones: sockets.length, reason });
    return sockets.length;
  }

  webSocketClose(ws: WebSocket, code: number): void {
    const me = ws.deserializeAttachment() as SocketInfo | null;
    try {
      ws.close(code === 1005 || code === 1006 ? 1000 : code, "bye");
    } catch {
      // already closed
    }
    if (!me) return;
    // The browser went away: its call's media ends, so Twilio ends the leg (participant_hung_up).
    for (const [, leg] of this.ctx.storage.kv.list<LegEntry>({ prefix: LEG_PREFIX })) {
      if (leg.socketId !== me.socketId || !leg.live) continue;
      leg.live = false;
      this.ctx.storage.kv.put(LEG_PREFIX + leg.callSid, leg);
      this.ctx.waitUntil(this.env.SIM_CALLS.getByName(leg.callSid).phoneDisconnect(leg.identity).then(() => undefined, () => undefined));
    }
  }

  /** device.connect(): a new agent leg from this socket. */
  private async placeLeg(ws: WebSocket, me: SocketInfo, ref: string, params: Record<string, string>): Promise<void> {
    const clash = Object.keys(params).find((k) => TWILIO_PARAM_NAMES.has(k));
    if (clash) return reply(ws, { type: "error", ref, callSid: null, code: PHONE_ERRORS.unknown, message: `custom parameter "${clash}" collides with Twilio's own` });
    const legs = [...this.ctx.storage.kv.list<LegEntry>({ prefix: LEG_PREFIX })].map(([, l]) => l);
    // The SDK's device.connect() throws InvalidStateError while the Device has a call.
    if (legs.some((l) => l.socketId === me.socketId && l.live)) {
      return reply(ws, { type: "error", ref, callSid: null, code: PHONE_ERRORS.unknown, message: "InvalidStateError: A Call is already active" });
    }
    for (const l of legs) if (!l.live && Date.now() - l.createdAt > KEEP_ENDED_LEGS_MS) this.ctx.storage.kv.delete(LEG_PREFIX + l.callSid);
    const callSid = newSid("CA");
    const leg: LegEntry = { callSid, identity: me.identity, ref, socketId: me.socketId, live: true, ringingSent: false, createdAt: Date.now() };
    this.ctx.storage.kv.put(LEG_PREFIX + callSid, leg);
    try {
      await this.env.SIM_CALLS.getByName(callSid).connectLeg({ callSid, identity: me.identity, ref, params, base: me.base });
    } catch (err) {
      log("sim.connect_failed", { agentId: me.identity, ref, error: String(err) }, "error");
      leg.live = false;
      this.ctx.storage.kv.put(LEG_PREFIX + callSid, leg);
      return reply(ws, { type: "error", ref, callSid: null, code: PHONE_ERRORS.unknown, message: "the simulator could not place the call" });
    }
    const now = this.ctx.storage.kv.get<LegEntry>(LEG_PREFIX + callSid) ?? leg;
    if (!now.ringingSent) {
      now.ringingSent = true;
      this.ctx.storage.kv.put(LEG_PREFIX + callSid, now);
      reply(ws, { type: "ringing", ref, callSid });
    }
  }

  // ---- the call index ----

  track(call: SimCallSummary): void {
    const key = CALL_INDEX_PREFIX + String(call.startedAt).padStart(15, "0") + call.callSid;
    this.ctx.storage.kv.put(key, call);
    const keys = [...this.ctx.storage.kv.list({ prefix: CALL_INDEX_PREFIX })].map(([k]) => k);
    for (const k of keys.slice(0, Math.max(0, keys.length - KEEP_CALLS))) this.ctx.storage.kv.delete(k);
  }

  /** The simulated calls (callers and agent legs), newest first. */
  calls(): SimCallSummary[] {
    return [...this.ctx.storage.kv.list<SimCallSummary>({ prefix: CALL_INDEX_PREFIX, reverse: true })].map(([, v]) => v);
  }

  // ---- recordings (their media is generated from the length; only the record is kept) ----

  addRecording(r: SimRecording): void {
    this.ctx.storage.kv.put(RECORDING_PREFIX + r.recordingSid, r);
    const keys = [...this.ctx.storage.kv.list({ prefix: RECORDING_PREFIX })].map(([k]) => k);
    if (keys.length <= KEEP_RECORDINGS) return;
    const oldest = keys
      .map((k) => this.ctx.storage.kv.get<SimRecording>(k)!)
      .sort((a, b) => a.createdAt - b.createdAt)
      .slice(0, keys.length - KEEP_RECORDINGS);
    for (const o of oldest) this.ctx.storage.kv.delete(RECORDING_PREFIX + o.recordingSid);
  }

  recording(recordingSid: string): SimRecording | null {
    return this.ctx.storage.kv.get<SimRecording>(RECORDING_PREFIX + recordingSid) ?? null;
  }

  /** A call's kept recordings, oldest first (its REST recordings once the call has ended, its <Record>s). */
  recordingsOf(callSid: string): SimRecording[] {
    return [...this.ctx.storage.kv.list<SimRecording>({ prefix: RECORDING_PREFIX })]
      .map(([, r]) => r)
      .filter((r) => r.callSid === callSid)
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  /** True if it existed. */
  deleteRecording(recordingSid: string): boolean {
    return this.ctx.storage.kv.delete(RECORDING_PREFIX + recordingSid);
  }

  // ---- REST fault injection ----

  setCallee(number: string, rule: CalleeRule): void {
    this.ctx.storage.kv.put(CALLEE_PREFIX + number, rule);
  }

  callee(number: string): CalleeRule {
    return this.ctx.storage.kv.get<CalleeRule>(CALLEE_PREFIX + number) ?? DEFAULT_CALLEE;
  }

  addFault(f: { callSid: string | null; fault: FaultKind; op: FaultOp; times: number; holdMs: number }): FaultRule {
    const rule: FaultRule = { id: crypto.randomUUID(), ...f, createdAt: Date.now() };
    this.ctx.storage.kv.put(FAULT_PREFIX + String(rule.createdAt).padStart(15, "0") + rule.id, rule);
    return rule;
  }

  /** The oldest rule matching this request, used up by one; null when none matches. */
  takeFault(callSid: string, op: FaultOp): FaultRule | null {
    for (const [key, rule] of this.ctx.storage.kv.list<FaultRule>({ prefix: FAULT_PREFIX })) {
      if (rule.op !== op || (rule.callSid !== null && rule.callSid !== callSid)) continue;
      if (rule.times <= 1) this.ctx.storage.kv.delete(key);
      else this.ctx.storage.kv.put(key, { ...rule, times: rule.times - 1 });
      return rule;
    }
    return null;
  }

  faults(): FaultRule[] {
    return [...this.ctx.storage.kv.list<FaultRule>({ prefix: FAULT_PREFIX })].map(([, v]) => v);
  }

  clearFaults(): number {
    const keys = [...this.ctx.storage.kv.list({ prefix: FAULT_PREFIX })].map(([k]) => k);
    for (const k of keys) this.ctx.storage.kv.delete(k);
    return keys.length;
  }

  // ---- the account's numbers, TwiML Apps and API keys (simulator/accountRest.ts) ----

  /** The numbers, with the simulator's own put in first if it is not there yet (one object: no race). */
  accountNumbers(seed: SimNumber): SimNumber[] {
    if (!this.record("number", seed.sid)) this.putRecord("number", seed);
    return this.records("number");
  }

  putAccountNumber(n: SimNumber): void {
    this.putRecord("number", n);
  }

  accountApps(): SimApp[] {
    return this.records("app");
  }

  accountApp(sid: string): SimApp | null {
    return this.record("app", sid);
  }

  putAccountApp(a: SimApp): void {
    this.putRecord("app", a);
  }

  accountKeys(): SimKey[] {
    return this.records("key");
  }

  accountKey(sid: string): SimKey | null {
    return this.record("key", sid);
  }

  putAccountKey(k: SimKey): void {
    this.putRecord("key", k);
  }

  private records<K extends AccountKind>(kind: K): AccountRecords[K][] {
    return [...this.ctx.storage.kv.list<AccountRecords[K]>({ prefix: `${ACCOUNT_PREFIX}${kind}:` })].map(([, v]) => v);
  }

  private record<K extends AccountKind>(kind: K, sid: string): AccountRecords[K] | null {
    return this.ctx.storage.kv.get<AccountRecords[K]>(`${ACCOUNT_PREFIX}${kind}:${sid}`) ?? null;
  }

  private putRecord<K extends AccountKind>(kind: K, record: AccountRecords[K]): void {
    this.ctx.storage.kv.put(`${ACCOUNT_PREFIX}${kind}:${record.sid}`, record);
  }
}

/** A phone may hang up (close its socket) while its last action is still being applied. */
function reply(ws: WebSocket, msg: CarrierToPhone): void {
  try {
    ws.send(JSON.stringify(msg));
  } catch {
    // closed meanwhile: nothing to tell
  }
}
