// A call from the caller's first ring to its end, through the carrier simulator and the real worker:
// the caller waits in their lobby, every eligible console rings, one claim wins, and only its
// winner's phone is ever connected to the caller.
import { describe, expect, it } from "vitest";
import type { CallView } from "../../worker/protocol";
import { api, claim, createAgents, ringEventsOf } from "./helpers";
import { answer, call, caller, connectedTo, decline, type Desk, hangup, seen, staff, ticketOf, timePasses, view } from "./desks";
import { simState } from "./sim-helpers";

describe("one agent", () => {
  it("is rung, answers with the ticket, and hangs up: the caller's call ends too", async () => {
    const [a] = await staff(1);
    const sid = await call();
    expect(await caller(sid)).toMatchObject({ status: "in-progress", with: [] });
    expect(["announcement", "wait-music"]).toContain((await caller(sid)).hears);
    const leg = await answer(a, sid);
    expect(await caller(sid)).toMatchObject({ hears: "bridged", with: [leg.legSid] });
    expect((await hangup(sid, a)).status).toBe(200);
    const ended = await seen(a, sid, "call.ended");
    expect(ended.call.outcome).toBe("answered");
    await a.phone.disconnected(leg.legSid);
    expect((await simState(sid)).status).toBe("completed");
  });
});

describe("ring-all", () => {
  it("rings 25 agents at once and connects exactly one of them when all 25 answer together", async () => {
    const desks = await staff(25);
    const sid = await call();
    const rings = await Promise.all(desks.map((d) => seen(d, sid, "call.ringing")));
    expect(rings.every((m) => m.call.ringingCount === 25)).toBe(true);
    const answers = await Promise.all(desks.map((d) => claim(sid, d.agent)));
    const winners = desks.filter((_, i) => answers[i]!.status === 200);
    expect(winners).toHaveLength(1);
    expect(answers.filter((r) => r.status === 409)).toHaveLength(24);
    const winner = winners[0]!;
    const leg = await winner.phone.connect(sid, await ticketOf(answers[desks.indexOf(winner)]!));
    expect(leg.accepted).toBe(true);
    await seen(winner, sid, "call.connected");
    expect(await caller(sid)).toMatchObject({ hears: "bridged", with: [leg.legSid] });
  });
});

describe("answering", () => {
  it("the first agent's answer wins; the other console stops ringing and is told who took it", async () => {
    const [a, b] = await staff(2);
    const sid = await call();
    await answer(a, sid);
    const taken = await seen(b, sid, "call.answered");
    expect(taken.agentId).toBe(a.agent.id);
    const late = await claim(sid, b.agent);
    expect(late.status).toBe(409);
    expect(await late.json()).toMatchObject({ claimed: false, claimedBy: a.agent.id });
  });

  it("an agent pressing Answer many times, racing another doing the same, connects exactly one", async () => {
    for (let round = 0; round < 3; round++) {
      const [a, b] = await staff(2);
      const sid = await call();
      await Promise.all([seen(a, sid, "call.ringing"), seen(b, sid, "call.ringing")]);
      const who = Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b));
      const presses = await Promise.all(who.map((d) => claim(sid, d.agent)));
      const bodies = (await Promise.all(presses.map((r) => r.json()))) as ({ ticket?: string; claimedBy?: string })[];
      // The winner's repeated presses get the same ticket back; every press of the other is refused.
      const won = who.filter((_, i) => presses[i]!.status === 200);
      expect(new Set(won.map((d) => d.agent.id)).size).toBe(1);
      expect(new Set(bodies.filter((_, i) => presses[i]!.status === 200).map((b) => b.ticket)).size).toBe(1);
      const loser = won[0] === a ? b : a;
      expect(who.map((d, i) => (d === loser ? presses[i]!.status : 409)).every((s) => s === 409)).toBe(true);
    }
  });

  it("one declines and the other answers", async () => {
    const [a, b] = await staff(2);
    const sid = await call();
    await seen(a, sid, "call.ringing");
    expect((await decline(sid, a)).status).toBe(200);
    expect((await claim(sid, a.agent)).status).toBe(403);
    await answer(b, sid);
    expect((await view(sid))?.answeredBy).toBe(b.agent.id);
  });

  it("when every agent declines, the caller leaves a voicemail, which every console is told of", async () => {
    const [a, b] = await staff(2);
    const sid = await call({ speed: 20, message: 4 });
    await seen(a, sid, "call.ringing");
    await decline(sid, a);
    await decline(sid, b);
    await seen(a, sid, "call.voicemail");
    const vm = await a.console.take<"voicemail.created">((m) => m.type === "voicemail.created" && m.voicemail.callSid === sid, 15_000);
    expect(vm.voicemail.durationSeconds).toBeGreaterThan(0);
    const ended = await seen(b, sid, "call.ended", 15_000);
    expect(ended.call.outcome).toBe("voicemail");
    await expect.poll(() => ringEventsOf(sid)).toEqual(expect.arrayContaining([`declined:${a.agent.id}`, `declined:${b.agent.id}`, "voicemail"]));
  });

  it("when nobody answers before the wait is over, the caller is moved to voicemail and leaves a message", async () => {
    const [a] = await staff(1);
    // Real-time music: the clock is moved only between two loops of the caller's wait URL.
    const sid = await call({ message: 2 });
    await seen(a, sid, "call.ringing");
    await timePasses(sid, 60_001);
    await seen(a, sid, "call.voicemail");
    expect((await seen(a, sid, "call.ended", 30_000)).call.outcome).toBe("voicemail");
    await expect.poll(() => ringEventsOf(sid)).toEqual(expect.arrayContaining(["no_answer", "voicemail"]));
  });

  it("with no agent online and available, the caller goes straight to voicemail", async () => {
    const sid = await call({ speed: 20, message: 2 });
    await expect.poll(async () => (await view(sid))?.phase).toMatch(/voicemail|ended/);
    await expect.poll(async () => (await simState(sid)).events.some((e) => e.what.startsWith("<Record>")), { timeout: 10_000 }).toBe(true);
  });
});

