// Part 2: N agents claim the same call at the same instant; exactly one may win, every time.
import { performance } from "node:perf_hooks";
import { agentId, newCallSid, type Product } from "./product.ts";
import { summarize, type Summary } from "./stats.ts";

export interface ClaimResult {
  contenders: number;
  calls: number;
  latency: Summary;
  /** Calls with no winner or more than one: must be 0. */
  wrongWinners: number;
  errors: number;
}

/**
 * `agents` are online and available; the call rings the 10 longest idle of them (Twilio's <Dial>
 * limit), and all `agents` claim at once: the others are refused (403), which is contention too.
 */
export async function claimContention(p: Product, agents: number[], calls: number): Promise<ClaimResult> {
  const latencies: number[] = [];
  let wrongWinners = 0;
  let errors = 0;
  for (let i = 0; i < calls; i++) {
    const sid = newCallSid();
    const voice = await p.voice(sid);
    const rung = [...(await voice.text()).matchAll(/<Identity>([^<]+)<\/Identity>/g)].map((m) => m[1]);
    const contenders = agents.length <= 10 ? agents.filter((a) => rung.includes(agentId(a))) : agents;
    const statuses = await Promise.all(
      contenders.map(async (a) => {
        const t0 = performance.now();
        const res = await p.claim(sid, a);
        await res.arrayBuffer();
        latencies.push(performance.now() - t0);
        return res.status;
      }),
    );
    if (statuses.filter((s) => s === 200).length !== 1) wrongWinners++;
    const odd = statuses.filter((s) => s !== 200 && s !== 409 && s !== 403);
    if (odd.length) console.error(`bench: claims answered ${[...new Set(odd)].join(", ")} (voice answered ${voice.status})`);
    errors += odd.length;
    await p.callStatus(sid, "completed"); // frees the winner for the next call
  }
  return { contenders: agents.length <= 10 ? Math.min(10, agents.length) : agents.length, calls, latency: summarize(latencies), wrongWinners, errors };
}
