// Leases and alarms with the clock moved forward, against the real call session and its alarm.
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, expect, it, vi } from "vitest";
import { agentRows, claim, createAgents, incomingCall, online, ringEventsOf } from "./helpers";

afterEach(() => {
  vi.useRealTimers();
});

it("releases an unanswered claim when its lease expires and lets another agent answer", async () => {
  const [a, b] = await createAgents(2);
  const [, consoleB] = await online([a!, b!]);
  const { callSid } = await incomingCall();
  expect((await claim(callSid, a!)).status).toBe(200);
  await consoleB!.next((m) => m.type === "call.answered");

  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(Date.now() + 10_001);
  expect(await runDurableObjectAlarm(env.CALLS.getByName(callSid))).toBe(true);

  const released = await consoleB!.next<"call.claim_released">((m) => m.type === "call.claim_released");
  expect(released).toMatchObject({ agentId: a!.id, reason: "lease_expired" });
  expect(released.call.ringing).toEqual([a!.id, b!.id]);
  expect((await agentRows([a!.id]))[0]!.currentCallSid).toBeNull();
  expect((await claim(callSid, b!)).status).toBe(200);
  expect(await ringEventsOf(callSid)).toContain(`claim_released:${a!.id}`);
});
