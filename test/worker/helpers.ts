// Test helpers: requests signed exactly as Twilio signs them, agents, sessions and consoles.
import { env, SELF } from "cloudflare:test";
import { eq, inArray } from "drizzle-orm";
import { afterEach } from "vitest";
import { hashPassword } from "../../worker/auth/password";
import { openDb } from "../../worker/db/client";
import { agents, ringEvents } from "../../worker/db/schema";
import { PING, type ServerMessage } from "../../worker/protocol";
import { sign } from "../../worker/twilio/signature";
import { Inbox } from "./inbox";
import { newSid } from "../../simulator/sids";

export const ORIGIN = "https://calls.example.test"; // PUBLIC_URL in vitest.config.ts
export const AUTH_TOKEN = "test-auth-token";
export const PASSWORD = "correct horse battery";

export const db = () => openDb(env.DB);

export function newCallSid(): string {
  return newSid("CA");
}

let uniq = 0;
/** A prefix unique to one test, so agents and calls of different tests never meet. */
export function unique(prefix = "t"): string {
  return `${prefix}${Date.now().toString(36)}_${uniq++}`;
}

/** POSTs form parameters with the X-Twilio-Signature Twilio would send. */
export function twilio(path: string, params: Record<string, string>, opts: { token?: string; signature?: string | null } = {}) {
  const url = ORIGIN + path;
  const headers: Record<string, string> = { "Content-Type": "application/x-www-form-urlencoded" };
  const signature = opts.signature === undefined ? sign(opts.token ?? AUTH_TOKEN, url, params) : opts.signature;
  if (signature !== null) headers["X-Twilio-Signature"] = signature;
  return SELF.fetch(url, { method: "POST", headers, body: new URLSearchParams(params).toString() });
}

/** Calls a test started with a signed voice webhook: their callers hang up after the test. */
const started = new Set<string>();

export async function incomingCall(callSid = newCallSid(), from = "+15551230001") {
  started.add(callSid);
  const res = await twilio("/twilio/voice", { CallSid: callSid, AccountSid: "AC" + "0".repeat(32), From: from, To: "+15559990000", CallStatus: "ringing", Direction: "inbound" });
  return { callSid, res, xml: await res.text() };
}

let passwordHash: Promise<string> | null = null;

export interface TestAgent {
  id: string;
  email: string;
  cookie: string;
}

/** Inserts available agents and signs each in; `lastCallEndedAt` orders them as the longest idle. */
/** `n` of T, typed as exactly that many: `const [a, b] = await createAgents(2)` needs no `!`. */
export type Tuple<T, N extends number, R extends T[] = []> = number extends N ? T[] : R["length"] extends N ? R : Tuple<T, N, [...R, T]>;

export async function createAgents<N extends number>(n: N, opts: { available?: boolean; role?: "agent" | "supervisor" | "admin"; prefix?: string } = {}): Promise<Tuple<TestAgent, N>> {
  passwordHash ??= hashPassword(PASSWORD);
  const hash = await passwordHash;
  const prefix = opts.prefix ?? unique("ag");
  const rows = Array.from({ length: n }, (_, i) => ({
    id: `${prefix}_${i}`,
    name: `Agent ${prefix} ${i}`,
    email: `${prefix}_${i}@example.test`,
    passwordHash: hash,
    role: opts.role ?? "agent",
    available: opts.available ?? true,
    createdAt: Date.now() + i,
  }));
  for (let i = 0; i < rows.length; i += 10) await db().insert(agents).values(rows.slice(i, i + 10));
  return (await Promise.all(rows.map(async (r) => ({ id: r.id, email: r.email, cookie: await signIn(r.email, PASSWORD) })))) as Tuple<TestAgent, N>;
}

export async function signIn(email: string, password: string): Promise<string> {
  const res = await SELF.fetch(ORIGIN + "/api/session", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ email, password }) });
  if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
  const cookie = res.headers.get("Set-Cookie") ?? "";
  return cookie.split(";")[0]!;
}

export function api(path: string, cookie: string | null, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  if (cookie) headers.set("Cookie", cookie);
  if (typeof init.body === "string" && !headers.has("Content-Type")) headers.set("Content-Type", "application/json");
  return SELF.fetch(ORIGIN + path, { ...init, headers });
}

export const claim = (sid: string, a: TestAgent) => api(`/api/calls/${sid}/claim`, a.cookie, { method: "POST" });
export const decline = (sid: string, a: TestAgent) => api(`/api/calls/${sid}/decline`, a.cookie, { method: "POST" });

/** A console's WebSocket with the messages it received. */
export class Console {
  private readonly inbox: Inbox<ServerMessage>;
  private constructor(readonly ws: WebSocket) {
    this.inbox = new Inbox<ServerMessage>(ws);
  }

