// Part 3: with K consoles open and every agent eligible, one call after another: the voice webhook,
// `call.ringing` on every console, `racing` agents claiming at once, `call.answered` on every console,
// then the caller hangs up and `call.ended` on every console.
import { performance } from "node:perf_hooks";
import type { Console, Product } from "./product.ts";
import { newCallSid } from "./product.ts";
import { summarize, type Summary } from "./stats.ts";
import { isLobby } from "./webhook.ts";

export interface FanoutResult {
  consoles: number;
  racing: number;
  rounds: number;
  /** The voice webhook's own response time. */
  webhook: Summary;
  /** Per call: from the voice webhook sent to the first and to the last console told `call.ringing`. */
  ringFirst: Summary;
  ringLast: Summary;
  /** Every claim's response time, and the winner's. */
  claim: Summary;
  winner: Summary;
  /** Per call: from the claims sent to the last console told `call.answered`. */
  answeredLast: Summary;
  /** Per delivery to a console other than the winner's: from the claims sent. */
  afterRequest: Summary;
  /** Per delivery to a console other than the winner's: from the winner's response (negative: before it). */
  afterResponse: Summary;
  /** Deliveries that arrived before the winner's response. */
  beforeResponse: number;
  /** `call.ringing`, `call.answered` or `call.ended` not on a console within WAIT_MS. */
  lost: number;
  /** Calls with no winner or more than one. */
  wrongWinners: number;
  /** Answers other than 200 or 409 to a claim, or a voice webhook that did not answer with the lobby. */
  errors: number;
  /** Per call, unsummarized: to pool the calls of several runs at one number of consoles. */
  raw: { webhook: number[]; ringFirst: number[]; ringLast: number[] };
}

const WAIT_MS = 10_000;

/** Distinct random picks of `n` out of 0 … k-1. */
function pick(n: number, k: number): number[] {
  const all = Array.from({ length: k }, (_, i) => i);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(Math.random() * (k - i));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, n);
}

/** When every console had the first message matching `type` about `sid`; null for each that did not. */
function everyConsole(consoles: Console[], sid: string, type: string): Promise<(number | null)[]> {
  return Promise.all(consoles.map((c) => c.wait((m) => m.type === type && "call" in m && m.call.callSid === sid, WAIT_MS).then((r) => r.at, () => null)));
}

/** `consoles[i]` belongs to agent i, and every one of those agents is eligible. */
export async function ringAndAnswer(p: Product, consoles: Console[], racing: number, rounds: number): Promise<FanoutResult> {
  const webhook: number[] = [];
  const ringFirst: number[] = [];
  const ringLast: number[] = [];
  const claim: number[] = [];
  const winner: number[] = [];
  const answeredLast: number[] = [];
  const afterRequest: number[] = [];
  const afterResponse: number[] = [];
  let beforeResponse = 0;
  let lost = 0;
  let wrongWinners = 0;
  let errors = 0;
  const k = consoles.length;
  for (let r = 0; r < rounds; r++) {
    for (const c of consoles) c.forget();
    const sid = newCallSid();
    const t0 = performance.now();
    const voice = await p.voice(sid);
    const xml = await voice.text();
    webhook.push(performance.now() - t0);
    if (!isLobby(xml, sid)) {
      errors++;
      console.error(`bench: the voice webhook answered ${voice.status} without the lobby: ${xml.slice(0, 200)}`);
    }
    const rung = await everyConsole(consoles, sid, "call.ringing");
    const ringAt = rung.filter((a): a is number => a !== null);
    lost += rung.length - ringAt.length;
    if (ringAt.length) {
      ringFirst.push(Math.min(...ringAt) - t0);
      ringLast.push(Math.max(...ringAt) - t0);
    }

    const contenders = pick(racing, k);
    const t1 = performance.now();
    const claims = await Promise.all(contenders.map((a) => p.timedClaim(sid, a)));
    for (const c of claims) claim.push(c.answered - c.sent);
    const won = claims.flatMap((c, i) => (c.status === 200 ? [{ ...c, agent: contenders[i]! }] : []));
    if (won.length !== 1) wrongWinners++;
    const odd = claims.filter((c) => c.status !== 200 && c.status !== 409).map((c) => c.status);
    if (odd.length) console.error(`bench: claims answered ${[...new Set(odd)].join(", ")}`);
    errors += odd.length;
    const told = await everyConsole(consoles, sid, "call.answered");
    const toldAt = told.filter((a): a is number => a !== null);
    lost += told.length - toldAt.length;
    if (toldAt.length) answeredLast.push(Math.max(...toldAt) - t1);
    const w = won[0];
    if (w) {
      winner.push(w.answered - w.sent);
      told.forEach((at, i) => {
        if (at === null || i === w.agent) return;
        afterRequest.push(at - t1);
        afterResponse.push(at - w.answered);
        if (at < w.answered) beforeResponse++;
      });
    }
    // The caller hangs up; every console must hear of that too before the next call.
    await (await p.callStatus(sid, "completed")).arrayBuffer();
    const ended = await everyConsole(consoles, sid, "call.ended");
    lost += ended.filter((e) => e === null).length;
  }
  return {
    consoles: k,
    racing,
    rounds,
    webhook: summarize(webhook),
    ringFirst: summarize(ringFirst),
    ringLast: summarize(ringLast),
    claim: summarize(claim),
    winner: summarize(winner),
    answeredLast: summarize(answeredLast),
    afterRequest: summarize(afterRequest),
    afterResponse: summarize(afterResponse),
    beforeResponse,
    lost,
    wrongWinners,
    errors,
    raw: { webhook, ringFirst, ringLast },
  };
}
