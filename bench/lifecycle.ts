// Part 3b: what one call costs every console on the wire. Whole calls, one at a time, played the way
// Twilio plays them in the lobby model: the voice webhook (the caller's lobby), the caller joining
// it and its wait URL, a claim, the winner's phone connecting with the ticket (TwiML App URL), its
// leg joining the conference, then the caller hanging up (conference leaves, the lobby's action, the
// status callback). Every frame every console receives from the ring to the end is counted.
import { performance } from "node:perf_hooks";
import type { ServerMessage } from "../worker/protocol.ts";
import { type Console, genOf, newCallSid, type Product } from "./product.ts";

export interface LifecycleResult {
  consoles: number;
  calls: number;
  /** Per console per call. */
  frames: number;
  bytes: number;
  /** Frames of each type one console received for one call (the first console, the first call). */
  types: Record<string, number>;
  /** From the voice webhook sent to `call.connected` on every console, per call (ms). */
  connectedAfter: number[];
  errors: string[];
}

const WAIT_MS = 10_000;
/** No frame for this long on any console: the call's last messages have all arrived. */
const QUIET_MS = 300;

async function quiet(consoles: Console[]): Promise<void> {
  let last = consoles.reduce((n, c) => n + c.frames, 0);
  for (;;) {
    await new Promise((r) => setTimeout(r, QUIET_MS));
    const now = consoles.reduce((n, c) => n + c.frames, 0);
    if (now === last) return;
    last = now;
  }
}

function everyConsole(consoles: Console[], sid: string, type: ServerMessage["type"]): Promise<boolean> {
  return Promise.all(consoles.map((c) => c.wait((m) => m.type === type && "call" in m && m.call.callSid === sid, WAIT_MS).then(() => true, () => false))).then((all) => all.every(Boolean));
}

/** `consoles[i]` belongs to agent i, and every one of those agents is eligible. */
export async function bytesPerCall(p: Product, consoles: Console[], calls: number): Promise<LifecycleResult> {
  const errors: string[] = [];
  const connectedAfter: number[] = [];
  let frames = 0;
  let bytes = 0;
  let types: Record<string, number> = {};
  const check = async (what: string, res: Response, ok: (body: string) => boolean = () => true) => {
    const body = await res.text();
    if (!res.ok || !ok(body)) errors.push(`${what} answered ${res.status}: ${body.slice(0, 200)}`);
    return body;
  };
  for (let n = 0; n < calls; n++) {
    await quiet(consoles);
    for (const c of consoles) c.forget();
    const before = consoles.map((c) => ({ frames: c.frames, bytes: c.bytes }));
    const sid = newCallSid();
    const t0 = performance.now();
    const lobby = await check("the voice webhook", await p.voice(sid), (xml) => genOf(xml) !== null);
    const gen = genOf(lobby) ?? 1;
    let seq = 0;
    await check("the caller's join", await p.conference(sid, gen, "participant-join", "caller", sid, ++seq));
    await check("the wait URL", await p.wait(sid, gen), (xml) => xml.includes("<Redirect"));
    if (!(await everyConsole(consoles, sid, "call.ringing"))) errors.push(`${sid}: a console was not told it rings`);
    const agent = Math.floor(Math.random() * consoles.length);
    const won = await p.timedClaim(sid, agent);
    if (won.status !== 200 || !won.ticket) {
      errors.push(`${sid}: the only claim answered ${won.status}`);
      continue;
    }
    const leg = newCallSid();
    const join = await check("the ticketed connect", await p.connect(agent, sid, won.ticket, leg), (xml) => xml.includes('participantLabel="agent"'));
    await check("the agent's join", await p.conference(sid, genOf(join) ?? gen, "participant-join", "agent", leg, ++seq));
    if (await everyConsole(consoles, sid, "call.connected")) connectedAfter.push(performance.now() - t0);
    else errors.push(`${sid}: a console was not told it is connected`);
    // The caller hangs up: they leave, the conference ends under the agent's leg, the lobby's <Dial
    // action> is asked, and the number's status callback says completed.
    await check("the caller's leave", await p.conference(sid, gen, "participant-leave", "caller", sid, ++seq, "participant_hung_up"));
    await check("the agent's leave", await p.conference(sid, gen, "participant-leave", "agent", leg, ++seq, "moderator_ended_conference"));
    await check("the lobby's action", await p.twilio(`/twilio/lobby-ended?gen=${gen}`, { CallSid: sid, CallStatus: "completed", DialCallStatus: "answered", DialBridged: "true" }));
    await check("the status callback", await p.callStatus(sid, "completed"));
    if (!(await everyConsole(consoles, sid, "call.ended"))) errors.push(`${sid}: a console was not told it ended`);
    await quiet(consoles);
    consoles.forEach((c, i) => {
      frames += c.frames - before[i]!.frames;
      bytes += c.bytes - before[i]!.bytes;
    });
    if (n === 0) {
      types = {};
      for (const { msg } of consoles[0]!.received) types[msg.type] = (types[msg.type] ?? 0) + 1;
    }
  }
  const per = consoles.length * calls;
  return { consoles: consoles.length, calls, frames: frames / per, bytes: bytes / per, types, connectedAfter, errors };
}
