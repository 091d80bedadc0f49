// Part 4: a steady arrival of calls through the built-in carrier simulator, with agents who answer,
// decline, ignore and hang up at random, and some callers who hang up on their own; then a check,
// against the carrier's own record of each conference, that every call ended consistently and every
// agent is idle again.
//
// The lobby model: a call rings the consoles (the switchboard's `call.ringing`), an agent who answers
// claims it, and their simulated phone connects with the claim's ticket (device.connect); the
// carrier requests the TwiML App URL and joins the leg to the caller's conference.
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import WebSocket from "ws";
import type { CarrierToPhone } from "../simulator/phoneProtocol.ts";
import { CONNECT_PARAMS, type CallView, type ServerMessage } from "../worker/protocol.ts";
import { agentId, type Console, inFlight, type Product } from "./product.ts";
import { summarize, type Summary } from "./stats.ts";

export interface SustainedResult {
  agents: number;
  rate: number;
  seconds: number;
  placed: number;
  outcomes: Record<string, number>;
  /** Ended calls per second over the whole run, drain included. */
  throughput: number;
  /** From placing a call to its `call.ringing` on the observing console. */
  ringLatency: Summary;
  claimLatency: Summary;
  /** From the winning claim sent to `call.connected` on the observing console (the phone's connect included). */
  connectLatency: Summary;
  /** Claims sent per call that was answered: the race a ring to every console starts. */
  claimsPerAnswered: number;
  /** How long an agent took to react to a ring, ms. */
  reactionMs: [number, number];
  /**
   * Agents' legs the carrier joined to the caller after the product had given up on their claim
   * (its lease lapsed before the join was heard), which the product then ended: the caller heard an
   * agent for a moment. Counted apart: the product's stated rule, but a caller-facing glitch.
   */
  lateJoinsKicked: string[];
  errors: string[];
  /**
   * Calls that did not end, that two agents were with at once, marked connected to an agent the
   * carrier never joined to the caller (or the reverse), or that ended with an outcome that says
   * otherwise.
   */
  inconsistent: string[];
  /** Agents still holding a call (the product's word) or a leg (the carrier's) after every call ended. */
  stuckAgents: string[];
  /** The benchmark's own event-loop delay, p99 ms: if high, the client was part of the limit. */
  benchLoopDelayP99: number;
}

interface Options {
  agents: number[];
  consoles: Console[];
  observer: Console;
  rate: number;
  seconds: number;
  /** Simulated seconds per real second: a 2 s voicemail message lasts 0.2 s at 10. */
  speed: number;
  /** The share of callers who hang up on their own, at a random moment in their first 20 simulated seconds. */
  callerHangups: number;
  /** How long an agent takes to react to a ring (uniform between the two), ms. */
  reactionMs: [number, number];
}

const random = (lo: number, hi: number) => lo + Math.random() * (hi - lo);
const DRAIN_MS = Number(process.env.BENCH_DRAIN_MS ?? 120_000);
/** How long an agent stays on a call once the caller is with them. */
const TALK_MS: [number, number] = [300, 2000];

interface Leg {
  ref: string;
  parent: string;
  callSid: string | null;
  accepted: boolean;
  timer: NodeJS.Timeout | null;
}

class Run {
  readonly board = new Map<string, CallView>();
  readonly claimLatencies: number[] = [];
  readonly connectLatencies: number[] = [];
  readonly errors: string[] = [];
  /** Every agent leg the bench's phones placed: its CallSid → the agent. */
  readonly legOwner = new Map<string, string>();
  /** The winning claims' send times, by call and agent, for the connect latency. */
  readonly claimSent = new Map<string, number>();
  /** Agents the product said were connected to each call (`call.connected`). */
  readonly connected = new Map<string, Set<string>>();
  claims = 0;
  agents: Agent[] = [];
  readonly p: Product;
  readonly reactionMs: [number, number];
  constructor(p: Product, reactionMs: [number, number]) {
    this.p = p;
    this.reactionMs = reactionMs;
  }

  error(what: string): void {
    this.errors.push(what);
  }

  /** A console's view of a call changed: each agent it now rings notices it. */
  onCall(call: CallView): void {
    const known = this.board.get(call.callSid);
    if (known && known.seq > call.seq) return;
    if (call.phase === "ended") {
      this.board.delete(call.callSid);
      for (const a of this.agents) a.noticed.delete(call.callSid);
      return;
    }
    this.board.set(call.callSid, call);
    for (const a of this.agents) a.consider(call);
  }
}

/** A simulated phone plus the behaviour of the agent holding it: one call at a time. */
class Agent {
  readonly id: string;
  private ws!: WebSocket;
  /** The call this agent is claiming or is on, until its leg has ended. */
  holding: string | null = null;
  private leg: Leg | null = null;
  /** Calls ringing this agent that it has already seen (and answered, declined or ignored). */
  readonly noticed = new Set<string>();
  private refs = 0;
  private run: Run;
  private index: number;

