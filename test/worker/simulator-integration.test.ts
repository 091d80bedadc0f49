// Complete calls through the carrier simulator and the real worker: the simulator requests the
// webhooks, runs the TwiML, rings the simulated phones and sends every callback, signed.
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { calls, voicemails } from "../../worker/db/schema";
import { agentRows, api, claim, Console, createAgents, db, decline, online, ringEventsOf, type TestAgent } from "./helpers";
import { closePhones, Phone, placeCall, simState } from "./sim-helpers";

afterEach(() => {
  closePhones();
  vi.useRealTimers();
});

async function staff(n: number): Promise<{ agents: TestAgent[]; consoles: Console[]; phones: Phone[] }> {
  const agents = await createAgents(n);
  const consoles = await online(agents);
  const phones = await Promise.all(agents.map((a) => Phone.register(a)));
  return { agents, consoles, phones };
}

async function callRow(callSid: string) {
  return db().select().from(calls).where(eq(calls.callSid, callSid)).get();
}

/** Waits for the product to record the call's end, as the consoles see it. */
function ended(console: Console, callSid: string) {
  return console.next<"call.ended">((m) => m.type === "call.ended" && m.call.callSid === callSid, 20_000);
}

describe("ring-all through the simulator", () => {
  it("rings three agents' phones with the parent CallSid; the first to accept is bridged, the others are cancelled", async () => {
    const { agents, consoles, phones } = await staff(3);
    const callSid = await placeCall();
    const legs = await Promise.all(phones.map((p) => p.incoming(callSid)));
    expect(legs.map((l) => l.customParameters.parentCallSid)).toEqual([callSid, callSid, callSid]);
    expect(new Set(legs.map((l) => l.callSid)).size).toBe(3); // each agent's child leg has its own SID

    expect((await claim(callSid, agents[1]!)).status).toBe(200);
    phones[1]!.send("accept", legs[1]!);
    await phones[1]!.next((m) => m.type === "accept");
    await phones[0]!.next((m) => m.type === "cancel" && m.callSid === legs[0]!.callSid);
    await phones[2]!.next((m) => m.type === "cancel" && m.callSid === legs[2]!.callSid);
    const connected = await consoles[0]!.next<"call.connected">((m) => m.type === "call.connected" && m.call.callSid === callSid);
    expect(connected.agentId).toBe(agents[1]!.id);

    phones[1]!.send("disconnect", legs[1]!);
    const end = await ended(consoles[0]!, callSid);
    expect(end.call).toMatchObject({ outcome: "answered", answeredBy: agents[1]!.id });
    expect((await simState(callSid)).status).toBe("completed");
    expect((await agentRows([agents[1]!.id]))[0]!.currentCallSid).toBeNull();
  });

  it("two phones accepting in the same instant: exactly one is bridged, 20 calls over", async () => {
    const { agents, consoles, phones } = await staff(2);
    for (let i = 0; i < 20; i++) {
      const callSid = await placeCall();
      const [la, lb] = await Promise.all(phones.map((p) => p.incoming(callSid)));
      const [ca, cb] = await Promise.all([claim(callSid, agents[0]!), claim(callSid, agents[1]!)]);
      expect([ca.status, cb.status].sort()).toEqual([200, 409]);
      // Both phones accept anyway: the carrier bridges one, like Twilio.
      phones[0]!.send("accept", la!);
      phones[1]!.send("accept", lb!);
      const outcomes = await Promise.all(
        [la!, lb!].map((leg, k) => phones[k]!.next((m) => (m.type === "accept" || m.type === "cancel" || m.type === "error") && m.callSid === leg.callSid)),
      );
      expect(outcomes.filter((m) => m.type === "accept")).toHaveLength(1);
      const winner = outcomes[0]!.type === "accept" ? 0 : 1;
      phones[winner]!.send("disconnect", winner === 0 ? la! : lb!);
      const end = await ended(consoles[0]!, callSid);
      expect(end.call.answeredBy).toBe(agents[winner]!.id);
    }
  });

  it("one agent declines, another answers", async () => {
    const { agents, consoles, phones } = await staff(2);
    const callSid = await placeCall();
    const [la, lb] = await Promise.all(phones.map((p) => p.incoming(callSid)));
    await decline(callSid, agents[0]!);
    phones[0]!.send("reject", la!);
    await consoles[1]!.next((m) => m.type === "call.declined" && m.agentId === agents[0]!.id);
    expect((await claim(callSid, agents[1]!)).status).toBe(200);
    phones[1]!.send("accept", lb!);
    await consoles[0]!.next((m) => m.type === "call.connected" && m.call.callSid === callSid);
    phones[1]!.send("disconnect", lb!);
    expect((await ended(consoles[0]!, callSid)).call.answeredBy).toBe(agents[1]!.id);
  });

  it("every agent declines: the caller leaves a voicemail, which is recorded and listed", async () => {
    const { agents, consoles, phones } = await staff(3);
    const callSid = await placeCall({ speed: 20, message: 6 });
    const legs = await Promise.all(phones.map((p) => p.incoming(callSid)));
    for (const [k, p] of phones.entries()) {
      await decline(callSid, agents[k]!);
      p.send("reject", legs[k]!);
    }
    const vm = await consoles[0]!.next<"voicemail.created">((m) => m.type === "voicemail.created" && m.voicemail.callSid === callSid, 20_000);
    expect(vm.voicemail.durationSeconds).toBe(6);
    await ended(consoles[0]!, callSid);
    const list = (await (await api("/api/voicemails", agents[0]!.cookie)).json()) as { voicemails: { callSid: string; transcription: string | null }[] };
    expect(list.voicemails.find((v) => v.callSid === callSid)?.transcription).toMatch(/simulated transcription/);
    const audio = await api(new URL(vm.voicemail.recordingUrl).pathname + new URL(vm.voicemail.recordingUrl).search, null);
    expect(audio.headers.get("Content-Type")).toBe("audio/wav");
    expect((await audio.arrayBuffer()).byteLength).toBe(44 + 6 * 8000 * 2);
    expect(await callRow(callSid)).toMatchObject({ status: "ended", outcome: "voicemail" });
  });

  it("nobody answers: after the dial timeout the caller gets the voicemail", async () => {
    const { consoles, phones } = await staff(2);
    const callSid = await placeCall({ speed: 100, message: 3 });
    await Promise.all(phones.map((p) => p.incoming(callSid)));
    await Promise.all(phones.map((p) => p.next((m) => m.type === "cancel", 20_000)));
    await consoles[0]!.next((m) => m.type === "voicemail.created" && m.voicemail.callSid === callSid, 20_000);
    expect(await ringEventsOf(callSid)).toEqual(expect.arrayContaining(["no_answer", "voicemail"]));
    expect((await simState(callSid)).events.map((e) => e.what)).toContain("dial timed out");
  });

  it("the caller hangs up while ringing: every ring is cancelled and the call is logged as missed", async () => {
    const { consoles, phones } = await staff(3);
    const callSid = await placeCall();
    const legs = await Promise.all(phones.map((p) => p.incoming(callSid)));
    expect((await api(`/sim/calls/${callSid}/hangup`, null, { method: "POST" })).status).toBe(200);
    await Promise.all(phones.map((p, k) => p.next((m) => m.type === "cancel" && m.callSid === legs[k]!.callSid)));
    const end = await ended(consoles[0]!, callSid);
    expect(end.call.outcome).toBe("missed");
    expect(await ringEventsOf(callSid)).toContain("caller_hangup");
    expect(await db().select().from(voicemails).where(eq(voicemails.callSid, callSid))).toHaveLength(0);
  });

  it("the winner's accept never arrives: the lease expires and another agent answers", async () => {
    const { agents, consoles, phones } = await staff(2);
    const callSid = await placeCall();
    const [, lb] = await Promise.all(phones.map((p) => p.incoming(callSid)));
    expect((await claim(callSid, agents[0]!)).status).toBe(200); // A's browser dies before accept()
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(Date.now() + 10_001);
    await runDurableObjectAlarm(env.CALLS.getByName(callSid));
    vi.useRealTimers();
    await consoles[1]!.next((m) => m.type === "call.claim_released" && m.agentId === agents[0]!.id);
    expect((await claim(callSid, agents[1]!)).status).toBe(200);
    phones[1]!.send("accept", lb!);
    await consoles[1]!.next((m) => m.type === "call.connected" && m.call.callSid === callSid);
    phones[1]!.send("disconnect", lb!);
    expect((await ended(consoles[1]!, callSid)).call.answeredBy).toBe(agents[1]!.id);
  });
});

