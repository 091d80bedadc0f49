import { DurableObject } from "cloudflare:workers";
import { agentView, listTeam, updateAgent } from "../db/agents";
import { openDb } from "../db/client";
import { recentEndedCalls } from "../db/calls";
import { snapshotVoicemails } from "../db/voicemails";
import { type AgentStateChanges, writeMissedRings, writeStateChanges } from "../db/stateLog";
import { readConfig } from "../config";
import type { AgentPatch } from "../call/record";
import type { AgentFacts } from "../call/machine";
import type { Env } from "../env";
import { log } from "../log";
import { type AgentView, type CallView, isEligible, missedCallsReason, PING, PONG, ringsAgent, type ServerMessage, type VoicemailView, isCallMessage } from "../protocol";
import { isLive, isStale, newerCall, waitingAhead } from "./board";
import { CLOSE, type SessionEnd } from "../protocol";
import { CARRIER_NAME } from "../../simulator/SimCarrier";
import { admitConnect, consolesOverCap, frameTooLarge, pruneAlarmAt } from "./limits";
import { type LoggedState, loggedState, stateChanges } from "./stateLog";

const CALL_PREFIX = "call:";
const PHONE_PREFIX = "phone:";
/** An agent's wrap-up end (epoch ms), kept in storage so that an eviction does not let them ring early. */
const WRAP_UP_PREFIX = "wrap-up:";
/** An agent's rings in a row that timed out unanswered (auto-pause, AUTO_PAUSE_AFTER). */
const MISSED_PREFIX = "missed:";
/** The last agent view version handed out (AgentView.version). */
const VERSION_KEY = "agent-version";
/** Header the worker sets after checking the session; the object is not reachable from outside. */
export const AGENT_HEADER = "X-Agent-Id";
/** The session's token hash and expiry (epoch ms), set by the worker with AGENT_HEADER. */
export const SESSION_HEADER = "X-Session-Hash";
export const SESSION_EXPIRES_HEADER = "X-Session-Expires";
/** A revoked session's hash is refused for this long: an upgrade that passed the session check just before the revoke may still be on its way. */
const REVOKED_KEEP_MS = 60_000;

interface Attachment {
  agentId: string;
  connectedAt: number;
  /** The session the console was opened with (its token's SHA-256), and when it expires. */
  sessionHash: string;
  expiresAt: number;
}

/** The socket's second tag: a sign-out finds its session's consoles without walking every socket. */
function sessionTag(sessionHash: string): string {
  return "session:" + sessionHash;
}

/**
 * Every console's WebSocket, held with the hibernation API so idle consoles cost nothing, and the
 * live picture of the team: who is online, whose phone is ready, who holds a call. From it the
 * switchboard knows who a ring reaches (protocol.ts ringsAgent), counts each ringing call's agents,
 * and re-rings the waiting calls whenever an agent becomes eligible. It keeps the live calls (from
 * the call sessions' messages) to build snapshots, and fans every message out to every console.
 */