  constructor(run: Run, index: number) {
    this.run = run;
    this.index = index;
    this.id = agentId(index);
  }

  async start(): Promise<void> {
    const p = this.run.p;
    this.ws = new WebSocket(p.url.replace(/^http/, "ws") + "/sim/phone", { headers: { Cookie: `ringall_session=${p.seed.tokens[this.index]}` }, perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      this.ws.once("error", reject);
      this.ws.on("message", (data) => {
        const m = JSON.parse(data.toString()) as CarrierToPhone;
        if (m.type === "registered") resolve();
        else this.phone(m);
      });
    });
    // As the console does once its phone is registered.
    await p.setPhoneReady(this.index, true);
  }

  /** Whether the call rings this agent, as its console decides (protocol.ts ringsAgent, with its own state). */
  private ringsMe(call: CallView): boolean {
    return call.phase === "ringing" && !call.declined.includes(this.id) && (call.ringTargets === null || call.ringTargets.includes(this.id));
  }

  consider(call: CallView): void {
    if (!this.ringsMe(call)) {
      this.noticed.delete(call.callSid);
      return;
    }
    if (this.holding !== null || this.noticed.has(call.callSid)) return;
    this.noticed.add(call.callSid);
    setTimeout(() => this.decide(call.callSid).catch((err) => this.run.error(`${this.id}: ${String(err)}`)), random(...this.run.reactionMs));
  }

  private async decide(sid: string): Promise<void> {
    const call = this.run.board.get(sid);
    if (!call || !this.ringsMe(call)) return;
    if (this.holding !== null) {
      // Busy with another call meanwhile: seen again once free, if it still rings.
      this.noticed.delete(sid);
      return;
    }
    const r = Math.random();
    const p = this.run.p;
    if (r < 0.6) {
      this.holding = sid;
      this.run.claims++;
      const c = await p.timedClaim(sid, this.index);
      this.run.claimLatencies.push(c.answered - c.sent);
      if (c.status === 200 && c.ticket) {
        this.run.claimSent.set(`${sid} ${this.id}`, c.sent);
        this.connect(sid, c.ticket);
        return;
      }
      if (![403, 409, 410].includes(c.status)) this.run.error(`claim answered ${c.status}`);
      // Refused because the product still counted this agent busy (or not rung): the next message
      // about the call rings it again, as on a console.
      if (c.status === 403 || c.status === 409) this.noticed.delete(sid);
      this.free();
    } else if (r < 0.8) {
      const res = await p.post(this.index, `/api/calls/${sid}/decline`);
      await res.arrayBuffer();
      if (![200, 403, 409, 410].includes(res.status)) this.run.error(`decline answered ${res.status}`);
    }
  }

  /** device.connect({ params: { callerSid, ticket } }) */
  private connect(parent: string, ticket: string): void {
    const ref = `${this.id}-${++this.refs}`;
    this.leg = { ref, parent, callSid: null, accepted: false, timer: null };
    this.ws.send(JSON.stringify({ type: "connect", ref, params: { [CONNECT_PARAMS.callerSid]: parent, [CONNECT_PARAMS.ticket]: ticket } }));
  }

  private phone(m: CarrierToPhone): void {
    const leg = this.leg;
    if (m.type === "registered" || !leg || ("ref" in m && m.ref !== leg.ref)) return;
    if (m.type === "ringing") {
      leg.callSid = m.callSid;
      this.run.legOwner.set(m.callSid, this.id);
    } else if (m.type === "accept") {
      leg.accepted = true;
      leg.timer = setTimeout(() => this.hangUp(leg).catch((err) => this.run.error(`${this.id}: ${String(err)}`)), random(...TALK_MS));
    } else if (m.type === "disconnect") {
      if (leg.timer) clearTimeout(leg.timer);
      // A leg that ended before it was answered: the console tells the product, which rings the others.
      if (!leg.accepted) void this.release(leg.parent, "the phone's leg ended before it was answered");
      this.free();
    } else if (m.type === "error" && m.code !== 31005) {
      // 31005 (ended before answered) is followed by the leg's disconnect; anything else is the bench's fault.
      this.run.error(`${this.id}'s phone: error ${m.code} ${m.message}`);
      if (leg.callSid === null) {
        void this.release(leg.parent, `phone error ${m.code}`);
        this.free();
      }
    }
  }

  private async release(sid: string, reason: string): Promise<void> {
    const res = await this.run.p.post(this.index, `/api/calls/${sid}/release`, { reason });
    await res.arrayBuffer();
    if (![200, 409, 410].includes(res.status)) this.run.error(`release answered ${res.status}`);
  }