describe("malformed TwiML and the simulator's boundaries", () => {
  it("answers the REST API with Twilio's errors and ends a call with Status=completed", async () => {
    const { consoles, phones } = await staff(1);
    const callSid = await placeCall();
    await phones[0]!.incoming(callSid);
    const url = `/sim/api/2010-04-01/Accounts/AC${"0".repeat(32)}/Calls/${callSid}.json`;
    const auth = { Authorization: "Basic " + btoa(`AC${"0".repeat(32)}:wrong`), "Content-Type": "application/x-www-form-urlencoded" };
    expect((await api(url, null, { method: "POST", headers: auth, body: "Status=completed" })).status).toBe(401);
    const good = { ...auth, Authorization: "Basic " + btoa(`AC${"0".repeat(32)}:test-auth-token`) };
    const missing = await api(url.replace(callSid, "CA" + "f".repeat(32)), null, { method: "POST", headers: good, body: "Status=completed" });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ code: 20404, status: 404 });
    expect((await api(url, null, { method: "POST", headers: good, body: "" })).status).toBe(400);
    const res = await api(url, null, { method: "POST", headers: good, body: "Status=completed" });
    expect(res.status).toBe(200);
    expect(await ended(consoles[0]!, callSid)).toBeTruthy();
  });
});

it("20 concurrent calls with 10 agents answering at random: none lost, none answered twice, every agent idle after", async () => {
  const { agents, consoles, phones } = await staff(10);
  // Each agent's console: declines one ring in five and claims the rest; the winner accepts and hangs up, losers ignore.
  const stop = { done: false };
  const workers = phones.map(async (phone, k) => {
    const seen = new Set<string>();
    while (!stop.done) {
      const m = await phone.next((m) => m.type === "incoming" && !seen.has(m.call.callSid), 500).catch(() => null);
      if (!m || m.type !== "incoming") continue;
      seen.add(m.call.callSid);
      if (Math.random() < 0.2) {
        await decline(m.call.parentCallSid, agents[k]!);
        phone.send("reject", m.call);
        continue;
      }
      const res = await claim(m.call.parentCallSid, agents[k]!);
      if (res.status !== 200) continue;
      phone.send("accept", m.call);
      const bridged = await phone.next((x) => (x.type === "accept" || x.type === "cancel" || x.type === "error") && x.callSid === m.call.callSid);
      if (bridged.type === "accept") phone.send("disconnect", m.call);
    }
  });
  const sids = await Promise.all(Array.from({ length: 20 }, (_, i) => placeCall({ from: `+1555000${String(i).padStart(4, "0")}`, speed: 50, message: 2 })));
  const unfinished = (await Promise.all(sids.map((sid) => ended(consoles[0]!, sid).then(() => null, () => sid)))).filter(Boolean);
  for (const sid of unfinished) console.error(sid, JSON.stringify((await simState(sid!)).events.map((e) => e.what)), await ringEventsOf(sid!));
  expect(unfinished).toEqual([]);
  stop.done = true;
  for (const p of phones) p.close();
  await Promise.allSettled(workers);

  for (const sid of sids) {
    const row = await callRow(sid);
    expect(row?.status, sid).toBe("ended");
    expect(["answered", "voicemail", "missed"]).toContain(row?.outcome);
    const connectedEvents = (await ringEventsOf(sid)).filter((e) => e.startsWith("connected:"));
    expect(connectedEvents.length).toBe(row?.outcome === "answered" ? 1 : 0);
    expect((await simState(sid)).status).toBe("completed");
  }
  expect((await agentRows(agents.map((a) => a.id))).every((a) => a.currentCallSid === null)).toBe(true);
});
