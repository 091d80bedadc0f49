// Part 1: latency of POST /twilio/voice with 10 agents eligible, at a given number of calls in flight.
import { performance } from "node:perf_hooks";
import { newCallSid, type Product } from "./product.ts";
import { summarize, type Summary } from "./stats.ts";

export interface WebhookResult {
  concurrency: number;
  latency: Summary;
  errors: number;
}

/** Runs `task` `count` times, `concurrency` at a time. */
async function repeat(concurrency: number, count: number, task: () => Promise<void>): Promise<void> {
  let started = 0;
  const worker = async () => {
    while (started < count) {
      started++;
      await task();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** The caller's lobby: their own <Conference>, named by their CallSid, with the caller's label. */
export function isLobby(xml: string, callSid: string): boolean {
  return xml.includes(`>${callSid}</Conference>`) && xml.includes('participantLabel="caller"') && /\/twilio\/wait\?gen=\d+/.test(xml);
}

export async function webhookLatency(p: Product, concurrency: number, calls: number): Promise<WebhookResult> {
  const latencies: number[] = [];
  let errors = 0;
  await repeat(concurrency, calls, async () => {
    const sid = newCallSid();
    const t0 = performance.now();
    const res = await p.voice(sid);
    const xml = await res.text();
    latencies.push(performance.now() - t0);
    // Correctness: the caller is put in their lobby (with agents eligible, never voicemail).
    if (!res.ok || !isLobby(xml, sid)) errors++;
    // The caller hangs up, so the agents stay idle for the next call (not measured).
    await (await p.callStatus(sid, "completed")).arrayBuffer();
  });
  return { concurrency, latency: summarize(latencies), errors };
}

/** The floor under every number: `GET /healthz`, which touches no Durable Object and no D1. */
export async function floorLatency(url: string, concurrency: number, requests: number): Promise<Summary> {
  const latencies: number[] = [];
  await repeat(concurrency, requests, async () => {
    const t0 = performance.now();
    await (await fetch(url + "/healthz")).arrayBuffer();
    latencies.push(performance.now() - t0);
  });
  return summarize(latencies);
}