  /** Hang up: as the console does, POST /hangup, then the phone's own disconnect. */
  private async hangUp(leg: Leg): Promise<void> {
    leg.timer = null;
    const res = await this.run.p.post(this.index, `/api/calls/${leg.parent}/hangup`);
    await res.arrayBuffer();
    // 403/410: the caller hung up first.
    if (![200, 403, 410].includes(res.status)) this.run.error(`hangup answered ${res.status}`);
    if (this.leg === leg && leg.callSid) this.ws.send(JSON.stringify({ type: "disconnect", callSid: leg.callSid }));
  }

  private free(): void {
    this.holding = null;
    this.leg = null;
    for (const call of this.run.board.values()) this.consider(call);
  }

  /** What this agent still holds, for the end-of-run check. */
  busy(): string | null {
    if (this.leg) return `${this.id} still has a leg${this.leg.callSid ? ` ${this.leg.callSid}` : ""} to ${this.leg.parent}`;
    if (this.holding) return `${this.id} still holds ${this.holding}`;
    return null;
  }

  close(): void {
    this.ws.close();
  }
}

/** What the bench reads of GET /sim/conferences/{name} (simulator/SimConference.ts, which imports the runtime's types). */
interface SimConferenceState {
  /** "CA… joined as agent", "CA… left (reason, status)", "CF… ended (reason)", …, oldest first. */
  events: { at: number; what: string }[];
}

/**
 * The carrier's record of a call's conference, replayed: which agents' legs were with the caller,
 * whether two ever were at once, and which agents' legs left because the product ended them by REST.
 */
