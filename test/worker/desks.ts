// Agents at work for the parking tests: a console, a simulated phone, and helpers that drive
// parking, retrieval and transfers through the real API and the carrier simulator.
import { env } from "cloudflare:test";
import { afterEach, expect, vi } from "vitest";
import type { IncomingLeg } from "../../simulator/phoneProtocol";
import { parkedCalls } from "../../worker/db/schema";
import type { CallView, ServerMessage } from "../../worker/protocol";
import { api, claim, Console, createAgents, db, online, type TestAgent } from "./helpers";
import { closePhones, Phone, placeCall } from "./sim-helpers";

/** One agent at work: their console, their simulated phone, and the leg they are on. */
export interface Desk {
  agent: TestAgent;
  console: Console;
  phone: Phone;
}

const placed: string[] = [];

export async function staff(n: number): Promise<Desk[]> {
  const agents = await createAgents(n);
  const consoles = await online(agents);
  const phones = await Promise.all(agents.map((a) => Phone.register(a)));
  return agents.map((agent, i) => ({ agent, console: consoles[i]!, phone: phones[i]! }));
}

export async function call(opts: { speed?: number; message?: number } = {}): Promise<string> {
  const sid = await placeCall(opts);
  placed.push(sid);
  return sid;
}

export const post = (path: string, d: Desk, body?: unknown) =>
  api(path, d.agent.cookie, body === undefined ? { method: "POST" } : { method: "POST", body: JSON.stringify(body), headers: { "Content-Type": "application/json" } });
export const park = (sid: string, d: Desk) => post(`/api/calls/${sid}/park`, d);
export const retrieve = (sid: string, d: Desk) => post(`/api/calls/${sid}/retrieve`, d);
export const transfer = (sid: string, d: Desk, to: string) => post(`/api/calls/${sid}/transfer`, d, { to });

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

/** Rings, claims and accepts: the agent is on the call. */
export async function answer(d: Desk, sid: string): Promise<IncomingLeg> {
  const leg = await d.phone.takeIncoming(sid, "inbound");
  expect((await claim(sid, d.agent)).status).toBe(200);
  d.phone.send("accept", leg);
  await connectedTo(d, sid);
  return leg;
}

/** The retriever's console answers the new leg by itself, as the browser console does. */
export async function pickUp(d: Desk, sid: string): Promise<IncomingLeg> {
  const leg = await d.phone.takeIncoming(sid, "retrieve");
  d.phone.send("accept", leg);
  await connectedTo(d, sid);
  return leg;
}

export async function lotRows() {
  return (await db().select().from(parkedCalls)).sort((a, b) => a.slot - b.slot);
}

afterEach(async () => {
  // No caller may be left anywhere but connected, parked, in voicemail or ended.
  const phases = await Promise.all(placed.map(async (sid) => (await view(sid))?.phase ?? "ended"));
  // Then every caller hangs up, which must free every parking slot for the next test.
  for (const sid of placed.splice(0)) await api(`/sim/calls/${sid}/hangup`, null, { method: "POST" });
  closePhones();
  expect(phases.filter((p) => !["connected", "parked", "voicemail", "ended"].includes(p))).toEqual([]);
  expect(await lotRows()).toEqual([]);
});

