// Part 1: latency of POST /twilio/voice with 10 agents rung, at a given number of calls in flight.
import { performance } from "node:perf_hooks";
import { newCallSid, type Product } from "./product.ts";
import { summarize, type Summary } from "./stats.ts";

export interface WebhookResult {
  concurrency: number;
  latency: Summary;
  errors: number;
}

export async function webhookLatency(p: Product, concurrency: number, calls: number, ringGroup: number): Promise<WebhookResult> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const worker = async () => {
    while (next < calls) {
      next++;
      const sid = newCallSid();
      const t0 = performance.now();
      const res = await p.voice(sid);
      const xml = await res.text();
      latencies.push(performance.now() - t0);
      // Correctness: every agent who should ring is in the <Dial>.
      if (!res.ok || (xml.match(/<Client /g) ?? []).length !== ringGroup) errors++;
      // The caller hangs up, so the agents stay idle for the next call (not measured).
      await p.callStatus(sid, "completed");
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { concurrency, latency: summarize(latencies), errors };
}

/** The floor under every number: `GET /healthz`, which touches no Durable Object and no D1. */
export async function floorLatency(url: string, concurrency: number, requests: number): Promise<Summary> {
  const latencies: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < requests) {
      next++;
      const t0 = performance.now();
      await (await fetch(url + "/healthz")).arrayBuffer();
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return summarize(latencies);
}