export class Switchboard extends DurableObject<Env> {
  /** Bumped by every voicemail or ended call: a snapshot read from D1 across one is read again. */
  private d1Version = 0;
  private liveCache: Map<string, CallView> | null = null;
  private socketCache: Set<WebSocket> | null = null;
  /** The agents with an open console, kept until a console opens or closes (walking every socket was the ring's main cost at 1,000 consoles). */
  private onlineCache: Set<string> | null = null;
  /** The team as D1 last said, patched by every message since: online and phoneReady are overlaid. */
  private team: Map<string, AgentView> | null = null;
  private teamLoading: Promise<Map<string, AgentView>> | null = null;
  private phones: Map<string, boolean>;
  /** Agents in wrap-up, and when it ends (AgentView.wrapUpUntil); mirrored in storage under WRAP_UP_PREFIX. */
  private wrapUps: Map<string, number>;
  /** Each agent's rings in a row that timed out unanswered; mirrored in storage under MISSED_PREFIX. */
  private missed: Map<string, number>;
  /** Each agent's state as last written to D1's agent_state_log (the reports' intervals). */
  private logged = new Map<string, LoggedState>();
  /** Interval changes not yet written: gathered, so that many agents' changes share a D1 batch. */
  private unloggedStates: AgentStateChanges[] = [];
  /** Writes of the reports' D1 rows, in order; a failure is logged and the next goes on. */
  private reportWrites: Promise<void> = Promise.resolve();
  /** Each agent's recent upgrades (limits.ts admitConnect). Lost with the object: that forgives at most one window. */
  private connects = new Map<string, number[]>();
  /** The earliest session expiry of the open consoles (Infinity: none), or null until computed in this wake-up. */
  private expiry: number | null = null;
  /** Sessions revoked lately, with when (see REVOKED_KEEP_MS). */
  private revoked = new Map<string, number>();
  /** The last AgentView.version handed out; written with every change it versions. */
  private version: number;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // Answered by the runtime without waking the object; the timestamp tells us the console is alive.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
    this.phones = new Map([...ctx.storage.kv.list<boolean>({ prefix: PHONE_PREFIX })].map(([k, v]) => [k.slice(PHONE_PREFIX.length), v]));
    this.wrapUps = new Map([...ctx.storage.kv.list<number>({ prefix: WRAP_UP_PREFIX })].map(([k, v]) => [k.slice(WRAP_UP_PREFIX.length), v]));
    this.missed = new Map([...ctx.storage.kv.list<number>({ prefix: MISSED_PREFIX })].map(([k, v]) => [k.slice(MISSED_PREFIX.length), v]));
    // Restored after eviction, so versions only grow. The clock is a floor for a switchboard whose
    // storage is gone (a fresh one): its versions still start above what consoles may hold from before.
    this.version = Math.max(ctx.storage.kv.get<number>(VERSION_KEY) ?? 0, Date.now());
  }

  async fetch(request: Request): Promise<Response> {
    const agentId = request.headers.get(AGENT_HEADER);
    const sessionHash = request.headers.get(SESSION_HEADER);
    const expiresAt = Number(request.headers.get(SESSION_EXPIRES_HEADER));
    if (request.headers.get("Upgrade") !== "websocket" || !agentId || !sessionHash || !Number.isFinite(expiresAt)) {
      return new Response("expected a WebSocket upgrade", { status: 426 });
    }
    // Before any work: every upgrade costs a snapshot read from D1 and a frame of the whole board.
    const admitted = admitConnect(this.connects.get(agentId) ?? [], Date.now());
    this.connects.set(agentId, admitted.recent);
    if (!admitted.ok) {
      log("console.refused", { agentId, reason: "connect rate", retryAfterSeconds: admitted.retryAfterSeconds }, "warn");
      const error = `too many console connections: try again in ${admitted.retryAfterSeconds} s`;
      return Response.json({ error }, { status: 429, headers: { "Retry-After": String(admitted.retryAfterSeconds) } });
    }
    const [{ voicemails, unhandledVoicemails, history }] = await Promise.all([this.readD1Settled(), this.loadTeam(agentId)]);
    // Signed out (or the agent's sessions ended) while this upgrade was on its way here.
    if (this.revoked.has(sessionHash)) return Response.json({ error: "sign in first: no valid session" }, { status: 401 });
    // From here to send() nothing awaits, so no message can slip between the snapshot and the feed.
    const before = this.eligibleSet();
    const wasOnline = this.onlineAgentIds().has(agentId);
    const pair = new WebSocketPair();
    const [client, server] = [pair[0], pair[1]];
    this.ctx.acceptWebSocket(server, [agentId, sessionTag(sessionHash)]);
    const connectedAt = Date.now();
    server.serializeAttachment({ agentId, connectedAt, sessionHash, expiresAt } satisfies Attachment);
    // The oldest go after the new one is in, so that the agent never looks offline meanwhile.
    const mine = this.ctx.getWebSockets(agentId).filter((ws) => ws !== server && ws.readyState === WebSocket.OPEN);
    for (const old of consolesOverCap(mine.map((ws) => ({ socket: ws, connectedAt: attachment(ws)?.connectedAt ?? 0 })))) {
      log("console.dropped", { agentId, reason: "too many consoles" }, "warn");
      closeQuietly(old, CLOSE.tooManyConsoles.code, CLOSE.tooManyConsoles.reason);
      this.consoles().delete(old);
    }
    this.consoles().add(server);
    this.onlineCache = null;
    if (this.expiry !== null) this.expiry = Math.min(this.expiry, expiresAt);
    send(server, {
      type: "snapshot",
      agents: byName(this.agentViews()),
      calls: this.liveCalls(),
      history,
      voicemails,
      unhandledVoicemails,
      at: Date.now(),
    });
    if (!wasOnline) this.announcePresence(agentId, true);
    this.reRing(before);
    log("console.connected", { agentId, consoles: this.consoles().size });
    await this.ensureAlarm();
    return new Response(null, { status: 101, webSocket: client });
  }

  /**
   * Called by call sessions and the API, in the order things happened for each call. `agents`: the
   * call sessions' changes to who holds a call, applied to the team before anyone is re-rung.
   * `unanswered`: the calls whose wait ended with nobody answering (no_answer, not declines): every
   * agent such a call was still ringing then missed a ring (auto-pause, AUTO_PAUSE_AFTER).
   * `statusSet`: agents whose status someone set by hand (the API): their run of missed rings starts again.
   */
  async publish(messages: ServerMessage[], agents: AgentPatch[] = [], unanswered: string[] = [], statusSet: string[] = []): Promise<void> {
    for (const agentId of statusSet) this.resetMissed(agentId);
    const team = await this.loadTeam();
    const before = this.eligibleSet();
    // Who holds a call first, so that the calls' counts below already reflect it.
    const patched: AgentView[] = [];
    // One version for every agent this publish changes: each agent's own views still only grow.
    let version: number | null = null;
    const stamp = () => (version ??= this.nextVersion());
    const { wrapUpMs } = readConfig(this.env);
    let wrapUpStarted = false;
    for (const p of agents) {
      const a = team.get(p.agentId);
      if (!a) continue;
      const next = p.busy
        ? { ...a, currentCallSid: p.callSid }
        : a.currentCallSid === p.callSid
          ? { ...a, currentCallSid: null, lastCallEndedAt: p.callEnded ? p.at : a.lastCallEndedAt }
          : a;
      if (next === a) continue;
      // A new call (a retrieve, say) is work again: whatever wrap-up was left is over.
      if (p.busy && this.wrapUps.has(a.id)) this.forgetWrapUp(a.id, "busy");
      // Answering (or any call taken) ends a run of missed rings.
      if (p.busy) this.resetMissed(a.id);
      if (!p.busy && p.wrapUp && wrapUpMs > 0) {
        // From when the call ended, not from when this message arrived (an outbox retried later).
        const until = p.at + wrapUpMs;
        if (until > Date.now()) {
          this.wrapUps.set(a.id, until);
          this.ctx.storage.kv.put(WRAP_UP_PREFIX + a.id, until);
          wrapUpStarted = true;
          log("agent.wrap_up_started", { agentId: a.id, callSid: p.callSid, until });
        }
      }
      next.version = stamp();
      team.set(a.id, next);
      patched.push(next);
    }
    const calls = new Map<string, CallView>();
    const missedBy: { agentId: string; callSid: string }[] = [];
    const waitsOver = new Set(unanswered);
    for (const raw of messages) {
      let msg = raw;
      if (isCallMessage(msg)) {
        if (waitsOver.has(msg.call.callSid) && msg.call.phase !== "ringing") {
          // The ring as the consoles last saw it (with its declines): whoever it still rang missed it.
          const rang = calls.get(msg.call.callSid) ?? this.live().get(msg.call.callSid);
          waitsOver.delete(msg.call.callSid);
          if (rang?.phase === "ringing") for (const a of this.agentViews()) if (ringsAgent(rang, a)) missedBy.push({ agentId: a.id, callSid: rang.callSid });
        }
        msg = { ...msg, call: this.counted(msg.call) } as typeof msg;
        calls.set(msg.call.callSid, newerCall(calls.get(msg.call.callSid), msg.call));
        if (msg.type === "call.ended") this.d1Version++; // history comes from D1
      } else if (msg.type === "agent.updated") {
        // A profile or availability change from the API. Who holds a call is the call sessions' word,
        // which may be ahead of the D1 row this view was read from.
        const known = team.get(msg.agent.id);
        const base = known ? { ...msg.agent, currentCallSid: known.currentCallSid, lastCallEndedAt: known.lastCallEndedAt } : msg.agent;
        const merged = { ...base, version: stamp() };
        team.set(merged.id, merged);
        msg = { type: "agent.updated", agent: this.overlay(merged) };
      } else if (msg.type === "agent.removed") {
        team.delete(msg.agentId);
      } else {
        this.d1Version++;
      }
      this.broadcast(msg);
    }
    for (const call of calls.values()) this.remember(call);
    // The team's entry: an agent.updated of this publish may have changed it since (same version).
    for (const a of patched) this.broadcast({ type: "agent.updated", agent: this.overlay(team.get(a.id) ?? a) });
    if (missedBy.length > 0) this.report((db) => writeMissedRings(db, missedBy, Date.now()));
    for (const { agentId } of missedBy) this.missedRing(agentId);
    this.reRing(before);
    // Its end must wake the switchboard, so that a waiting caller rings the agent at once.
    if (wrapUpStarted) await this.ensureAlarm();
  }

  /**
   * The agent pressed Ready: their wrap-up ends now, and every waiting call they can take rings them.
   * `ended` false: they were not in wrap-up (or `agent` null: no such agent).
   */
  async endWrapUp(agentId: string): Promise<{ agent: AgentView | null; ended: boolean }> {
    const team = await this.loadTeam(agentId);
    const a = team.get(agentId);
    if (!a) return { agent: null, ended: false };
    if (!this.wrapUps.has(agentId)) return { agent: this.overlay(a), ended: false };
    const before = this.eligibleSet();
    this.forgetWrapUp(agentId, "ready");
    const view = this.overlay(this.restamp(a));
    this.broadcast({ type: "agent.updated", agent: view });
    this.reRing(before);
    return { agent: view, ended: true };
  }

  /** Agents a ring reaches now: available, online, phone ready, holding no call. */
  async eligibleAgents(): Promise<string[]> {
    await this.loadTeam();
    this.prune();
    return [...this.eligibleSet()];
  }

  /**
   * For a new caller, in one call: how many agents are online and available, busy or not (none: the
   * caller goes to voicemail at once), and who a ring reaches now.
   */
  async ringFacts(): Promise<{ available: number; eligible: string[] }> {
    await this.loadTeam();
    this.prune();
    const online = this.onlineAgentIds();
    let available = 0;
    for (const a of this.team?.values() ?? []) if (a.available && online.has(a.id)) available++;
    return { available, eligible: [...this.eligibleSet()] };
  }

  async agentFacts(agentId: string): Promise<AgentFacts> {
    const team = await this.loadTeam(agentId);
    const a = team.get(agentId);
    if (!a) return { eligible: false, canConnect: false, busyWith: null };
    const view = this.overlay(a);
    return { eligible: isEligible(view), canConnect: view.phoneReady, busyWith: a.currentCallSid };
  }

  /** The console's phone is ready (or not): it is rung only while it is. Forgotten when the agent goes offline. */
  async setPhone(agentId: string, ready: boolean): Promise<AgentView | null> {
    const team = await this.loadTeam(agentId);
    const a = team.get(agentId);
    if (!a) return null;
    const before = this.eligibleSet();
    // Kept only while a console is online: a report from an agent with none would make their next
    // console look ready before its phone has registered.
    if (this.onlineAgentIds().has(agentId)) {
      this.phones.set(agentId, ready);
      this.ctx.storage.kv.put(PHONE_PREFIX + agentId, ready);
    }
    const view = this.overlay(this.restamp(a));
    this.broadcast({ type: "agent.updated", agent: view });
    this.reRing(before);
    return view;
  }

  /** The console's view of one agent, with what only the switchboard knows. */
  async agent(agentId: string): Promise<AgentView | null> {
    const a = (await this.loadTeam(agentId)).get(agentId);
    return a ? this.overlay(a) : null;
  }

  async agents(): Promise<AgentView[]> {
    await this.loadTeam();
    return byName(this.agentViews());
  }

  /** The live call as the consoles see it (with its ringing count), or null. */
  liveCall(callSid: string): CallView | null {
    return this.live().get(callSid) ?? null;
  }

  /** Callers waiting for an agent ahead of this one, plus one: the place in line a caller is told. */
  queuePosition(callSid: string): number {
    const calls = [...this.live().values()];
    const me = calls.find((c) => c.callSid === callSid);
    return me ? waitingAhead(calls, me) + 1 : 1;
  }

  liveCalls(): CallView[] {
    const team = this.agentViews();
    return [...this.live().values()].map((c) => this.counted(c, team));
  }

  /** Closes consoles that stopped pinging and tells everyone their agents went offline. */
  prune(now = Date.now()): void {
    const { pingTimeoutMs } = readConfig(this.env);
    const before = this.onlineAgentIds();
    const eligibleBefore = this.eligibleSet();
    // Every ring prunes too: a wrap-up whose alarm has not run yet still ends on time.
    this.endDueWrapUps(now);
    for (const ws of this.consoles()) {
      const pinged = this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? 0;
      // Every ring prunes: a console that pinged lately is kept without deserializing its attachment.
      if (now - pinged <= pingTimeoutMs) continue;
      const a = attachment(ws);
      if (a && isStale({ agentId: a.agentId, lastSeen: Math.max(pinged, a.connectedAt) }, now, pingTimeoutMs)) {
        log("console.dropped", { agentId: a.agentId, reason: "no ping", silentMs: now - Math.max(pinged, a.connectedAt) }, "warn");
        closeQuietly(ws, CLOSE.noPing.code, CLOSE.noPing.reason);
        this.consoles().delete(ws);
        this.onlineCache = null;
      }
    }
    // Known once the alarm (or a connect) computed it: a ring's prune never walks the attachments for it.
    if (this.expiry !== null && now >= this.expiry) this.closeExpired(now);
    this.announceOffline(before);
    this.reRing(eligibleBefore);
  }

  /**
   * Closes the consoles of one session (`sessionHash`: a sign-out) or of every session of the agent
   * (a new password, the agent removed or disabled), and in simulator mode their simulated phones.
   * Found by their tags, not by walking every socket. `ended`: the hashes of the sessions that ended
   * (deleted from D1 already), refused should an upgrade of theirs arrive after this.
   */
  async revoke(r: { agentId: string; end: SessionEnd; sessionHash?: string; ended?: string[] }): Promise<number> {
    await this.loadTeam();
    const now = Date.now();
    for (const [hash, at] of this.revoked) if (now - at > REVOKED_KEEP_MS) this.revoked.delete(hash);
    for (const hash of r.ended ?? (r.sessionHash ? [r.sessionHash] : [])) this.revoked.set(hash, now);
    const before = this.onlineAgentIds();
    const eligibleBefore = this.eligibleSet();
    const { code, reason } = CLOSE[r.end];
    const sockets = this.ctx.getWebSockets(r.sessionHash ? sessionTag(r.sessionHash) : r.agentId);
    for (const ws of sockets) {
      closeQuietly(ws, code, reason);
      this.consoles().delete(ws);
    }
    if (sockets.length > 0) {
      this.onlineCache = null;
      this.announceOffline(before);
      this.reRing(eligibleBefore);
    }
    log("console.revoked", { agentId: r.agentId, end: r.end, consoles: sockets.length });
    await this.closeSimPhones(r.agentId, r.sessionHash ?? null, r.end);
    return sockets.length;
  }

  async alarm(): Promise<void> {
    await this.loadTeam();
    // Computed here (once per wake-up) so that the prune below closes expired sessions' consoles.
    this.earliestExpiry();
    this.prune();
    await this.ensureAlarm();
  }

  async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    // The runtime has taken the whole frame already (up to its 32 MiB limit): closing stops the next.
    if (frameTooLarge(message)) {
      log("console.dropped", { agentId: attachment(ws)?.agentId ?? null, reason: "frame too large" }, "warn");
      closeQuietly(ws, CLOSE.frameTooLarge.code, CLOSE.frameTooLarge.reason);
      return this.webSocketClose(ws, CLOSE.frameTooLarge.code);
    }
    // Consoles only ping (answered by the auto-response); anything else is a client bug worth telling.
    if (message === PING) return ws.send(PONG);
    send(ws, { type: "error", error: "consoles send only \"ping\"; actions go through the HTTP API" });
  }

  async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    await this.loadTeam();
    const before = this.eligibleSet();
    // 1005/1006 mean the peer vanished without a close frame; answering is harmless either way.
    closeQuietly(ws, code === 1005 || code === 1006 ? 1000 : code, "bye");
    this.consoles().delete(ws);
    this.onlineCache = null;
    const a = attachment(ws);
    if (a) this.announceOffline(new Set([a.agentId]), ws);
    this.reRing(before);
  }

  async webSocketError(ws: WebSocket): Promise<void> {
    await this.webSocketClose(ws, 1006);
  }

  // ---- the team ----

  /**
   * The team, read from D1 once per wake-up; every change since came through publish(). `expect`: an
   * agent who must be in it (signed in, so in D1): an unknown one makes it read D1 again, keeping
   * what the call sessions said of who holds a call.
   */
  private loadTeam(expect?: string): Promise<Map<string, AgentView>> {
    if (this.team && (!expect || this.team.has(expect))) return Promise.resolve(this.team);
    this.teamLoading ??= listTeam(openDb(this.env.DB)).then((rows) => {
      const known = this.team;
      // D1's rows may say something else than the views sent before: every view read gets a new version.
      const version = this.nextVersion();
      this.team = new Map(
        rows.map((r) => {
          const a = { ...agentView(r), version };
          const k = known?.get(a.id);
          return [a.id, k ? { ...a, currentCallSid: k.currentCallSid, lastCallEndedAt: k.lastCallEndedAt } : a];
        }),
      );
      this.teamLoading = null;
      return this.team;
    });
    return this.teamLoading;
  }

  /** `online`: pass it when overlaying many agents (computing it walks every socket). */
  private overlay(a: AgentView, online = this.onlineAgentIds()): AgentView {
    const on = online.has(a.id);
    return { ...a, online: on, phoneReady: on && this.phones.get(a.id) === true, wrapUpUntil: this.wrapUps.get(a.id) ?? null };
  }

  private agentViews(): AgentView[] {
    const online = this.onlineAgentIds();
    return [...(this.team?.values() ?? [])].map((a) => this.overlay(a, online));
  }

  /** Who a ring reaches now: protocol.ts isEligible, without making a view of every agent (asked twice per message). */
  private eligibleSet(): Set<string> {
    const online = this.onlineAgentIds();
    const ids = new Set<string>();
    for (const a of this.team?.values() ?? []) {
      if (a.available && a.currentCallSid === null && !this.wrapUps.has(a.id) && online.has(a.id) && this.phones.get(a.id) === true) ids.add(a.id);
    }
    return ids;
  }

  /** The call with the number of agents it rings now (`team`: the agent views, when already made). */
  private counted(call: CallView, team?: AgentView[]): CallView {
    if (call.phase !== "ringing") return call.ringingCount === 0 ? call : { ...call, ringingCount: 0 };
    const ringingCount = (team ?? this.agentViews()).filter((a) => ringsAgent(call, a)).length;
    return ringingCount === call.ringingCount ? call : { ...call, ringingCount };
  }

  /**
   * Whoever became eligible or stopped being so since `before`: every ringing call whose count
   * changed is sent again (same seq, new count), and each call records the agents it now rings.
   */
  private reRing(before: Set<string>): void {
    const after = this.eligibleSet();
    const gained = [...after].filter((id) => !before.has(id));
    if (gained.length === 0 && [...before].every((id) => after.has(id))) return;
    const team = this.agentViews();
    for (const call of this.live().values()) {
      if (call.phase !== "ringing") continue;
      const counted = this.counted(call, team);
      if (counted !== call) {
        this.live().set(call.callSid, counted);
        this.broadcast({ type: "call.ringing", call: counted });
      }
      const rung = gained.filter((id) => ringsAgent(call, team.find((a) => a.id === id)!));
      if (rung.length > 0) this.ctx.waitUntil(this.env.CALLS.getByName(call.callSid).rang(rung).then(() => undefined, () => undefined));
    }
  }

  // ---- consoles and calls ----

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

  /** Agents with an open console (`except`: as if that socket were closed already). Not to be mutated. */
  private onlineAgentIds(except?: WebSocket): Set<string> {
    if (!except && this.onlineCache) return this.onlineCache;
    const sockets = this.consoles();
    const ids = new Set<string>();
    for (const ws of sockets) {
      if (ws.readyState === WebSocket.CLOSED) sockets.delete(ws);
      if (ws === except || ws.readyState !== WebSocket.OPEN) continue;
      // The socket's tag is its agent (acceptWebSocket(server, [agentId])): cheaper than its attachment.
      const agentId = this.ctx.getTags(ws)[0];
      if (agentId) ids.add(agentId);
    }
    if (!except) this.onlineCache = ids;
    return ids;
  }

  private announceOffline(before: Set<string>, closing?: WebSocket): void {
    const after = this.onlineAgentIds(closing);
    for (const agentId of before) {
      if (after.has(agentId)) continue;
      log("console.offline", { agentId });
      // A phone is ready only while a console holds it: the next console reports it again.
      if (this.phones.delete(agentId)) this.ctx.storage.kv.delete(PHONE_PREFIX + agentId);
      this.announcePresence(agentId, false);
    }
  }

  /** An agent came online or went offline: their view changed, so it gets a new version. */
  private announcePresence(agentId: string, online: boolean): void {
    const a = this.team?.get(agentId);
    const version = a ? this.restamp(a).version : this.nextVersion();
    this.broadcast({ type: "agent.presence", agentId, online, version });
  }

  /** Hands out the next AgentView.version, kept in storage so that it survives eviction (the write joins the change's). */
  private nextVersion(): number {
    this.version++;
    this.ctx.storage.kv.put(VERSION_KEY, this.version);
    return this.version;
  }

  /** The agent's team entry with a new version: what only the switchboard knows of them changed. */
  private restamp(a: AgentView): AgentView {
    const next = { ...a, version: this.nextVersion() };
    this.team?.set(a.id, next);
    return next;
  }

  /**
   * Ends every wrap-up that is over by `now`, telling the consoles; the caller re-rings (its
   * eligibleSet taken before this call sees the agents gain).
   */
  private endDueWrapUps(now: number): void {
    for (const [agentId, until] of this.wrapUps) {
      if (until > now) continue;
      this.forgetWrapUp(agentId, "time");
      const a = this.team?.get(agentId);
      if (a) this.broadcast({ type: "agent.updated", agent: this.overlay(this.restamp(a)) });
    }
  }

  /**
   * The agent let a ring time out: one more in a row. At AUTO_PAUSE_AFTER they are set away ("Missed
   * 3 calls"): in the team at once (the caller re-rings, so they stop ringing), in D1 in the background,
   * and their own consoles are told (agent.paused).
   */
  private missedRing(agentId: string): void {
    const { autoPauseAfter } = readConfig(this.env);
    const a = this.team?.get(agentId);
    if (autoPauseAfter === 0 || !a || !a.available) return this.resetMissed(agentId);
    const count = (this.missed.get(agentId) ?? 0) + 1;
    log("agent.missed_ring", { agentId, inARow: count });
    if (count < autoPauseAfter) {
      this.missed.set(agentId, count);
      this.ctx.storage.kv.put(MISSED_PREFIX + agentId, count);
      return;
    }
    this.resetMissed(agentId);
    const reason = missedCallsReason(count);
    const now = Date.now();
    const view = this.overlay(this.restamp({ ...a, available: false, awayReason: reason, statusSince: now }));
    log("agent.auto_paused", { agentId, missed: count }, "warn");
    this.broadcast({ type: "agent.updated", agent: view });
    for (const ws of this.ctx.getWebSockets(agentId)) {
      try {
        send(ws, { type: "agent.paused", agentId, reason, missed: count });
      } catch {
        // closing
      }
    }
    this.ctx.waitUntil(
      updateAgent(openDb(this.env.DB), agentId, { available: false, awayReason: reason, statusSince: now }).then(
        () => undefined,
        (err) => log("agent.auto_pause_failed", { agentId, error: String(err) }, "error"),
      ),
    );
  }

  private resetMissed(agentId: string): void {
    if (this.missed.delete(agentId)) this.ctx.storage.kv.delete(MISSED_PREFIX + agentId);
  }

  private forgetWrapUp(agentId: string, why: "ready" | "time" | "busy"): void {
    this.wrapUps.delete(agentId);
    this.ctx.storage.kv.delete(WRAP_UP_PREFIX + agentId);
    log("agent.wrap_up_ended", { agentId, why });
  }

  /** Reads the snapshot's D1 parts until no message about them arrived meanwhile. */
  private async readD1Settled(): Promise<{ voicemails: VoicemailView[]; unhandledVoicemails: number; history: CallView[] }> {
    const db = openDb(this.env.DB);
    for (;;) {
      const version = this.d1Version;
      const [inbox, history] = await Promise.all([snapshotVoicemails(db), recentEndedCalls(db)]);
      if (version === this.d1Version) return { voicemails: inbox.voicemails, unhandledVoicemails: inbox.unhandled, history };
    }
  }

  /**
   * Set, or brought forward, to the earlier of limits.ts pruneAlarmAt (never later than the earliest
   * session expiry; only with consoles open) and the earliest wrap-up end.
   */
  private async ensureAlarm(): Promise<void> {
    const wrapUpEnd = Math.min(...this.wrapUps.values());
    const prune = this.consoles().size === 0 ? Infinity : pruneAlarmAt(Date.now(), readConfig(this.env).pingTimeoutMs, this.earliestExpiry());
    const at = Math.min(prune, wrapUpEnd);
    if (at === Infinity) return;
    const set = await this.ctx.storage.getAlarm();
    if (set !== null && set <= at) return;
    await this.ctx.storage.setAlarm(at);
  }

  /** The earliest expiry of an open console's session: its attachments are read once per wake-up, then kept in step. */
  private earliestExpiry(): number {
    if (this.expiry === null) {
      let earliest = Infinity;
      for (const ws of this.consoles()) earliest = Math.min(earliest, expiryOf(attachment(ws)));
      this.expiry = earliest;
    }
    return this.expiry;
  }

  /** Closes the consoles whose session has expired, and learns the next expiry on the way. */
  private closeExpired(now: number): void {
    let next = Infinity;
    for (const ws of this.consoles()) {
      const a = attachment(ws);
      const expiresAt = expiryOf(a);
      if (!a || expiresAt > now) {
        next = Math.min(next, expiresAt);
        continue;
      }
      log("console.dropped", { agentId: a.agentId, reason: "session expired" });
      closeQuietly(ws, CLOSE.session_expired.code, CLOSE.session_expired.reason);
      this.consoles().delete(ws);
      this.onlineCache = null;
      this.ctx.waitUntil(this.closeSimPhones(a.agentId, a.sessionHash, "session_expired"));
    }
    this.expiry = next;
  }

  /** The simulator's phones of that session (or of every session of the agent) go with its consoles. */
  private async closeSimPhones(agentId: string, sessionHash: string | null, end: SessionEnd): Promise<void> {
    if (readConfig(this.env).carrier !== "simulator") return;
    const { code, reason } = CLOSE[end];
    try {
      await this.env.SIM_CARRIER.getByName(CARRIER_NAME).closePhones(agentId, sessionHash, code, reason);
    } catch (err) {
      log("console.sim_phones_failed", { agentId, error: String(err) }, "error");
    }
  }

  /** A write of the reports' rows, after those before it; D1 is a projection: a failure is only logged. */
  private report(write: (db: ReturnType<typeof openDb>) => Promise<void>): void {
    this.reportWrites = this.reportWrites.then(() =>
      write(openDb(this.env.DB)).catch((error: unknown) => log("switchboard.report_write_failed", { error: String(error) }, "error")),
    );
    this.ctx.waitUntil(this.reportWrites);
  }

  /** Logs the agent's status, wrap-up and presence intervals that this view changes (docs/reports.md). */
  private trackState(view: AgentView): void {
    const after = loggedState(view);
    const changes = stateChanges(this.logged.get(view.id), after);
    this.logged.set(view.id, after);
    if (changes.length === 0) return;
    this.unloggedStates.push({ agentId: view.id, changes, at: Date.now() });
    // The first change since the last write queues a write, which takes every change gathered by then.
    if (this.unloggedStates.length === 1) this.report((db) => writeStateChanges(db, this.unloggedStates.splice(0)));
  }

  private broadcast(msg: ServerMessage): void {
    if (msg.type === "agent.updated") this.trackState(msg.agent);
    else if (msg.type === "agent.presence") {
      const a = this.team?.get(msg.agentId);
      if (a) this.trackState(this.overlay(a));
    }
    const frame = JSON.stringify(msg);
    for (const ws of this.consoles()) {
      try {
        ws.send(frame);
      } catch {
        // A socket closing under us; its close handler cleans up.
      }
    }
  }
}

/** The team as the consoles list it. */
function byName(agents: AgentView[]): AgentView[] {
  return agents.sort((a, b) => a.name.localeCompare(b.name));
}

function attachment(ws: WebSocket): Attachment | null {
  return (ws.deserializeAttachment() as Attachment | null) ?? null;
}

/** When the console's session expires; a socket with no expiry recorded never does. */
function expiryOf(a: Attachment | null): number {
  return typeof a?.expiresAt === "number" ? a.expiresAt : Infinity;
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