describe("the caller hanging up", () => {
  it("while connected ends the call for the agent, whose leg ends and who is free again", async () => {
    const [a] = await staff(1);
    const sid = await call();
    const leg = await answer(a, sid);
    await api(`/sim/calls/${sid}/hangup`, null, { method: "POST" });
    expect((await seen(a, sid, "call.ended")).call.outcome).toBe("answered");
    await a.phone.disconnected(leg.legSid);
    await a.console.take((m) => m.type === "agent.updated" && m.agent.id === a.agent.id && m.agent.currentCallSid === null);
  });

  it("while waiting is a missed call, and every console stops ringing", async () => {
    const [a, b] = await staff(2);
    const sid = await call();
    await seen(b, sid, "call.ringing");
    await api(`/sim/calls/${sid}/hangup`, null, { method: "POST" });
    expect((await seen(a, sid, "call.ended")).call.outcome).toBe("missed");
    await expect.poll(() => ringEventsOf(sid)).toContain("caller_hangup");
  });
});

describe("several callers", () => {
  it("three callers waiting with two free agents are answered oldest first; the third rings the first agent free", async () => {
    const [a, b] = await staff(2);
    const first = await call({ from: "+15551110001" });
    const second = await call({ from: "+15551110002" });
    const third = await call({ from: "+15551110003" });
    await seen(a, third, "call.ringing");
    // Answer (or Alt+Shift+A) takes the oldest call ringing: the console knows which from the board.
    const oldest = (d: Desk) => Object.values(boardOf(d)).filter((c) => c.phase === "ringing").sort((x, y) => x.startedAt - y.startedAt)[0]!.callSid;
    expect(oldest(a)).toBe(first);
    await answer(a, first);
    expect(oldest(b)).toBe(second);
    await answer(b, second);
    // Both busy: the third caller waits in line, ringing nobody, until an agent is free.
    await ringingWith(a, third, 0);
    await hangup(first, a);
    await ringingWith(a, third, 1);
    await answer(a, third);
  });

  it("an agent who becomes available while a caller waits is rung and answers", async () => {
    const [a] = await staff(1);
    await api("/api/me/availability", a.agent.cookie, { method: "PUT", body: JSON.stringify({ available: false }) });
    const [b] = await staff(1);
    const sid = await call();
    expect((await seen(b, sid, "call.ringing")).call.ringingCount).toBe(1);
    await api("/api/me/availability", a.agent.cookie, { method: "PUT", body: JSON.stringify({ available: true }) });
    expect((await seen(b, sid, "call.ringing")).call.ringingCount).toBe(2);
    await answer(a, sid);
  });

  it("five calls in a row, each answered by a different agent, stay independent", async () => {
    const desks = await staff(5);
    const sids: string[] = [];
    for (const d of desks) {
      const sid = await call();
      sids.push(sid);
      await answer(d, sid);
    }
    const views = await Promise.all(sids.map(view));
    expect(views.map((v) => v?.answeredBy)).toEqual(desks.map((d) => d.agent.id));
    expect(views.every((v) => v?.phase === "connected")).toBe(true);
  });

  it("an agent who finishes a call is shown available again and rings for the next caller", async () => {
    const [a, b] = await staff(2);
    const sid = await call();
    await answer(a, sid);
    await b.console.take((m) => m.type === "agent.updated" && m.agent.id === a.agent.id && m.agent.currentCallSid === sid);
    await hangup(sid, a);
    await b.console.take((m) => m.type === "agent.updated" && m.agent.id === a.agent.id && m.agent.currentCallSid === null);
    const next = await call();
    expect((await seen(a, next, "call.ringing")).call.ringingCount).toBe(2);
  });
});

