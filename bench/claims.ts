// Part 2: N agents claim the same call at the same instant; exactly one may win, every time.
import { newCallSid, type Product } from "./product.ts";
import { summarize, type Summary } from "./stats.ts";
import { isLobby } from "./webhook.ts";

export interface ClaimResult {
  contenders: number;
  calls: number;
  latency: Summary;
  /** Calls with no winner or more than one: must be 0. */
  wrongWinners: number;
  errors: number;
}

/**
 * `agents` are eligible (console online, phone ready, available, idle), so the call rings every one
 * of them, and all claim at once: one 200 with a ticket, the others 409.
 */
export async function claimContention(p: Product, agents: number[], calls: number): Promise<ClaimResult> {
  const latencies: number[] = [];
  let wrongWinners = 0;
  let errors = 0;
  for (let i = 0; i < calls; i++) {
    const sid = newCallSid();
    const voice = await p.voice(sid);
    if (!isLobby(await voice.text(), sid)) throw new Error(`the voice webhook did not put the caller in a lobby (${voice.status})`);
    const claims = await Promise.all(agents.map((a) => p.timedClaim(sid, a)));
    for (const c of claims) latencies.push(c.answered - c.sent);
    const won = claims.filter((c) => c.status === 200);
    if (won.length !== 1 || !won[0]!.ticket) wrongWinners++;
    const odd = claims.filter((c) => c.status !== 200 && c.status !== 409).map((c) => c.status);
    if (odd.length) console.error(`bench: claims answered ${[...new Set(odd)].join(", ")}`);
    errors += odd.length;
    await (await p.callStatus(sid, "completed")).arrayBuffer(); // frees the winner for the next call
  }
  return { contenders: agents.length, calls, latency: summarize(latencies), wrongWinners, errors };
}
