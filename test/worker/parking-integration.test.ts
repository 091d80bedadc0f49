// Parking, retrieval and transfers in the lobby model, through the carrier simulator and the real
// worker: a park moves the caller (REST) into a fresh lobby with hold music and ends the agent's leg;
// a retrieve is a claim on a parked call, won with a ticket the retriever's phone connects with; a
// transfer moves the caller into a fresh lobby that rings only its target, and back to the lot when
// the target does not take it.
import { describe, expect, it } from "vitest";
import type { ApiError, ParkResponse, RetrieveResponse, ServerMessage } from "../../worker/protocol";
import { agentRows, api, claim, createAgents, ringEventsOf } from "./helpers";
import {
  answer,
  call,
  caller,
  connectedTo,
  decline,
  type Desk,
  hangup,
  lotRows,
  park,
  pickUp,
  retrieve,
  seen,
  setAvailable,
  staff,
  ticketOf,
  timePasses,
  transfer,
} from "./desks";
import { simState } from "./sim-helpers";

/** Parks the call and checks the agent was told the slot. */
async function parkOk(sid: string, d: Desk): Promise<ParkResponse> {
  const res = await park(sid, d);
  const body = (await res.json()) as ParkResponse | ApiError;
  if (res.status !== 200 || !("parked" in body)) throw new Error(`park refused: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** Waits until the caller hears `what` (the lobby's audio changes at the next loop of its wait URL). */
async function callerHears(sid: string, what: string): Promise<void> {
  await expect.poll(async () => (await caller(sid)).hears, { timeout: 10_000 }).toBe(what);
}

/** The next message of this type about this call that names this agent (a console keeps the older ones). */
function seenOf<T extends ServerMessage["type"]>(d: Desk, sid: string, type: T, agentId: string) {
  return d.console.take<T>((m) => m.type === type && "call" in m && m.call.callSid === sid && "agentId" in m && m.agentId === agentId);
}

async function errorOf(res: Response): Promise<string> {
  return ((await res.json()) as ApiError).error;
}

describe("parking", () => {
  it("a parked caller hears hold music in a lot slot every console sees, and the parker's leg ends, leaving them free for the next call", async () => {
    const [a, b, c] = await staff(3);
    const sid = await call();
    const leg = await answer(a, sid);

    const before = Date.now();
    const parked = await parkOk(sid, a);
    expect(parked.slot).toBe(1);
    // PARK_TIMEOUT_SECONDS is 180 in wrangler.toml.
    expect(parked.returnsAt).toBeGreaterThanOrEqual(before + 180_000);
    expect(parked.returnsAt).toBeLessThanOrEqual(Date.now() + 180_000);
    for (const d of [a, b, c]) {
      const m = await seen(d, sid, "call.parked");
      expect(m.agentId).toBe(a.agent.id);
      expect(m.call).toMatchObject({ phase: "parked", lot: { slot: 1, parkedBy: a.agent.id, returnsAt: parked.returnsAt } });
    }

    // The agent's phone: their leg ended. The caller: alone, on hold, still there.
    await a.phone.disconnected(leg.legSid);
    await callerHears(sid, "hold-music");
    expect(await caller(sid)).toMatchObject({ status: "in-progress", with: [] });
    expect(await lotRows()).toMatchObject([{ callSid: sid, slot: 1, parkedBy: a.agent.id }]);

    // The parker is free: their console says so, and the next call rings them and is theirs to take.
    await a.console.next((m) => m.type === "agent.updated" && m.agent.id === a.agent.id && m.agent.currentCallSid === null);
    await expect.poll(async () => (await agentRows([a.agent.id]))[0]!.currentCallSid).toBeNull();
    const next = await call();
    const ring = await a.console.next<"call.ringing">((m) => m.type === "call.ringing" && m.call.callSid === next);
    expect(ring.call.ringingCount).toBe(3);
    const nextLeg = await answer(a, next);
    expect(await caller(next)).toMatchObject({ hears: "bridged", with: [nextLeg.legSid] });
    // The parked caller is still on hold meanwhile.
    expect(await caller(sid)).toMatchObject({ status: "in-progress", hears: "hold-music", with: [] });
    expect(await ringEventsOf(sid)).toContain(`parked:${a.agent.id}`);
  });

  it("any agent takes a parked call back: the retrieve wins a ticket, the phone connects with it, and the slot is freed", async () => {
    const [a, b, c] = await staff(3);
    const sid = await call();
    await answer(a, sid);
    await parkOk(sid, a);
    await seen(b, sid, "call.parked");

    const res = await retrieve(sid, b);
    expect(res.status).toBe(200);
    const won = (await res.json()) as RetrieveResponse;
    expect(won).toMatchObject({ retrieved: true, ticket: expect.any(String), expiresAt: expect.any(Number) });
    const m = await seen(c, sid, "call.retrieved");
    expect(m).toMatchObject({ agentId: b.agent.id, call: { phase: "claimed", claimedBy: b.agent.id, purpose: "retrieve" } });
    // Until the retriever's leg joins, the caller stays on hold, alone.
    expect(await caller(sid)).toMatchObject({ hears: "hold-music", with: [] });
    // Nobody else takes it meanwhile.
    const late = await retrieve(sid, c);
    expect(late.status).toBe(409);
    expect(await late.json()).toEqual({ retrieved: false, retrievedBy: b.agent.id });

    const leg = await b.phone.connect(sid, (won as { ticket: string }).ticket);
    expect(leg.accepted).toBe(true);
    await connectedTo(b, sid);
    const connected = await seenOf(c, sid, "call.connected", b.agent.id);
    expect(connected.call).toMatchObject({ phase: "connected", answeredBy: b.agent.id, lot: null });
    expect(await caller(sid)).toMatchObject({ status: "in-progress", hears: "bridged", with: [leg.legSid] });
    await expect.poll(lotRows).toEqual([]);
    expect(await ringEventsOf(sid)).toEqual(
      expect.arrayContaining([`parked:${a.agent.id}`, `retrieve_started:${b.agent.id}`, `ticket_used:${b.agent.id}`, `connected:${b.agent.id}`]),
    );
  });

  it("two agents racing to retrieve the same parked call: exactly one wins, the other is told who, and only the winner is ever with the caller, round after round", async () => {
    const [a, b] = await staff(2);
    const sid = await call();
    let holder = a;
    let holderLeg = await answer(a, sid);
    for (let round = 0; round < 8; round++) {
      await parkOk(sid, holder);
      await holder.phone.disconnected(holderLeg.legSid);
      const [ra, rb] = await Promise.all([retrieve(sid, a), retrieve(sid, b)]);
      expect([ra.status, rb.status].sort()).toEqual([200, 409]);
      const [winner, loser] = ra.status === 200 ? [a, b] : [b, a];
      const [winnerRes, loserRes] = ra.status === 200 ? [ra, rb] : [rb, ra];
      expect(await loserRes.json()).toEqual({ retrieved: false, retrievedBy: winner.agent.id });
      // The loser's phone tries anyway, at the same time as the winner's: only the ticket gets in.
      const [won, lost] = await Promise.all([winner.phone.connect(sid, await ticketOf(winnerRes)), loser.phone.connect(sid, "not-a-ticket")]);
      expect(won.accepted).toBe(true);
      expect(lost.accepted).toBe(false);
      await connectedTo(winner, sid);
      expect(await caller(sid)).toMatchObject({ status: "in-progress", hears: "bridged", with: [won.legSid] });
      holder = winner;
      holderLeg = won;
    }
    const events = await ringEventsOf(sid);
    expect(events.filter((e) => e.startsWith("retrieve_started:"))).toHaveLength(8);
    expect(events.filter((e) => e.startsWith("parked:"))).toHaveLength(8);
  });

  it("a park chain: A parks, B retrieves, B parks, C retrieves; the caller is never dropped", async () => {
    const [a, b, c] = await staff(3);
    const sid = await call();
    const legA = await answer(a, sid);
    expect((await parkOk(sid, a)).slot).toBe(1);
    await a.phone.disconnected(legA.legSid);
    const legB = await pickUp(b, sid);
    expect(await caller(sid)).toMatchObject({ hears: "bridged", with: [legB.legSid] });
    expect((await parkOk(sid, b)).slot).toBe(1);
    const parkedByB = await seenOf(c, sid, "call.parked", b.agent.id);
    expect(parkedByB.call).toMatchObject({ phase: "parked", lot: { slot: 1, parkedBy: b.agent.id } });
    await b.phone.disconnected(legB.legSid);
    await callerHears(sid, "hold-music");
    const legC = await pickUp(c, sid);
    expect(await caller(sid)).toMatchObject({ status: "in-progress", hears: "bridged", with: [legC.legSid] });
    await expect.poll(lotRows).toEqual([]);
    const events = await ringEventsOf(sid);
    expect(events.filter((e) => /^(parked|retrieve_started|connected):/.test(e))).toEqual([
      `connected:${a.agent.id}`,
      `parked:${a.agent.id}`,
      `retrieve_started:${b.agent.id}`,
      `connected:${b.agent.id}`,
      `parked:${b.agent.id}`,
      `retrieve_started:${c.agent.id}`,
      `connected:${c.agent.id}`,
    ]);
  });

  it("three agents each on a call park at the same moment into three slots, and each retrieves a different call", async () => {
    const desks = await staff(3);
    const sids: string[] = [];
    const legs: string[] = [];
    for (const d of desks) {
      // Only idle agents ring: each new call rings whoever is still free, and d takes it.
      const sid = await call();
      sids.push(sid);
      legs.push((await answer(d, sid)).legSid);
    }
    const parked = await Promise.all(desks.map((d, i) => parkOk(sids[i]!, d)));
    expect(parked.map((p) => p.slot).sort()).toEqual([1, 2, 3]);
    expect((await lotRows()).map((r) => [r.callSid, r.slot])).toEqual(
      expect.arrayContaining(sids.map((sid, i) => [sid, parked[i]!.slot])),
    );
    await Promise.all(desks.map((d, i) => d.phone.disconnected(legs[i]!)));
    for (const sid of sids) await callerHears(sid, "hold-music");

    // Each takes the call of the next agent, all at once.
    const rotated = desks.map((d, i) => ({ d, sid: sids[(i + 1) % 3]! }));
    const taken = await Promise.all(rotated.map(({ d, sid }) => pickUp(d, sid)));
    for (const [i, { sid }] of rotated.entries()) {
      expect(await caller(sid)).toMatchObject({ status: "in-progress", hears: "bridged", with: [taken[i]!.legSid] });
    }
    await expect.poll(lotRows).toEqual([]);
  });

  it("a retrieve while a new inbound call rings: one agent retrieves the parked call, another answers the new one", async () => {
    const [a, b] = await staff(2);
    const first = await call();
    await answer(a, first);
    await parkOk(first, a);
    const second = await call();
    const ring = await seen(b, second, "call.ringing");
    expect(ring.call.ringingCount).toBe(2);
    expect(["announcement", "wait-music"]).toContain((await caller(second)).hears);

    const legA = await pickUp(a, first);
    // Holding the retrieved call, A no longer rings for the new one, and cannot take it.
    await b.console.next((m) => m.type === "call.ringing" && m.call.callSid === second && m.call.ringingCount === 1);
    const busy = await claim(second, a.agent);
    expect(busy.status).toBe(409);
    expect(await busy.json()).toEqual({ claimed: false, claimedBy: null, busyWith: first });

    const legB = await answer(b, second);
    expect(await caller(first)).toMatchObject({ hears: "bridged", with: [legA.legSid] });
    expect(await caller(second)).toMatchObject({ hears: "bridged", with: [legB.legSid] });
    await expect.poll(lotRows).toEqual([]);
  });

  it("parking while another call rings: the ring goes on and now reaches the parker too, who takes it while a colleague retrieves the parked one", async () => {
    const [a, b, c] = await staff(3);
    const first = await call();
    await answer(a, first);
    const second = await call();
    expect((await seen(b, second, "call.ringing")).call.ringingCount).toBe(2);

    await parkOk(first, a);
    await a.console.next((m) => m.type === "call.ringing" && m.call.callSid === second && m.call.ringingCount === 3);
    expect(await caller(second)).toMatchObject({ status: "in-progress", with: [] });
    const legA = await answer(a, second);
    const legC = await pickUp(c, first);
    expect(await caller(second)).toMatchObject({ hears: "bridged", with: [legA.legSid] });
    expect(await caller(first)).toMatchObject({ hears: "bridged", with: [legC.legSid] });
    // The ring reached the parker as soon as they were free: it is in the second call's trail.
    expect(await ringEventsOf(second)).toEqual(expect.arrayContaining([`ring_start:${a.agent.id}`, `connected:${a.agent.id}`]));
  });

  it("a full lot refuses a park with 409, and the call stays with the agent", async () => {
    const desks = await staff(4);
    const sids: string[] = [];
    const legs: string[] = [];
    for (const d of desks) {
      const sid = await call();
      sids.push(sid);
      legs.push((await answer(d, sid)).legSid);
    }
    for (let i = 0; i < 3; i++) await parkOk(sids[i]!, desks[i]!);
    const last = desks[3]!;
    const full = await park(sids[3]!, last);
    expect(full.status).toBe(409);
    expect(await errorOf(full)).toMatch(/parking lot is full \(3 slots\)/);

    // Nothing moved: the caller is still with the agent, who still holds the call, and nobody was told of a park.
    expect(await caller(sids[3]!)).toMatchObject({ status: "in-progress", hears: "bridged", with: [legs[3]] });
    expect((await agentRows([last.agent.id]))[0]!.currentCallSid).toBe(sids[3]);
    expect((await lotRows()).map((r) => r.callSid).sort()).toEqual(sids.slice(0, 3).sort());
    expect(last.console.messages.some((m) => m.type === "call.parked" && m.call.callSid === sids[3])).toBe(false);
    expect(last.phone.messages.some((m) => m.type === "disconnect" && m.callSid === legs[3])).toBe(false);
    // Once a slot is free, the same park works.
    const out = await pickUp(desks[0]!, sids[1]!);
    expect(out.accepted).toBe(true);
    expect((await parkOk(sids[3]!, last)).slot).toBe(2);
  });

  it("only the connected agent may park: anyone else gets 403 and nothing changes", async () => {
    const [a, b, c] = await staff(3);
    const sid = await call();
    const leg = await answer(a, sid);
    for (const d of [b, c]) {
      const res = await park(sid, d);
      expect(res.status).toBe(403);
      expect(await errorOf(res)).toMatch(/only the agent connected to this call can park it/);
    }
    expect(await caller(sid)).toMatchObject({ hears: "bridged", with: [leg.legSid] });
    expect(await lotRows()).toEqual([]);
    expect(b.console.messages.some((m) => m.type === "call.parked" && m.call.callSid === sid)).toBe(false);
    // A parked call is nobody's to park again, not even the parker's.
    await parkOk(sid, a);
    expect((await park(sid, a)).status).toBe(403);
    expect((await park(sid, b)).status).toBe(403);
    expect(await lotRows()).toMatchObject([{ callSid: sid, slot: 1, parkedBy: a.agent.id }]);
  });

  it("the caller hanging up while parked ends the call as abandoned and frees the slot", async () => {
    const [a, b] = await staff(2);
    const sid = await call();
    await answer(a, sid);
    await parkOk(sid, a);
    await seen(b, sid, "call.parked");
    await api(`/sim/calls/${sid}/hangup`, null, { method: "POST" });
    const ended = await seen(b, sid, "call.ended");
    expect(ended.call).toMatchObject({ phase: "ended", outcome: "abandoned", lot: null });
    await expect.poll(lotRows).toEqual([]);
    expect((await simState(sid)).status).toBe("completed");
    expect((await retrieve(sid, b)).status).toBe(410);
    expect(await ringEventsOf(sid)).toEqual(expect.arrayContaining([`parked:${a.agent.id}`, "caller_hangup", `call_ended:${a.agent.id}`]));
  });
});

describe("transfers", () => {
  it("a transfer rings only its target, who claims and connects; the transferring agent's leg ends and the slot is freed", async () => {
    const [a, b, c] = await staff(3);
    const sid = await call();
    const legA = await answer(a, sid);
    const res = await transfer(sid, a, b.agent.id);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ transferring: true, to: b.agent.id });
    for (const d of [a, b, c]) {
      const m = await seen(d, sid, "call.transferring");
      expect(m).toMatchObject({ from: a.agent.id, to: b.agent.id });
      expect(m.call).toMatchObject({ phase: "ringing", purpose: "transfer", ringTargets: [b.agent.id], ringingCount: 1, transfer: { from: a.agent.id, to: b.agent.id } });
    }
    await a.phone.disconnected(legA.legSid);
    expect(await caller(sid)).toMatchObject({ status: "in-progress", with: [] });
    // The slot is held while the transfer rings, for a transfer nobody takes.
    expect(await lotRows()).toMatchObject([{ callSid: sid, parkedBy: a.agent.id }]);

    // Nobody else may take it: not a colleague, not the agent who sent it.
    for (const d of [c, a]) {
      const other = await claim(sid, d.agent);
      expect(other.status).toBe(403);
      expect(await errorOf(other)).toMatch(/rings somebody else/);
    }
    const won = await claim(sid, b.agent);
    const legB = await b.phone.connect(sid, await ticketOf(won));
    expect(legB.accepted).toBe(true);
    await connectedTo(b, sid);
    const connected = await seenOf(c, sid, "call.connected", b.agent.id);
    expect(connected.call).toMatchObject({ answeredBy: b.agent.id, lot: null, transfer: null });
    expect(await caller(sid)).toMatchObject({ hears: "bridged", with: [legB.legSid] });
    await expect.poll(lotRows).toEqual([]);
    expect(await ringEventsOf(sid)).toEqual(
      expect.arrayContaining([`transfer_started:${a.agent.id}`, `ring_start:${b.agent.id}`, `answered:${b.agent.id}`, `connected:${b.agent.id}`]),
    );
  });

  it("a transfer declined by its target returns the caller to the lot on hold, and the sender is told", async () => {
    const [a, b, c] = await staff(3);
    const sid = await call();
    await answer(a, sid);
    expect((await transfer(sid, a, b.agent.id)).status).toBe(200);
    await seen(b, sid, "call.transferring");
    expect((await decline(sid, b)).status).toBe(200);

    const failed = await seen(a, sid, "call.transfer_failed");
    expect(failed).toMatchObject({ from: a.agent.id, to: b.agent.id, reason: "declined" });
    expect(failed.call).toMatchObject({ phase: "parked", lot: { slot: 1, parkedBy: a.agent.id, parkedAt: expect.any(Number), returnsAt: expect.any(Number) } });
    await callerHears(sid, "hold-music");
    expect(await caller(sid)).toMatchObject({ status: "in-progress", with: [] });
    expect(await lotRows()).toMatchObject([{ callSid: sid, slot: 1, parkedBy: a.agent.id }]);
    // From the lot, anyone takes it back.
    const legC = await pickUp(c, sid);
    expect(await caller(sid)).toMatchObject({ hears: "bridged", with: [legC.legSid] });
    expect(await ringEventsOf(sid)).toEqual(expect.arrayContaining([`declined:${b.agent.id}`, `returned_to_lot:${b.agent.id}`]));
  });

  it("a transfer nobody answers returns the caller to the lot when the wait is over", async () => {
    const [a, b] = await staff(2);
    const sid = await call();
    await answer(a, sid);
    expect((await transfer(sid, a, b.agent.id)).status).toBe(200);
    await seen(b, sid, "call.transferring");

    await timePasses(sid, 60_001);
    const failed = await seen(a, sid, "call.transfer_failed");
    expect(failed).toMatchObject({ from: a.agent.id, to: b.agent.id, reason: "no_answer", call: { phase: "parked", lot: { slot: 1, parkedBy: a.agent.id } } });
    await seen(b, sid, "call.transfer_failed");
    await callerHears(sid, "hold-music");
    expect(await caller(sid)).toMatchObject({ status: "in-progress", with: [] });
    expect(await lotRows()).toMatchObject([{ callSid: sid, slot: 1, parkedBy: a.agent.id }]);
    // The ring is over for the target: their claim is refused; a retrieve is what takes it now.
    expect((await claim(sid, b.agent)).status).toBe(409);
    await pickUp(b, sid);
    expect(await ringEventsOf(sid)).toEqual(expect.arrayContaining(["no_answer", `returned_to_lot:${b.agent.id}`, `retrieve_started:${b.agent.id}`]));
  });

  it("refuses a transfer to oneself or to an agent who cannot take a call (409), and nothing changes", async () => {
    const [a, b, c, d] = await staff(4);
    const [offline] = await createAgents(1);
    const sid = await call();
    const leg = await answer(a, sid);
    const other = await call();
    await answer(d, other);
    await setAvailable(c, false);

    const refusals: [string, RegExp][] = [
      [a.agent.id, /yourself/],
      [c.agent.id, /cannot take a call/], // unavailable
      [d.agent.id, /cannot take a call/], // on another call
      [offline.id, /cannot take a call/], // no console
    ];
    for (const [to, why] of refusals) {
      const res = await transfer(sid, a, to);
      expect(res.status, to).toBe(409);
      expect(await errorOf(res)).toMatch(why);
    }
    expect((await transfer(sid, a, "nobody_here")).status).toBe(404);

    expect(await caller(sid)).toMatchObject({ hears: "bridged", with: [leg.legSid] });
    expect(await lotRows()).toEqual([]);
    expect(a.console.messages.some((m) => m.type === "call.transferring" && m.call.callSid === sid)).toBe(false);
    expect(a.phone.messages.some((m) => m.type === "disconnect" && m.callSid === leg.legSid)).toBe(false);
    expect((await ringEventsOf(sid)).some((e) => e.startsWith("transfer_started"))).toBe(false);
    // The call is still A's to transfer to someone who can take it.
    expect((await transfer(sid, a, b.agent.id)).status).toBe(200);
  });
});

describe("the audit trail", () => {
  it("records every ring, park, retrieve and transfer of a call, in order", async () => {
    const [a, b, c] = await staff(3);
    const sid = await call();
    await answer(a, sid);
    await parkOk(sid, a);
    await pickUp(b, sid);
    expect((await transfer(sid, b, c.agent.id)).status).toBe(200);
    await seen(c, sid, "call.transferring");
    expect((await decline(sid, c)).status).toBe(200);
    await seen(a, sid, "call.transfer_failed");
    await pickUp(a, sid);
    expect((await hangup(sid, a)).status).toBe(200);
    await seen(b, sid, "call.ended");
    const [ia, ib, ic] = [a.agent.id, b.agent.id, c.agent.id];
    await expect
      .poll(() => ringEventsOf(sid))
      .toEqual([
        "ring_start",
        `answered:${ia}`,
        `ticket_used:${ia}`,
        `connected:${ia}`,
        `parked:${ia}`,
        `retrieve_started:${ib}`,
        `ticket_used:${ib}`,
        `connected:${ib}`,
        `transfer_started:${ib}`,
        `ring_start:${ic}`,
        `declined:${ic}`,
        "no_answer",
        `returned_to_lot:${ic}`,
        `retrieve_started:${ia}`,
        `ticket_used:${ia}`,
        `connected:${ia}`,
        `agent_hangup:${ia}`,
        `call_ended:${ia}`,
      ]);
  });
});
