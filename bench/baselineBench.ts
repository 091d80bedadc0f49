// Part 5: the design of the user's plan on the same machine and runtime (bench/baseline/worker.ts):
// claims as INSERT … ON CONFLICT DO NOTHING into D1, and consoles that learn of a claim by polling
// ring_events every second or from a change feed that polls it every 100 ms.
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import WebSocket from "ws";
import { summarize, type Summary } from "./stats.ts";

export const FEED_POLL_MS = 100;
export const CONSOLE_POLL_MS = 1000;

const newSid = () => "CA" + randomBytes(16).toString("hex");

function claim(url: string, callSid: string, agentId: string): Promise<Response> {
  return fetch(url + "/claim", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ callSid, agentId }) });
}

export async function baselineClaims(url: string, contenders: number, calls: number) {
  const latencies: number[] = [];
  let wrongWinners = 0;
  for (let i = 0; i < calls; i++) {
    const sid = newSid();
    const statuses = await Promise.all(
      Array.from({ length: contenders }, async (_, a) => {
        const t0 = performance.now();
        const res = await claim(url, sid, `agent_${a}`);
        await res.arrayBuffer();
        latencies.push(performance.now() - t0);
        return res.status;
      }),
    );
    if (statuses.filter((s) => s === 200).length !== 1) wrongWinners++;
  }
  return { contenders, calls, latency: summarize(latencies), wrongWinners };
}

interface Follower {
  arrivals: Map<string, number>;
  close(): void;
}

/** A console following the change feed's WebSocket. */
async function feedFollower(url: string): Promise<Follower> {
  const arrivals = new Map<string, number>();
  const ws = new WebSocket(url.replace(/^http/, "ws") + "/feed");
  ws.on("message", (d) => {
    const row = JSON.parse(d.toString()) as { call_sid: string; event_type: string };
    if (row.event_type === "answered") arrivals.set(row.call_sid, performance.now());
  });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  return { arrivals, close: () => ws.close() };
}

/** A console polling GET /events every second, from a random phase like independent browsers. */
async function pollingFollower(url: string): Promise<Follower> {
  const arrivals = new Map<string, number>();
  let after = Number.MAX_SAFE_INTEGER;
  const first = (await (await fetch(url + "/events?after=0")).json()) as { events: { id: number }[] };
  after = first.events.at(-1)?.id ?? 0;
  let stopped = false;
  const loop = async () => {
    await new Promise((r) => setTimeout(r, Math.random() * CONSOLE_POLL_MS));
    while (!stopped) {
      const t = performance.now();
      try {
        const { events } = (await (await fetch(`${url}/events?after=${after}`)).json()) as { events: { id: number; call_sid: string; event_type: string }[] };
        const at = performance.now();
        for (const e of events) {
          after = Math.max(after, e.id);
          if (e.event_type === "answered") arrivals.set(e.call_sid, at);
        }
      } catch {
        // a dropped poll is retried on the next tick, as a browser would
      }
      await new Promise((r) => setTimeout(r, Math.max(0, CONSOLE_POLL_MS - (performance.now() - t))));
    }
  };
  void loop();
  return { arrivals, close: () => (stopped = true) };
}

export interface BaselineFanout {
  mode: "change feed" | "polling";
  consoles: number;
  rounds: number;
  /** From the claim sent: the start point this design's numbers are taken from too. */
  afterRequest: Summary;
  afterResponse: Summary;
  lost: number;
}

export async function baselineFanout(url: string, mode: BaselineFanout["mode"], consoles: number, rounds: number): Promise<BaselineFanout> {
  const followers: Follower[] = [];
  for (let i = 0; i < consoles; i += 100) {
    followers.push(...(await Promise.all(Array.from({ length: Math.min(100, consoles - i) }, () => (mode === "polling" ? pollingFollower(url) : feedFollower(url))))));
  }
  const latencies: number[] = [];
  const fromRequest: number[] = [];
  let lost = 0;
  for (let r = 0; r < rounds; r++) {
    const sid = newSid();
    const sent = performance.now();
    const res = await claim(url, sid, "agent_winner");
    await res.arrayBuffer();
    const answered = performance.now();
    if (res.status !== 200) throw new Error(`baseline claim got ${res.status}`);
    // Wait, by checking, until every follower has it or 5 s (polling) / 2 s (feed) passed.
    const deadline = answered + (mode === "polling" ? 5 * CONSOLE_POLL_MS : 20 * FEED_POLL_MS);
    while (performance.now() < deadline && followers.some((f) => !f.arrivals.has(sid))) await new Promise((res) => setTimeout(res, 5));
    for (const f of followers) {
      const at = f.arrivals.get(sid);
      if (at === undefined) lost++;
      else {
        latencies.push(at - answered);
        fromRequest.push(at - sent);
      }
    }
  }
  for (const f of followers) f.close();
  return { mode, consoles, rounds, afterRequest: summarize(fromRequest), afterResponse: summarize(latencies), lost };
}