  get messages(): ServerMessage[] {
    return this.inbox.messages;
  }

  static async open(agent: TestAgent): Promise<Console> {
    const res = await api("/api/console", agent.cookie, { headers: { Upgrade: "websocket", Origin: ORIGIN } });
    if (!res.webSocket) throw new Error(`console refused: ${res.status} ${await res.text()}`);
    res.webSocket.accept();
    const c = new Console(res.webSocket);
    openConsoles.push(c);
    await c.next((m) => m.type === "snapshot");
    return c;
  }

  async next<T extends ServerMessage["type"]>(match: (m: ServerMessage) => boolean, ms = 5000): Promise<ServerMessage & { type: T }> {
    return (await this.inbox.next(match, ms, "console")) as ServerMessage & { type: T };
  }

  /** Like next(), and removes the message, so that the same wait later finds a newer one. */
  async take<T extends ServerMessage["type"]>(match: (m: ServerMessage) => boolean, ms = 5000): Promise<ServerMessage & { type: T }> {
    return (await this.inbox.next(match, ms, "console", true)) as ServerMessage & { type: T };
  }

  ping(): void {
    this.ws.send(PING);
  }

  close(): void {
    try {
      this.ws.close(1000, "test done");
    } catch {
      // already closed
    }
  }
}

const openConsoles: Console[] = [];

/** Reports the agent's phone ready (or not), as the console does when its Device registers. */
export async function phoneReady(a: TestAgent, ready = true): Promise<void> {
  const res = await api("/api/me/phone", a.cookie, { method: "PUT", body: JSON.stringify({ ready }) });
  if (res.status !== 200) throw new Error(`phone state refused: ${res.status} ${await res.text()}`);
}

/**
 * Connects a console for each agent and reports its phone ready, which makes them online and so
 * rung (when available and idle). `phone: false` leaves the phone unreported: not rung.
 */
export async function online<const L extends readonly TestAgent[]>(list: L, opts: { phone?: boolean } = {}): Promise<Tuple<Console, L["length"]>> {
  const consoles = await Promise.all(list.map((a) => Console.open(a)));
  if (opts.phone !== false) for (const a of list) await phoneReady(a);
  return consoles as Tuple<Console, L["length"]>;
}

// Storage is shared by the tests of a file: leave nobody available or connected for the next test.
afterEach(async () => {
  // Nobody may be left waiting in line for the next test: every caller hangs up.
  for (const sid of [...started]) await callStatus(sid, "completed");
  started.clear();
  for (const c of openConsoles.splice(0)) c.close();
  await db().update(agents).set({ available: false }).where(eq(agents.available, true));
});

export async function ringEventsOf(callSid: string) {
  const rows = await db().select().from(ringEvents).where(eq(ringEvents.callSid, callSid)).orderBy(ringEvents.seq);
  return rows.map((r) => `${r.type}${r.agentId ? ":" + r.agentId : ""}`);
}

export async function agentRows(ids: string[]) {
  return db().select().from(agents).where(inArray(agents.id, ids));
}

/** The conference's status callback for a participant of the caller's lobby (generation `gen`). */
export function conferenceEvent(callSid: string, event: "participant-join" | "participant-leave", label: string, legSid: string, opts: { gen?: number; reason?: string; sequence?: number } = {}) {
  return twilio(`/twilio/conference?gen=${opts.gen ?? 1}`, {
    AccountSid: "AC" + "0".repeat(32),
    ConferenceSid: "CF" + "0".repeat(32),
    FriendlyName: callSid,
    StatusCallbackEvent: event,
    CallSid: legSid,
    ParticipantLabel: label,
    SequenceNumber: String(opts.sequence ?? 1),
    Timestamp: new Date().toUTCString(),
    ...(opts.reason ? { ReasonParticipantLeft: opts.reason, ParticipantCallStatus: opts.reason === "participant_hung_up" ? "completed" : "in-progress" } : {}),
  });
}

/** The TwiML App's request when an agent's phone connects with `callerSid` and `ticket`. */
export function connectRequest(agentId: string, params: Record<string, string>, legSid = newCallSid()) {
  return twilio("/twilio/connect", {
    AccountSid: "AC" + "0".repeat(32),
    ApplicationSid: "AP" + "0".repeat(32),
    CallSid: legSid,
    From: `client:${agentId}`,
    Caller: `client:${agentId}`,
    To: "",
    Called: "",
    CallStatus: "ringing",
    Direction: "inbound",
    ApiVersion: "2010-04-01",
    ...params,
  });
}

export function callStatus(callSid: string, status: string) {
  return twilio("/twilio/call-status", { CallSid: callSid, CallStatus: status });
}
