// Part 1: latency of POST /twilio/voice with 10 agents rung, at a given number of calls in flight.
import { performance } from "node:perf_hooks";
import { newCallSid, type Product } from "./product.ts";
import { summarize, type Summary } from "./stats.ts";

export interface WebhookResult {
  concurrency: number;
  latency: Summary;
  errors: number;
}

/** Runs `task` `count` times, `concurrency` at a time. */
async function inFlight(concurrency: number, count: number, task: () => Promise<void>): Promise<void> {
  let started = 0;
  const worker = async () => {
    while (started < count) {
      started++;
      await task();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

export async function webhookLatency(p: Product, concurrency: number, calls: number, ringGroup: number): Promise<WebhookResult> {
  const latencies: number[] = [];
  let errors = 0;
  await inFlight(concurrency, calls, async () => {
    const sid = newCallSid();
    const t0 = performance.now();
    const res = await p.voice(sid);
    const xml = await res.text();
    latencies.push(performance.now() - t0);
    // Correctness: every agent who should ring is in the <Dial>.
    if (!res.ok || (xml.match(/<Client /g) ?? []).length !== ringGroup) errors++;
    // The caller hangs up, so the agents stay idle for the next call (not measured).
    await p.callStatus(sid, "completed");
  });
  return { concurrency, latency: summarize(latencies), errors };
}

/** The floor under every number: `GET /healthz`, which touches no Durable Object and no D1. */
export async function floorLatency(url: string, concurrency: number, requests: number): Promise<Summary> {
  const latencies: number[] = [];
  await inFlight(concurrency, requests, async () => {
    const t0 = performance.now();
    await (await fetch(url + "/healthz")).arrayBuffer();
    latencies.push(performance.now() - t0);
  });
  return summarize(latencies);
}