function bridged(conf: SimConferenceState, callerSid: string, owner: Map<string, string>): { agents: Set<string>; kicked: Set<string>; together: string[]; unknown: string[] } {
  const present = new Set<string>();
  const agents = new Set<string>();
  const kicked = new Set<string>();
  const together: string[] = [];
  const unknown: string[] = [];
  let callerIn = false;
  const note = (leg: string) => {
    const who = owner.get(leg);
    if (!who) unknown.push(leg);
    else agents.add(who);
  };
  for (const { what } of conf.events) {
    let m: RegExpExecArray | null;
    if ((m = /^(CA[0-9a-f]{32}) joined/.exec(what))) {
      const sid = m[1]!;
      if (sid === callerSid) {
        callerIn = true;
        for (const leg of present) note(leg);
      } else {
        present.add(sid);
        if (callerIn) note(sid);
      }
      if (callerIn && present.size > 1) together.push([...present].map((l) => owner.get(l) ?? l).join(" and "));
    } else if ((m = /^(CA[0-9a-f]{32}) left \(([a-z_]+)/.exec(what))) {
      if (m[1] === callerSid) callerIn = false;
      else {
        present.delete(m[1]!);
        const who = owner.get(m[1]!);
        if (who && m[2] === "participant_updated_via_api") kicked.add(who);
      }
    } else if (/^CF[0-9a-f]{32} ended/.test(what)) {
      callerIn = false;
      present.clear();
    }
  }
  return { agents, kicked, together, unknown };
}

export async function sustainedLoad(p: Product, o: Options): Promise<SustainedResult> {
  const run = new Run(p, o.reactionMs);
  run.agents = o.agents.map((i) => new Agent(run, i));
  await inFlight(20, run.agents, (a) => a.start());
  const placedAt = new Map<string, number>();
  const ringingAt = new Map<string, number>();
  const ended = new Map<string, CallView>();
  const off = o.observer.on((m: ServerMessage, at) => {
    if (!("call" in m)) return;
    const sid = m.call.callSid;
    // POST /sim/calls answers after the voice webhook, so the ring is usually seen before the answer.
    if (m.type === "call.ringing" && !ringingAt.has(sid)) ringingAt.set(sid, at);
    if (m.type === "call.connected") {
      const set = run.connected.get(sid) ?? new Set<string>();
      set.add(m.agentId);
      run.connected.set(sid, set);
      const sent = run.claimSent.get(`${sid} ${m.agentId}`);
      if (sent !== undefined) run.connectLatencies.push(at - sent);
    }
    if (m.type === "call.ended") ended.set(sid, m.call);
    run.onCall(m.call);
  });
  // The agents act on the observing console's feed, which every console gets alike. Their own
  // consoles only keep them online: their frames are counted, not parsed, so that the benchmark does
  // not take the CPU of the server being measured.
  for (const c of o.consoles) {
    c.forget();
    c.muted = true;
  }

  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const started = performance.now();
  const total = Math.round(o.rate * o.seconds);
  const placing: Promise<void>[] = [];
  for (let n = 0; n < total; n++) {
    const due = started + (n * 1000) / o.rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const hangupAfter = Math.random() < o.callerHangups ? random(0.5, 20) : undefined;
    placing.push(
      (async () => {
        const t0 = performance.now();
        try {
          const res = await fetch(p.url + "/sim/calls", {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ from: "+1555" + String(1_000_000 + n), speed: o.speed, message: 2, ...(hangupAfter ? { hangupAfter } : {}) }),
          });
          if (res.status !== 201) {
            run.error(`placing a call answered ${res.status}`);
            return;
          }
          const { callSid } = (await res.json()) as { callSid: string };
          placedAt.set(callSid, t0);
        } catch (err) {
          run.error(`placing a call: ${String(err)}`);
        }
      })(),
    );
  }
  await Promise.all(placing);
  // Every call must end on its own: agents hanging up, callers hanging up, voicemails.
  const deadline = performance.now() + DRAIN_MS;
  while (performance.now() < deadline && [...placedAt.keys()].some((sid) => !ended.has(sid))) {
    await o.observer.next((m) => m.type === "call.ended", 1000);
  }
  const elapsed = (performance.now() - started) / 1000;
  loopDelay.disable();
  // The last legs end as their conferences do: give them a moment.
  const legsBy = performance.now() + 5000;
  while (performance.now() < legsBy && run.agents.some((a) => a.busy())) await new Promise((r) => setTimeout(r, 100));
  for (const c of o.consoles) c.muted = false;
  off();

  const ringLatencies = [...placedAt].flatMap(([sid, t0]) => (ringingAt.has(sid) ? [ringingAt.get(sid)! - t0] : []));
  const inconsistent: string[] = [];
  const lateJoinsKicked: string[] = [];
  const outcomes: Record<string, number> = {};
  await inFlight(10, [...placedAt.keys()], async (sid) => {
    const call = ended.get(sid);
    const [confRes, simRes] = await Promise.all([fetch(`${p.url}/sim/conferences/${sid}`), fetch(`${p.url}/sim/calls/${sid}`)]);
    const conf = ((await confRes.json()) as { conference: SimConferenceState }).conference;
    const sim = ((await simRes.json()) as { call?: { status: string; finished: boolean } }).call;
    if (!sim?.finished) inconsistent.push(`${sid}: the caller is still ${sim?.status ?? "unknown"} at the carrier`);
    if (!call) {
      inconsistent.push(`${sid} did not end (last seen ${run.board.get(sid)?.phase ?? "never"})`);
      return;
    }
    const outcome = call.outcome ?? "none";
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    const marked = run.connected.get(sid) ?? new Set<string>();
    const carrier = bridged(conf, sid, run.legOwner);
    for (const t of carrier.together) inconsistent.push(`${sid}: ${t} were with the caller at once`);
    for (const leg of carrier.unknown) inconsistent.push(`${sid}: a leg no phone placed (${leg}) was with the caller`);
    for (const a of marked) if (!carrier.agents.has(a)) inconsistent.push(`${sid}: marked connected to ${a}, whom the carrier never joined to the caller`);
    for (const a of carrier.agents) {
      if (marked.has(a)) continue;
      if (carrier.kicked.has(a)) lateJoinsKicked.push(`${sid}: ${a}`);
      else inconsistent.push(`${sid}: the carrier joined ${a} to the caller, never marked connected, and it stayed`);
    }
    if ((outcome === "answered" || outcome === "abandoned") !== marked.size > 0) inconsistent.push(`${sid} ended ${outcome}, connected to [${[...marked].join(", ")}]`);
  });
  const snapshot = await p.openConsole("admin");
  const snap = snapshot.received[0]!.msg;
  snapshot.close();
  const stuckAgents = snap.type === "snapshot" ? snap.agents.filter((a) => a.currentCallSid !== null).map((a) => `${a.id} holds ${a.currentCallSid}`) : ["no snapshot"];
  for (const a of run.agents) {
    const b = a.busy();
    if (b) stuckAgents.push(b);
  }
  for (const a of run.agents) a.close();
  const answered = (outcomes.answered ?? 0) + (outcomes.abandoned ?? 0);
  return {
    agents: o.agents.length,
    rate: o.rate,
    seconds: o.seconds,
    placed: placedAt.size,
    outcomes,
    throughput: ended.size / elapsed,
    ringLatency: summarize(ringLatencies),
    claimLatency: summarize(run.claimLatencies),
    connectLatency: summarize(run.connectLatencies),
    claimsPerAnswered: answered ? run.claims / answered : NaN,
    reactionMs: o.reactionMs,
    lateJoinsKicked,
    errors: run.errors,
    inconsistent,
    stuckAgents,
    benchLoopDelayP99: loopDelay.percentile(99) / 1e6,
  };
}
