// Part 4: a steady arrival of calls through the built-in carrier simulator, with agents who answer,
// decline, ignore and hang up at random; then a check that every call ended consistently and every
// agent is idle again.
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import WebSocket from "ws";
import type { CarrierToPhone, IncomingLeg } from "../simulator/phoneProtocol.ts";
import type { CallView } from "../worker/protocol.ts";
import { agentId, type Console, type Product } from "./product.ts";
import { summarize, type Summary } from "./stats.ts";

export interface SustainedResult {
  agents: number;
  rate: number;
  seconds: number;
  placed: number;
  outcomes: Record<string, number>;
  /** Ended calls per second over the whole run, drain included. */
  throughput: number;
  /** From placing a call to its `call.ringing` on a console (webhooks, ring group, fan-out). */
  ringLatency: Summary;
  claimLatency: Summary;
  errors: string[];
  /** Calls not ended in time, answered by other than exactly one bridged agent, or in an odd state. */
  inconsistent: string[];
  /** Agents still holding a call after every call ended. */
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
  /** Simulated seconds per real second: a 30 s ring times out in 30/speed s. */
  speed: number;
}

const random = (lo: number, hi: number) => lo + Math.random() * (hi - lo);
const DRAIN_MS = Number(process.env.BENCH_DRAIN_MS ?? 120_000);

/** A simulated phone plus the behaviour of the agent holding it: one call at a time. */
class Agent {
  private ws!: WebSocket;
  /** The call this agent is claiming or is on. */
  private holding: string | null = null;
  private legs = new Map<string, IncomingLeg>();
  /** Parent CallSid → the leg the carrier bridged to this agent. */
  readonly bridged = new Map<string, string>();
  private p: Product;
  private index: number;
  private claimLatencies: number[];
  private onError: (what: string) => void;

  constructor(p: Product, index: number, claimLatencies: number[], onError: (what: string) => void) {
    this.p = p;
    this.index = index;
    this.claimLatencies = claimLatencies;
    this.onError = onError;
  }

  async start(): Promise<void> {
    this.ws = new WebSocket(this.p.url.replace(/^http/, "ws") + "/sim/phone", { headers: { Cookie: `ringall_session=${this.p.seed.tokens[this.index]}` }, perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      this.ws.once("error", reject);
      this.ws.on("message", (data) => {
        const m = JSON.parse(data.toString()) as CarrierToPhone;
        if (m.type === "registered") resolve();
        else this.handle(m).catch((err) => this.onError(`agent ${agentId(this.index)}: ${String(err)}`));
      });
    });
  }

  private send(type: "accept" | "reject" | "disconnect", leg: IncomingLeg): void {
    this.ws.send(JSON.stringify({ type, callSid: leg.callSid, parentCallSid: leg.parentCallSid }));
  }

  private async handle(m: CarrierToPhone): Promise<void> {
    if (m.type === "incoming") {
      const leg = m.call;
      this.legs.set(leg.callSid, leg);
      await new Promise((res) => setTimeout(res, random(20, 400)));
      const r = Math.random();
      if (r < 0.6) {
        if (this.holding) return; // on another call: this one rings on unanswered here
        this.holding = leg.parentCallSid;
        const t0 = performance.now();
        const res = await this.p.claim(leg.parentCallSid, this.index);
        this.claimLatencies.push(performance.now() - t0);
        await res.arrayBuffer();
        if (res.status === 200) return this.send("accept", leg);
        if (![403, 409, 410].includes(res.status)) this.onError(`claim answered ${res.status}`);
        this.holding = null;
      } else if (r < 0.8) {
        const res = await this.p.api(`/api/calls/${leg.parentCallSid}/decline`, this.p.seed.tokens[this.index]!, { method: "POST" });
        await res.arrayBuffer();
        if (![200, 403, 409, 410].includes(res.status)) this.onError(`decline answered ${res.status}`);
        this.send("reject", leg);
      }
      return;
    }
    if (m.type === "registered") return;
    const leg = this.legs.get(m.callSid ?? "");
    if (!leg) return;
    if (m.type === "accept") {
      this.bridged.set(leg.parentCallSid, leg.callSid);
      setTimeout(() => this.send("disconnect", leg), random(300, 2000));
      return;
    }
    // cancel, disconnect, error: this leg is over.
    this.legs.delete(leg.callSid);
    if (this.holding === leg.parentCallSid && (m.type !== "cancel" || !this.bridged.has(leg.parentCallSid))) this.holding = null;
  }

