// The product as the benchmark drives it: seeded agents with sessions, consoles on real WebSockets,
// and Twilio's webhooks signed exactly as Twilio signs them.
import { createHash, randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import webhooks from "twilio/lib/webhooks/webhooks.js";
import WebSocket from "ws";
import type { ServerMessage } from "../worker/protocol.ts";

export const AUTH_TOKEN = "bench-auth-token";
const ACCOUNT_SID = "AC" + "0".repeat(32);

export const agentId = (i: number) => `bench_${String(i).padStart(4, "0")}`;
export const newCallSid = () => "CA" + randomBytes(16).toString("hex");

export interface Seed {
  sql: string;
  tokens: string[];
  adminToken: string;
}

/** Agents (all unavailable) with a live session each, and an admin, written straight into D1. */
export function seed(n: number): Seed {
  const now = Date.now();
  const tokens = Array.from({ length: n }, () => randomBytes(32).toString("hex"));
  const adminToken = randomBytes(32).toString("hex");
  const hash = (t: string) => createHash("sha256").update(t).digest("hex");
  const rows: string[] = [];
  const agent = (id: string, role: string, i: number) =>
    `INSERT INTO agents (id, name, email, password_hash, role, available, created_at) VALUES ('${id}', 'Agent ${id}', '${id}@bench.test', 'no-password', '${role}', 0, ${now + i});`;
  const session = (id: string, token: string) =>
    `INSERT INTO sessions (token_hash, agent_id, created_at, expires_at) VALUES ('${hash(token)}', '${id}', ${now}, ${now + 86_400_000});`;
  tokens.forEach((t, i) => rows.push(agent(agentId(i), "agent", i), session(agentId(i), t)));
  rows.push(agent("bench_admin", "admin", n), session("bench_admin", adminToken));
  return { sql: rows.join("\n"), tokens, adminToken };
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

  voice(callSid: string) {
    return this.twilio("/twilio/voice", { CallSid: callSid, AccountSid: ACCOUNT_SID, From: "+15551230001", To: "+15559990000", CallStatus: "ringing", Direction: "inbound" });
  }

  callStatus(callSid: string, status: string) {
    return this.twilio("/twilio/call-status", { CallSid: callSid, AccountSid: ACCOUNT_SID, CallStatus: status });
  }

  api(path: string, token: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set("Cookie", `ringall_session=${token}`);
    return fetch(this.url + path, { ...init, headers });
  }

  claim(callSid: string, agent: number) {
    return this.api(`/api/calls/${callSid}/claim`, this.seed.tokens[agent]!, { method: "POST" });
  }

  async setAvailable(agent: number, available: boolean): Promise<void> {
    const res = await this.api("/api/me/availability", this.seed.tokens[agent]!, {
      method: "PUT",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ available }),
    });
    if (!res.ok) throw new Error(`availability of ${agentId(agent)}: ${res.status} ${await res.text()}`);
  }

  /** Consoles for agents from … to-1, a hundred handshakes at a time. */
  async openConsoles(from: number, to: number): Promise<Console[]> {
    const opened: Console[] = [];
    for (let i = from; i < to; i += 100) {
      opened.push(...(await Promise.all(Array.from({ length: Math.min(100, to - i) }, (_, j) => this.openConsole(i + j)))));
    }
    return opened;
  }

  openConsole(agent: number | "admin"): Promise<Console> {
    const token = agent === "admin" ? this.seed.adminToken : this.seed.tokens[agent]!;
    return Console.open(this.url.replace(/^http/, "ws") + "/api/console", token);
  }
}

/** One console's WebSocket: every message with the moment it arrived (performance.now()). */
export class Console {
  readonly received: { at: number; msg: ServerMessage }[] = [];
  private listeners = new Set<(msg: ServerMessage, at: number) => void>();
  private pinger: NodeJS.Timeout;
  private ws: WebSocket;

  /**
   * While true, frames are dropped unread: a console that is open only to keep its agent online.
   * Under sustained load, parsing every frame on two hundred consoles took CPU from the server being
   * measured.
   */
  muted = false;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on("message", (data) => {
      if (this.muted) return;
      const at = performance.now();
      const text = data.toString();
      if (text === "pong") return;
      const msg = JSON.parse(text) as ServerMessage;
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

  close(): void {
    clearInterval(this.pinger);
    this.ws.close();
  }
}
