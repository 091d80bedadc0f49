// The product as the benchmark drives it: seeded agents with sessions, consoles on real WebSockets,
// and Twilio's webhooks signed exactly as Twilio signs them (the lobby model: the caller waits in a
// conference of their own; the claim's winner connects with a ticket through the TwiML App URL).
import { createHash, randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import webhooks from "twilio/lib/webhooks/webhooks.js";
import WebSocket from "ws";
import { CONNECT_PARAMS, type ClaimResponse, type ServerMessage } from "../worker/protocol.ts";

export const AUTH_TOKEN = "bench-auth-token";
const ACCOUNT_SID = "AC" + "0".repeat(32);
const APPLICATION_SID = "AP" + "0".repeat(32);

export const agentId = (i: number) => `bench_${String(i).padStart(4, "0")}`;
export const newCallSid = () => "CA" + randomBytes(16).toString("hex");

export interface Seed {
  sql: string;
  tokens: string[];
  adminToken: string;
}

/**
 * Agents (all available: whether a ring reaches one is decided by its console being online and its
 * phone reported ready) with a live session each, and an admin (unavailable), written straight into D1.
 */
export function seed(n: number): Seed {
  const now = Date.now();
  const tokens = Array.from({ length: n }, () => randomBytes(32).toString("hex"));
  const adminToken = randomBytes(32).toString("hex");
  const hash = (t: string) => createHash("sha256").update(t).digest("hex");
  const rows: string[] = [];
  const agent = (id: string, role: string, available: number, i: number) =>
    `INSERT INTO agents (id, name, email, password_hash, role, available, created_at) VALUES ('${id}', 'Agent ${id}', '${id}@bench.test', 'no-password', '${role}', ${available}, ${now + i});`;
  const session = (id: string, token: string) =>
    `INSERT INTO sessions (token_hash, agent_id, created_at, expires_at) VALUES ('${hash(token)}', '${id}', ${now}, ${now + 86_400_000});`;
  tokens.forEach((t, i) => rows.push(agent(agentId(i), "agent", 1, i), session(agentId(i), t)));
  rows.push(agent("bench_admin", "admin", 0, n), session("bench_admin", adminToken));
  return { sql: rows.join("\n"), tokens, adminToken };
}

/** The generation in the statusCallback URL of a lobby or join TwiML (`/twilio/conference?gen=N`). */
export function genOf(xml: string): number | null {
  const m = /\/twilio\/conference\?gen=(\d+)/.exec(xml);
  return m ? Number(m[1]) : null;
}

export class Product {
  readonly url: string;
  readonly seed: Seed;
  constructor(url: string, seed: Seed) {
    this.url = url;
    this.seed = seed;
  }

  /** A webhook, form-encoded and signed with X-Twilio-Signature over the exact URL and parameters. */
  twilio(path: string, params: Record<string, string>): Promise<Response> {
    const url = this.url + path;
    const signature = webhooks.getExpectedTwilioSignature(AUTH_TOKEN, url, params);
    return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature },
      body: new URLSearchParams(params).toString(),
    });
  }

  /** The number's Voice URL: answered with the caller's lobby (a <Conference> named by the CallSid). */
  voice(callSid: string) {
    return this.twilio("/twilio/voice", { CallSid: callSid, AccountSid: ACCOUNT_SID, From: "+15551230001", To: "+15559990000", CallStatus: "ringing", Direction: "inbound" });
  }

  /** The number's status callback: a final status means the caller is gone. */
  callStatus(callSid: string, status: string) {
    return this.twilio("/twilio/call-status", { CallSid: callSid, AccountSid: ACCOUNT_SID, CallStatus: status });
  }

  /** The TwiML App's Voice URL, as Twilio requests it when an agent's phone connects with a ticket. */
  connect(agent: number, callerSid: string, ticket: string, legSid = newCallSid()) {
    const from = `client:${agentId(agent)}`;
    return this.twilio("/twilio/connect", {
      AccountSid: ACCOUNT_SID,
      ApplicationSid: APPLICATION_SID,
      ApiVersion: "2010-04-01",
      CallSid: legSid,
      From: from,
      Caller: from,
      To: "",
      Called: "",
      CallStatus: "ringing",
      Direction: "inbound",
      [CONNECT_PARAMS.callerSid]: callerSid,
      [CONNECT_PARAMS.ticket]: ticket,
    });
  }

  /** The lobby conference's status callback for one participant. */
  conference(callSid: string, gen: number, event: "participant-join" | "participant-leave", label: "caller" | "agent", legSid: string, sequence: number, reason?: string) {
    return this.twilio(`/twilio/conference?gen=${gen}`, {
      AccountSid: ACCOUNT_SID,
      ConferenceSid: "CF" + callSid.slice(2),
      FriendlyName: callSid,
      SequenceNumber: String(sequence),
      Timestamp: new Date().toUTCString(),
      StatusCallbackEvent: event,
      CallSid: legSid,
      ParticipantLabel: label,
      Muted: "false",
      Hold: "false",
      Coaching: "false",
      EndConferenceOnExit: String(label === "caller"),
      StartConferenceOnEnter: "true",
      ...(reason ? { ReasonParticipantLeft: reason, ParticipantCallStatus: reason === "participant_hung_up" ? "completed" : "in-progress" } : {}),
    });
  }

  /** The lobby's wait URL, as Twilio requests it for a caller alone in their conference. */
  wait(callSid: string, gen: number) {
    return this.twilio(`/twilio/wait?gen=${gen}`, { CallSid: callSid, AccountSid: ACCOUNT_SID, ConferenceSid: "CF" + callSid.slice(2), FriendlyName: callSid, CallStatus: "in-progress" });
  }

  api(path: string, token: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set("Cookie", `ringall_session=${token}`);
    return fetch(this.url + path, { ...init, headers });
  }

  claim(callSid: string, agent: number) {
    return this.api(`/api/calls/${callSid}/claim`, this.seed.tokens[agent]!, { method: "POST" });
  }

  /** A claim, its latency, status and (when won) ticket. */
  async timedClaim(callSid: string, agent: number): Promise<{ status: number; sent: number; answered: number; ticket: string | null }> {
    const sent = performance.now();
    const res = await this.claim(callSid, agent);
    const body = (await res.json().catch(() => null)) as ClaimResponse | null;
    return { status: res.status, sent, answered: performance.now(), ticket: body && "ticket" in body ? body.ticket : null };
  }

  post(agent: number, path: string, body?: unknown) {
    return this.api(path, this.seed.tokens[agent]!, body === undefined ? { method: "POST" } : { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  }

  private async put(agent: number, path: string, body: unknown): Promise<void> {
    const res = await this.api(path, this.seed.tokens[agent]!, { method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
    if (!res.ok) throw new Error(`PUT ${path} of ${agentId(agent)}: ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  }

  setAvailable(agent: number, available: boolean): Promise<void> {
    return this.put(agent, "/api/me/availability", { available });
  }

  /** What a console says when its phone registers (or not): only a ready phone is rung. */
  setPhoneReady(agent: number, ready: boolean): Promise<void> {
    return this.put(agent, "/api/me/phone", { ready });
  }

  /**
   * Consoles for agents from … to-1, a hundred handshakes at a time, each then reporting its phone
   * ready (`ready`), as the console does once its Device registers: the agents become eligible.
   * They come back muted (see Console.muted): every console is told of every other one coming
   * online, and parsing a thousand consoles' million frames would only slow the benchmark down.
   */
  async openConsoles(from: number, to: number, ready = true): Promise<Console[]> {
    const opened: Console[] = [];
    for (let i = from; i < to; i += 100) {
      const batch = Array.from({ length: Math.min(100, to - i) }, (_, j) => i + j);
      const consoles = await Promise.all(batch.map((a) => this.openConsole(a)));
      for (const c of consoles) c.muted = true;
      opened.push(...consoles);
      if (ready) await inFlight(20, batch, (a) => this.setPhoneReady(a, true));
    }
    return opened;
  }

  openConsole(agent: number | "admin"): Promise<Console> {
    const token = agent === "admin" ? this.seed.adminToken : this.seed.tokens[agent]!;
    return Console.open(this.url.replace(/^http/, "ws") + "/api/console", token);
  }
}

/** Runs `task` over `items`, `concurrency` at a time. */
export async function inFlight<T>(concurrency: number, items: T[], task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/** One console's WebSocket: every message with the moment it arrived (performance.now()). */
export class Console {
  readonly received: { at: number; msg: ServerMessage }[] = [];
  /** Every frame but pongs, read or muted: what the switchboard sent this console. */
  frames = 0;
  bytes = 0;
  private listeners = new Set<(msg: ServerMessage, at: number) => void>();
  private pinger: NodeJS.Timeout;
  private ws: WebSocket;

  /**
   * While true, frames are counted but not parsed: a console that is open only to keep its agent
   * online. Under sustained load, parsing every frame on two hundred consoles took CPU from the
   * server being measured.
   */
  muted = false;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on("message", (raw) => {
      const at = performance.now();
      const data = raw as Buffer; // binaryType "nodebuffer": one Buffer per frame
      if (data.length === 4 && data.toString() === "pong") return;
      this.frames++;
      this.bytes += data.length;
      if (this.muted) return;
      const msg = JSON.parse(data.toString()) as ServerMessage;
      this.received.push({ at, msg });
      for (const l of this.listeners) l(msg, at);
    });
    // As the browser console does: a switchboard drops consoles silent for 30 s.
    this.pinger = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send("ping"), 10_000);
  }

  static open(url: string, token: string): Promise<Console> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers: { Cookie: `ringall_session=${token}` }, perMessageDeflate: false });
      const c = new Console(ws);
      ws.once("error", reject);
      c.wait((m) => m.type === "snapshot", 30_000).then(() => resolve(c), reject);
    });
  }

  /** The first message (already received or to come) that matches, with its arrival time. */
  async wait(match: (m: ServerMessage) => boolean, ms: number): Promise<{ at: number; msg: ServerMessage }> {
    const found = this.received.find((r) => match(r.msg)) ?? (await this.next(match, ms));
    if (!found) throw new Error("timed out");
    return found;
  }

  /** The next matching message from now on (not one already received). */
  next(match: (m: ServerMessage) => boolean, ms: number): Promise<{ at: number; msg: ServerMessage } | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.listeners.delete(l);
        resolve(null);
      }, ms);
      const l = (msg: ServerMessage, at: number) => {
        if (!match(msg)) return;
        clearTimeout(timer);
        this.listeners.delete(l);
        resolve({ at, msg });
      };
      this.listeners.add(l);
    });
  }

  on(l: (msg: ServerMessage, at: number) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }

  /** Drops what was received so far (memory, and so that waits only see what comes next). */
  forget(): void {
    this.received.length = 0;
  }

  /** Reads (and keeps) every frame from now on. */
  listen(): void {
    this.forget();
    this.muted = false;
  }

  close(): void {
    clearInterval(this.pinger);
    this.ws.close();
  }
}