  /** The product says this call moved on: a claim that never became a bridge no longer holds the agent. */
  release(parent: string): void {
    if (this.holding === parent && !this.bridged.has(parent)) this.holding = null;
    if (this.holding === parent && this.bridged.has(parent) && ![...this.legs.values()].some((l) => l.parentCallSid === parent)) this.holding = null;
  }

  close(): void {
    this.ws.close();
  }
}

export async function sustainedLoad(p: Product, o: Options): Promise<SustainedResult> {
  const claimLatencies: number[] = [];
  const ringLatencies: number[] = [];
  const errorList: string[] = [];
  const agents = o.agents.map((i) => new Agent(p, i, claimLatencies, (what) => errorList.push(what)));
  await Promise.all(agents.map((a) => a.start()));
  const placedAt = new Map<string, number>();
  const ringingAt = new Map<string, number>();
  const ended = new Map<string, CallView>();
  const off = o.observer.on((m, at) => {
    // POST /sim/calls answers after the voice webhook, so the ring is usually seen before the answer.
    if (m.type === "call.ringing" && !ringingAt.has(m.call.callSid)) ringingAt.set(m.call.callSid, at);
    if (m.type === "call.ended") ended.set(m.call.callSid, m.call);
    if (m.type === "call.ended" || m.type === "call.claim_released") {
      // A claim that was released, or a call that ended, leaves its agent free.
      for (const a of agents) a.release(m.call.callSid);
    }
  });
  // Nothing but the observer's feed is needed from the agents' consoles: they only keep their
  // agents online, and parsing their frames would take CPU from the server being measured.
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
    placing.push(
      (async () => {
        const t0 = performance.now();
        try {
          const res = await p.api("/sim/calls", p.seed.adminToken, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify({ from: "+1555" + String(1_000_000 + n), speed: o.speed, message: 2 }),
          });
          if (res.status !== 201) {
            errorList.push(`placing a call answered ${res.status}`);
            return;
          }
          const { callSid } = (await res.json()) as { callSid: string };
          placedAt.set(callSid, t0);
        } catch (err) {
          errorList.push(`placing a call: ${String(err)}`);
        }
      })(),
    );
  }
  await Promise.all(placing);
  // Every call must end on its own: ring timeouts, voicemails, agents hanging up.
  const deadline = performance.now() + DRAIN_MS;
  while (performance.now() < deadline && [...placedAt.keys()].some((sid) => !ended.has(sid))) {
    await o.observer.next((m) => m.type === "call.ended", 1000);
  }
  for (const [sid, t0] of placedAt) if (ringingAt.has(sid)) ringLatencies.push(ringingAt.get(sid)! - t0);
  const elapsed = (performance.now() - started) / 1000;
  loopDelay.disable();
  for (const c of o.consoles) c.muted = false;
  off();

  const inconsistent: string[] = [];
  const outcomes: Record<string, number> = {};
  for (const sid of placedAt.keys()) {
    const call = ended.get(sid);
    if (!call) {
      inconsistent.push(`${sid} did not end`);
      continue;
    }
    const outcome = call.outcome ?? "none";
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    const bridgedTo = agents.flatMap((a, i) => (a.bridged.has(sid) ? [agentId(o.agents[i]!)] : []));
    if (outcome === "answered" && (bridgedTo.length !== 1 || bridgedTo[0] !== call.answeredBy)) {
      inconsistent.push(`${sid} answered by ${call.answeredBy}, bridged to [${bridgedTo.join(", ")}]`);
    } else if (outcome !== "answered" && (bridgedTo.length > 0 || !["voicemail", "missed"].includes(outcome))) {
      inconsistent.push(`${sid} ended ${outcome}, bridged to [${bridgedTo.join(", ")}]`);
    }
  }
  const snapshot = await p.openConsole("admin");
  const snap = snapshot.received[0]!.msg;
  snapshot.close();
  const stuckAgents = snap.type === "snapshot" ? snap.agents.filter((a) => a.currentCallSid !== null).map((a) => `${a.id} holds ${a.currentCallSid}`) : ["no snapshot"];
  for (const a of agents) a.close();
  return {
    agents: o.agents.length,
    rate: o.rate,
    seconds: o.seconds,
    placed: placedAt.size,
    outcomes,
    throughput: ended.size / elapsed,
    ringLatency: summarize(ringLatencies),
    claimLatency: summarize(claimLatencies),
    errors: errorList,
    inconsistent,
    stuckAgents,
    benchLoopDelayP99: loopDelay.percentile(99) / 1e6,
  };
}
