// Agents at work through the carrier simulator: a console, a simulated phone, and helpers that drive
// answering, parking, retrieval and transfers through the real API, as the console does.
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, expect, vi } from "vitest";
import { parkedCalls } from "../../worker/db/schema";
import type { CallView, ClaimResponse, RetrieveResponse, ServerMessage } from "../../worker/protocol";
import { SWITCHBOARD_NAME } from "../../worker/switchboard/stub";
import { api, claim, Console, createAgents, db, online, type TestAgent, type Tuple } from "./helpers";
import { closePhones, type Connected, Phone, placeCall, simState } from "./sim-helpers";

/** One agent at work: their console and their simulated phone. */
export interface Desk {
  agent: TestAgent;
  console: Console;
  phone: Phone;
}

const placed: string[] = [];

export async function staff<N extends number>(n: N): Promise<Tuple<Desk, N>> {
  const agents: TestAgent[] = await createAgents(n);
  const phones = await Promise.all(agents.map((a) => Phone.register(a)));
  const consoles: Console[] = await online(agents);
  return agents.map((agent, i) => ({ agent, console: consoles[i]!, phone: phones[i]! })) as Tuple<Desk, N>;
}

export async function call(opts: { speed?: number; message?: number; from?: string } = {}): Promise<string> {
  const sid = await placeCall(opts);
  placed.push(sid);
  return sid;
}

export const post = (path: string, d: Desk, body?: unknown) =>
  api(path, d.agent.cookie, body === undefined ? { method: "POST" } : { method: "POST", body: JSON.stringify(body), headers: { "Content-Type": "application/json" } });
export const park = (sid: string, d: Desk) => post(`/api/calls/${sid}/park`, d);
export const retrieve = (sid: string, d: Desk) => post(`/api/calls/${sid}/retrieve`, d);
export const transfer = (sid: string, d: Desk, to: string) => post(`/api/calls/${sid}/transfer`, d, { to });
export const hangup = (sid: string, d: Desk) => post(`/api/calls/${sid}/hangup`, d);
export const decline = (sid: string, d: Desk) => post(`/api/calls/${sid}/decline`, d);

/** The agent's own availability toggle, as the console sets it. */
export async function setAvailable(d: Desk, available: boolean): Promise<void> {
  const res = await api("/api/me/availability", d.agent.cookie, { method: "PUT", body: JSON.stringify({ available }) });
  if (res.status !== 200) throw new Error(`availability refused: ${res.status} ${await res.text()}`);
}

export function view(sid: string): Promise<CallView | null> {
  return env.CALLS.getByName(sid).view();
}

/** The next message about this call on a console. */
export function seen<T extends ServerMessage["type"]>(d: Desk, sid: string, type: T, ms = 10_000) {
  return d.console.take<T>((m) => m.type === type && "call" in m && m.call.callSid === sid, ms);
}

/** Waits until the product says this agent is connected to the call. */
export async function connectedTo(d: Desk, sid: string): Promise<void> {
  await d.console.take((m) => m.type === "call.connected" && m.call.callSid === sid && m.agentId === d.agent.id);
}

/** The ticket of a won claim (or retrieve); throws with the answer when it was not won. */
export async function ticketOf(res: Response): Promise<string> {
  const body = (await res.json()) as ClaimResponse | RetrieveResponse;
  if (res.status !== 200 || !("ticket" in body)) throw new Error(`not won: ${res.status} ${JSON.stringify(body)}`);
  return body.ticket;
}

/** Claims, connects the phone with the ticket, and waits until the product says so: the agent is on the call. */
export async function answer(d: Desk, sid: string): Promise<Connected> {
  // Rung at some point (a call.ringing, or a claim_released back to ringing): the console shows Answer.
  await d.console.next((m) => "call" in m && m.call.callSid === sid && m.call.phase === "ringing");
  const leg = await d.phone.connect(sid, await ticketOf(await claim(sid, d.agent)));
  expect(leg.accepted).toBe(true);
  await connectedTo(d, sid);
  return leg;
}

/** Retrieves from the lot and connects with the ticket. */
export async function pickUp(d: Desk, sid: string): Promise<Connected> {
  const leg = await d.phone.connect(sid, await ticketOf(await retrieve(sid, d)));
  expect(leg.accepted).toBe(true);
  await connectedTo(d, sid);
  return leg;
}

/** The caller's side at the carrier: who they are with and what they hear. */
export async function caller(sid: string) {
  const s = await simState(sid);
  return { status: s.status, hears: s.hears, with: (s.conference?.participants ?? []).filter((p) => p !== sid) };
}

/**
 * The clock moves `ms` on for this call's session, and its alarm runs. The fake clock is seen by every
 * object in the test's workerd, so it first waits for a moment when nothing else is about to look at
 * it: the switchboard's ping check (which would drop every console as silent) and the caller's wait
 * music at the simulated carrier (none for a call the carrier does not know).
 */
export async function timePasses(sid: string, ms: number): Promise<void> {
  const board = env.SWITCHBOARD.getByName(SWITCHBOARD_NAME);
  const quiet = async () => {
    const prune = await runInDurableObject(board, (_, state) => state.storage.getAlarm());
    // The end of what plays now; a wait URL request in flight (no end yet) is not quiet.
    const wait = (await env.SIM_CALLS.getByName(sid).settled())?.conference?.wait;
    const audio = wait ? (wait.until ?? 0) : Infinity;
    return Math.min(prune ?? Infinity, audio) - Date.now() > 2000;
  };
  await expect.poll(quiet, { timeout: 20_000, interval: 200 }).toBe(true);
  vi.useFakeTimers({ toFake: ["Date"] });
  try {
    vi.setSystemTime(Date.now() + ms);
    expect(await runDurableObjectAlarm(env.CALLS.getByName(sid))).toBe(true);
  } finally {
    vi.useRealTimers();
  }
}

export async function lotRows() {
  return (await db().select().from(parkedCalls)).sort((a, b) => a.slot - b.slot);
}

afterEach(async () => {
  // Every caller hangs up, which must end every call and free every parking slot for the next test.
  for (const sid of placed.splice(0)) await api(`/sim/calls/${sid}/hangup`, null, { method: "POST" });
  closePhones();
  await expect.poll(lotRows, { timeout: 10_000 }).toEqual([]);
});
