// Part 3: from the winning claim to `call.answered` on every other console, with K consoles open.
import { performance } from "node:perf_hooks";
import { agentId, type Console, newCallSid, type Product } from "./product.ts";
import { summarize, type Summary } from "./stats.ts";

export interface FanoutResult {
  consoles: number;
  rounds: number;
  /** From the claim's response to the event's arrival; negative when the event came first. */
  afterResponse: Summary;
  /** From the moment the claim was sent. */
  afterRequest: Summary;
  /** Deliveries that arrived before the claim's response. */
  beforeResponse: number;
  lost: number;
}

const WAIT_MS = 10_000;

/** `consoles[i]` belongs to agent i; agents 0..9 are available and are the ones rung. */
export async function answerToEveryone(p: Product, consoles: Console[], rounds: number): Promise<FanoutResult> {
  const afterResponse: number[] = [];
  const afterRequest: number[] = [];
  let beforeResponse = 0;
  let lost = 0;
  for (let r = 0; r < rounds; r++) {
    for (const c of consoles) c.forget();
    const sid = newCallSid();
    const voice = await p.voice(sid);
    const rung = [...(await voice.text()).matchAll(/<Identity>([^<]+)<\/Identity>/g)].map((m) => m[1]);
    const winner = consoles.findIndex((_, i) => agentId(i) === rung[r % rung.length]);
    if (winner < 0) throw new Error(`the call rang [${rung.join(", ")}] (voice answered ${voice.status}), none of them with a console here`);
    const others = consoles.filter((_, i) => i !== winner);
    const arrivals = others.map((c) => c.wait((m) => m.type === "call.answered" && m.call.callSid === sid, WAIT_MS).catch(() => null));
    const sent = performance.now();
    const res = await p.claim(sid, winner);
    const answered = performance.now();
    if (res.status !== 200) throw new Error(`the winning claim got ${res.status}: ${await res.text()}`);
    for (const a of await Promise.all(arrivals)) {
      if (!a) {
        lost++;
        continue;
      }
      afterResponse.push(a.at - answered);
      afterRequest.push(a.at - sent);
      if (a.at < answered) beforeResponse++;
    }
    // The caller hangs up; every console must hear of that too before the next round.
    const ended = consoles.map((c) => c.wait((m) => m.type === "call.ended" && m.call.callSid === sid, WAIT_MS).catch(() => null));
    await p.callStatus(sid, "completed");
    lost += (await Promise.all(ended)).filter((e) => !e).length;
  }
  return { consoles: consoles.length, rounds, afterResponse: summarize(afterResponse), afterRequest: summarize(afterRequest), beforeResponse, lost };
}