describe("a winner who does not connect", () => {
  it("a refused connect (another agent's ticket, a used one) bridges nothing, and the winner still connects", async () => {
    const [a, b] = await staff(2);
    const sid = await call();
    await seen(a, sid, "call.ringing");
    const ticket = await ticketOf(await claim(sid, a.agent));
    const stolen = await b.phone.connect(sid, ticket);
    expect(stolen.accepted).toBe(false);
    expect((await caller(sid)).with).toEqual([]);
    const leg = await a.phone.connect(sid, ticket);
    expect(leg.accepted).toBe(true);
    await connectedTo(a, sid);
    expect((await b.phone.connect(sid, ticket)).accepted).toBe(false);
    expect((await caller(sid)).with).toEqual([leg.legSid]);
    await expect.poll(() => ringEventsOf(sid)).toContain(`connect_refused:${b.agent.id}`);
  });

  it("whose phone fails (said by the console) gives the call back at once, and another agent answers", async () => {
    const [a, b] = await staff(2);
    const sid = await call();
    await seen(a, sid, "call.ringing");
    await ticketOf(await claim(sid, a.agent));
    const res = await api(`/api/calls/${sid}/release`, a.agent.cookie, { method: "POST", body: JSON.stringify({ reason: "the microphone is blocked" }) });
    expect(res.status).toBe(200);
    const released = await seen(b, sid, "call.claim_released");
    expect(released).toMatchObject({ agentId: a.agent.id, reason: "connect_failed" });
    await answer(b, sid);
  });

  it("whose connect never comes loses the claim when the lease lapses, and the others ring again", async () => {
    const [a, b] = await staff(2);
    const sid = await call();
    await seen(b, sid, "call.ringing");
    await ticketOf(await claim(sid, a.agent));
    await seen(b, sid, "call.answered");
    await timePasses(sid, 10_001);
    const released = await b.console.next<"call.claim_released">((m) => m.type === "call.claim_released" && m.call.callSid === sid);
    expect(released).toMatchObject({ agentId: a.agent.id, reason: "lease_expired" });
    expect(released.call.phase).toBe("ringing");
    await answer(b, sid);
  });
});

describe("the agent's leg dropping mid-call", () => {
  it("puts the caller back in the lobby with music and rings everyone again; another agent takes them", async () => {
    const [a, b] = await staff(2);
    const sid = await call();
    const leg = await answer(a, sid);
    a.phone.hangup(leg.legSid); // the browser closed, the network lost: no hang-up from the console
    const again = await b.console.take<"call.ringing">((m) => m.type === "call.ringing" && m.call.callSid === sid && m.call.purpose === "reconnect");
    expect(again.call.ringingCount).toBe(2);
    await expect.poll(async () => (await caller(sid)).hears).toMatch(/wait-music|announcement/);
    await answer(b, sid);
    // D1 is a projection, written just after the consoles are told.
    await expect.poll(() => ringEventsOf(sid)).toEqual(expect.arrayContaining([`agent_dropped:${a.agent.id}`, `connected:${b.agent.id}`]));
  });
});

describe("an agent disabled mid-call", () => {
  it("is taken off the caller at the carrier, and the others ring to reconnect the caller", async () => {
    const [a, b] = await staff(2);
    const [admin] = await createAgents(1, { role: "admin", available: false });
    const sid = await call();
    await answer(a, sid);
    const res = await api(`/api/agents/${a.agent.id}`, admin.cookie, { method: "PATCH", body: JSON.stringify({ disabled: true }) });
    expect(res.status).toBe(200);
    const again = await b.console.take<"call.ringing">((m) => m.type === "call.ringing" && m.call.callSid === sid && m.call.purpose === "reconnect");
    expect(again.call.ringingCount).toBe(1);
    await expect.poll(async () => (await caller(sid)).with).toEqual([]);
    await answer(b, sid);
    await expect.poll(() => ringEventsOf(sid)).toEqual(expect.arrayContaining([`agent_disabled:${a.agent.id}`, `agent_dropped:${a.agent.id}`, `connected:${b.agent.id}`]));
  });
});

describe("the audit trail", () => {
  it("records every ring, claim, connect and hang-up of a call, in order", async () => {
    const [a] = await staff(1);
    const sid = await call();
    await answer(a, sid);
    await hangup(sid, a);
    await seen(a, sid, "call.ended");
    const id = a.agent.id;
    await expect.poll(() => ringEventsOf(sid)).toEqual([`ring_start:${id}`, `answered:${id}`, `ticket_used:${id}`, `connected:${id}`, `agent_hangup:${id}`, `call_ended:${id}`]);
  });
});

/** Waits for this call's view ringing `count` agents on the desk's console. */
function ringingWith(d: Desk, sid: string, count: number) {
  return d.console.take((m) => m.type === "call.ringing" && m.call.callSid === sid && m.call.ringingCount === count);
}

/** The calls this desk's console knows of, from the messages it received (as the console's board does). */
function boardOf(d: Desk): Record<string, CallView> {
  const calls: Record<string, CallView> = {};
  for (const m of d.console.messages) {
    if (m.type === "snapshot") for (const c of m.calls) calls[c.callSid] = c;
    else if ("call" in m && (!calls[m.call.callSid] || calls[m.call.callSid]!.seq <= m.call.seq)) calls[m.call.callSid] = m.call;
  }
  return calls;
}
