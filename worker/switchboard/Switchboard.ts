import { DurableObject } from "cloudflare:workers";
import { agentView, listAgents } from "../db/agents";
import { openDb } from "../db/client";
import { recentEndedCalls } from "../db/calls";
import { recentVoicemails } from "../db/voicemails";
import { readConfig } from "../config";
import type { Env } from "../env";
import { log } from "../log";
import { type AgentView, type CallView, PING, PONG, type ServerMessage, type VoicemailView, isCallMessage } from "../protocol";
import { isLive, isStale, newerCall } from "./board";

const CALL_PREFIX = "call:";
/** Header the worker sets after checking the session; the object is not reachable from outside. */
export const AGENT_HEADER = "X-Agent-Id";

interface Attachment {
  agentId: string;
  connectedAt: number;
}

/**
 * Every console's WebSocket, held with the hibernation API so idle consoles cost nothing.
 * Keeps the live calls (from the call sessions' messages) in its storage to build snapshots,
 * knows which agents are online, and fans every message out to every console.
 */
export class Switchboard extends DurableObject<Env> {
  /** Bumped by every agent or voicemail message: a snapshot read from D1 across one is read again. */
  private d1Version = 0;
  private liveCache: Map<string, CallView> | null = null;
  private socketCache: Set<WebSocket> | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Answered by the runtime without waking the object; the timestamp tells us the console is alive.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
  }

  async fetch(request: Request): Promise<Response> {
    const agentId = request.headers.get(AGENT_HEADER);
    if (request.headers.get("Upgrade") !== "websocket" || !agentId) {
      return new Response("expected a WebSocket upgrade", { status: 426 });
    }
    const { agents, voicemails, history } = await this.readD1Settled();
    // From here to send() nothing awaits, so no message can slip between the snapshot and the feed.
    const wasOnline = this.onlineAgentIds().has(agentId);
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server, [agentId]);
    this.consoles().add(server);
    server.serializeAttachment({ agentId, connectedAt: Date.now() } satisfies Attachment);
    const online = this.onlineAgentIds();
    send(server, {
      type: "snapshot",
      agents: agents.map((a) => ({ ...a, online: online.has(a.id) })),
      calls: this.liveCalls(),
      history,
      voicemails,
      at: Date.now(),
    });
    if (!wasOnline) broadcast(this.consoles(), { type: "agent.presence", agentId, online: true });
    log("console.connected", { agentId, consoles: this.consoles().size });
    await this.ensurePruneAlarm();
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Called by call sessions and the API, in the order things happened for each call. */
  publish(messages: ServerMessage[]): void {
    const sockets = this.consoles();
    // Only agent updates need presence; computing it walks every socket.
    const online = messages.some((m) => m.type === "agent.updated") ? this.onlineAgentIds() : new Set<string>();
    const calls = new Map<string, CallView>();
    for (const raw of messages) {
      let msg = raw;
      if (isCallMessage(msg)) {
        calls.set(msg.call.callSid, newerCall(calls.get(msg.call.callSid), msg.call));
        if (msg.type === "call.ended") this.d1Version++; // history comes from D1
      }
      if (msg.type === "agent.updated") msg = { ...msg, agent: { ...msg.agent, online: online.has(msg.agent.id) } };
      if (!isCallMessage(msg)) this.d1Version++;
      broadcast(sockets, msg);
    }
    for (const call of calls.values()) this.remember(call);
  }

  /** Agents with a console that pinged recently; stale consoles are dropped on the way. */
  onlineAgents(now = Date.now()): string[] {
    this.prune(now);
    return [...this.onlineAgentIds()];
  }

  liveCalls(): CallView[] {
    return [...this.live().values()];
  }

  /** Closes consoles that stopped pinging and tells everyone their agents went offline. */
  prune(now = Date.now()): void {
    const { pingTimeoutMs } = readConfig(this.env);
    const before = this.onlineAgentIds();
    for (const ws of this.consoles()) {
      const pinged = this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0;
      // Every ring prunes: a console that pinged lately is kept without deserializing its attachment.
      if (now - pinged <= pingTimeoutMs) continue;
      const a = attachment(ws);
      if (a && isStale({ agentId: a.agentId, lastSeen: Math.max(pinged, a.connectedAt) }, now, pingTimeoutMs)) {
        log("console.dropped", { agentId: a.agentId, reason: "no ping", silentMs: now - Math.max(pinged, a.connectedAt) }, "warn");
        closeQuietly(ws, 4000, "no ping");
        this.consoles().delete(ws);
      }
    }
    this.announceOffline(before);
  }

  async alarm(): Promise<void> {
    this.prune();
    await this.ensurePruneAlarm();
  }

  webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    // Consoles only ping (answered by the auto-response); anything else is a client bug worth telling.
    if (message === PING) return ws.send(PONG);
    send(ws, { type: "error", error: "consoles send only \"ping\"; actions go through the HTTP API" });
  }

  webSocketClose(ws: WebSocket, code: number): void {
    // 1005/1006 mean the peer vanished without a close frame; answering is harmless either way.
    closeQuietly(ws, code === 1005 || code === 1006 ? 1000 : code, "bye");
    this.consoles().delete(ws);
    const a = attachment(ws);
    if (a) this.announceOffline(new Set([a.agentId]), ws);
  }

  webSocketError(ws: WebSocket): void {
    this.webSocketClose(ws, 1006);
  }

  /**
   * The consoles' sockets: asked of the runtime once per wake-up, then kept in step on accept and
   * close. Asking for them on every publish was a third of the switchboard's CPU under load (bench
   * profile, docs/benchmarks.md).
   */
  private consoles(): Set<WebSocket> {
    this.socketCache ??= new Set(this.ctx.getWebSockets());
    return this.socketCache;
  }

  /** The live calls, read from storage once per wake-up and kept in step with it after that. */
  private live(): Map<string, CallView> {
    this.liveCache ??= new Map([...this.ctx.storage.kv.list<CallView>({ prefix: CALL_PREFIX })].map(([, v]) => [v.callSid, v]));
    return this.liveCache;
  }

  private remember(call: CallView): void {
    const live = this.live();
    if (newerCall(live.get(call.callSid), call) !== call) return;
    const key = CALL_PREFIX + call.callSid;
    if (isLive(call)) {
      live.set(call.callSid, call);
      this.ctx.storage.kv.put(key, call);
    } else {
      live.delete(call.callSid);
      this.ctx.storage.kv.delete(key);
    }
  }

  private onlineAgentIds(except?: WebSocket): Set<string> {
    const sockets = this.consoles();
    const ids = new Set<string>();
    for (const ws of sockets) {
      if (ws.readyState === WebSocket.CLOSED) sockets.delete(ws);
      if (ws === except || ws.readyState !== WebSocket.OPEN) continue;
      // The socket's tag is its agent (acceptWebSocket(server, [agentId])): cheaper than its attachment.
      const agentId = this.ctx.getTags(ws)[0];
      if (agentId) ids.add(agentId);
    }
    return ids;
  }

  private announceOffline(before: Set<string>, closing?: WebSocket): void {
    const after = this.onlineAgentIds(closing);
    for (const agentId of before) {
      if (!after.has(agentId)) {
        log("console.offline", { agentId });
        broadcast(this.consoles(), { type: "agent.presence", agentId, online: false });
      }
    }
  }

  /** Reads the snapshot's D1 parts until no message about them arrived meanwhile. */
  private async readD1Settled(): Promise<{ agents: AgentView[]; voicemails: VoicemailView[]; history: CallView[] }> {
    const db = openDb(this.env.DB);
    for (;;) {
      const version = this.d1Version;
      const [rows, voicemails, history] = await Promise.all([listAgents(db), recentVoicemails(db), recentEndedCalls(db)]);
      if (version === this.d1Version) return { agents: rows.map((r) => agentView(r)), voicemails, history };
    }
  }

  private async ensurePruneAlarm(): Promise<void> {
    if (this.consoles().size === 0) return;
    if ((await this.ctx.storage.getAlarm()) !== null) return;
    await this.ctx.storage.setAlarm(Date.now() + readConfig(this.env).pingTimeoutMs / 2);
  }
}

function attachment(ws: WebSocket): Attachment | null {
  return (ws.deserializeAttachment() as Attachment | null) ?? null;
}

function broadcast(sockets: Iterable<WebSocket>, msg: ServerMessage): void {
  const frame = JSON.stringify(msg);
  for (const ws of sockets) {
    try {
      ws.send(frame);
    } catch {
      // A socket closing under us; its close handler cleans up.
    }
  }
}

function send(ws: WebSocket, msg: ServerMessage): void {
  ws.send(JSON.stringify(msg));
}

function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    // already closed
  }
}
