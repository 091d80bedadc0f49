// The call's rules on their own: the pure machine, fed inputs one after another, no runtime.
import { describe, expect, it } from "vitest";
import * as m from "../../worker/call/machine";
import type { AgentFacts, CallConfig, CallState, Effect, Reply, Step, TwilioOp } from "../../worker/call/machine";

const config: CallConfig = { leaseMs: 10_000, waitMs: 60_000, parkTimeoutMs: 180_000, reconcileMs: 60_000 };
const SID = "CA" + "a".repeat(32);
const FREE: AgentFacts = { eligible: true, canConnect: true, busyWith: null };

/** A call and the time, stepped through inputs; every effect is kept for the assertions. */
class Call {
  state: CallState | null = null;
  at = 1_000;
  effects: Effect[] = [];

  constructor(eligible: string[] = ["ann", "bob", "cat"], available = eligible.length, record = false) {
    this.apply(m.start(null, { type: "start", from: "+15551230001", to: "+15559990000", origin: "https://x.test", available, eligible, record, at: this.at }, config, SID));
  }

  get s(): CallState {
    if (!this.state) throw new Error("no call");
    return this.state;
  }

  private apply<R extends Reply>(step: Step<R>): R {
    this.state = step.state;
    this.effects.push(...step.effects);
    return step.reply;
  }

  run<R extends Reply>(fn: (t: m.Tx) => R): R {
    return this.apply(m.step(this.state, config, fn, null as unknown as R));
  }

  later(ms: number): this {
    this.at += ms;
    return this;
  }

  claim(agentId: string, agent = FREE) {
    return this.run((t) => m.claim(t, { type: "claim", agentId, agent, ticket: `ticket-${agentId}-${this.at}`, at: this.at }, config));
  }
  decline(agentId: string, eligible = ["ann", "bob", "cat"]) {
    return this.run((t) => m.decline(t, { type: "decline", agentId, eligible, at: this.at }, config));
  }
  connect(agentId: string, ticket: string, legSid = `leg-${agentId}`) {
    return this.run((t) => m.connect(t, { type: "connect", agentId, ticket, legSid, at: this.at }, config));
  }
  conference(event: m.ConferenceEvent, label: string, legSid: string, reason: string | null = null, gen = this.s.gen) {
    return this.run((t) => m.conference(t, { type: "conference", event, label, legSid, gen, reason, eligible: ["ann", "bob", "cat"], at: this.at }, config));
  }
  /** Claim, connect with the ticket, and join: the agent is on the call. */
  answer(agentId: string) {
    const r = this.claim(agentId);
    if (r.status !== 200) throw new Error(`claim refused: ${JSON.stringify(r)}`);
    expect(this.connect(agentId, r.ticket)).toEqual({ joined: true, gen: this.s.gen });
    this.conference("participant-join", "agent", `leg-${agentId}`);
    expect(this.s.phase).toBe("connected");
  }
  park(agentId: string, slot = 1) {
    return this.run((t) => m.park(t, { type: "park", agentId, slot, at: this.at }, config));
  }
  retrieve(agentId: string, agent = FREE) {
    return this.run((t) => m.retrieve(t, { type: "retrieve", agentId, agent, ticket: `ticket-${agentId}-${this.at}`, at: this.at }, config));
  }
  transfer(agentId: string, to: string, toEligible = true, slot = 11) {
    return this.run((t) => m.transfer(t, { type: "transfer", agentId, to, toEligible, slot, at: this.at }, config));
  }
  alarm() {
    return this.run((t) => m.alarm(t, { type: "alarm", eligible: ["ann", "bob", "cat"], at: this.at }, config));
  }
  twilio(request: TwilioOp, outcome: m.TwilioOutcome) {
    return this.run((t) => m.twilioResult(t, { type: "twilioResult", request, outcome, error: outcome, at: this.at }, config));
  }

  /** The REST requests the machine asked for, oldest first. */
  requests(): TwilioOp[] {
    return this.effects.flatMap((e) => (e.type === "twilio" ? [e.request] : []));
  }
  records(): string[] {
    return this.effects.flatMap((e) => (e.type === "record" ? [`${e.event}${e.agentId ? ":" + e.agentId : ""}`] : []));
  }
  published(): string[] {
    return this.effects.flatMap((e) => (e.type === "publish" ? [e.message.type] : []));
  }
  freed(): string[] {
    return this.effects.flatMap((e) => (e.type === "agentFree" ? [e.agentId] : []));
  }
}

describe("a caller arriving", () => {
  it("waits in the lobby and rings every eligible agent, recording who", () => {
    const c = new Call();
    expect(c.s.phase).toBe("ringing");
    expect(c.s.ringTargets).toBeNull();
    expect(c.s.waitingSince).toBe(1_000);
    expect(c.published()).toEqual(["call.ringing"]);
    const ring = c.effects.find((e) => e.type === "record" && e.event === "ring_start");
    expect(ring?.type === "record" && ring.detail).toEqual({ agents: ["ann", "bob", "cat"], purpose: "inbound" });
  });

  it("goes to voicemail at once when no agent is online and available", () => {
    const c = new Call([], 0);
    expect(c.s.phase).toBe("voicemail");
    expect(c.records()).toEqual(["voicemail"]);
  });

  it("waits in line when every available agent is busy", () => {
    const c = new Call([], 2);
    expect(c.s.phase).toBe("ringing");
    expect(c.s.waitEndsAt).toBe(1_000 + config.waitMs);
  });

  it("answers Twilio's retried voice webhook the same way", () => {
    const c = new Call();
    const again = m.start(c.state, { type: "start", from: "x", to: "y", origin: "o", available: 0, eligible: [], record: false, at: 2_000 }, config, SID);
    expect(again.reply).toEqual({ phase: "ringing", gen: 1, fresh: false });
    expect(again.state).toBe(c.state);
  });
});

describe("claims", () => {
  it("the first claim wins a one-time ticket; every later one is told who has it", () => {
    const c = new Call();
    const won = c.claim("ann");
    expect(won).toMatchObject({ status: 200, expiresAt: 1_000 + config.leaseMs });
    // The winner's retried request gets the same ticket, not a refusal that would strand the call.
    expect(c.later(10).claim("ann")).toEqual(won);
    expect(c.s.phase).toBe("claimed");
    expect(c.claim("bob")).toEqual({ status: 409, claimedBy: "ann", busyWith: null });
    expect(c.published()).toEqual(["call.ringing", "call.answered"]);
  });

  it("a refused claim changes nothing, so nothing is written", () => {
    const c = new Call();
    c.claim("ann");
    const before = c.state;
    const step = m.step(before, config, (t) => m.claim(t, { type: "claim", agentId: "bob", agent: FREE, ticket: "t", at: c.at }, config), null);
    expect(step.state).toBe(before);
    expect(step.effects).toEqual([]);
  });

  it("refuses a decline from an agent the call does not ring, so a busy agent cannot send a waiting caller to voicemail", () => {
    const c = new Call(["ann"]);
    expect(c.decline("bob", ["ann"])).toMatchObject({ status: 403 });
    expect(c.s.phase).toBe("ringing");
  });

  it("refuses an agent already holding another call, one who declined, or one it does not ring", () => {
    const c = new Call();
    expect(c.claim("ann", { eligible: false, canConnect: true, busyWith: "CA" + "b".repeat(32) })).toMatchObject({ status: 409, busyWith: "CA" + "b".repeat(32) });
    c.decline("bob");
    expect(c.claim("bob")).toMatchObject({ status: 403 });
    expect(c.claim("cat", { eligible: false, canConnect: true, busyWith: null })).toMatchObject({ status: 403 });
  });
});

describe("the ticketed connect", () => {
  it("joins the winner, once; their join makes the call connected", () => {
    const c = new Call();
    const won = c.claim("ann");
    if (won.status !== 200) throw new Error("lost");
    expect(c.connect("ann", won.ticket)).toEqual({ joined: true, gen: 1 });
    expect(c.connect("ann", won.ticket, "leg-2")).toEqual({ joined: false, why: "the ticket was already used" });
    c.conference("participant-join", "agent", "leg-ann");
    expect(c.s.phase).toBe("connected");
    expect(c.s.answeredBy).toBe("ann");
    expect(c.published()).toContain("call.connected");
  });

  it("refuses no ticket, another call's ticket, another agent's ticket, and changes nothing", () => {
    const c = new Call();
    const won = c.claim("ann");
    if (won.status !== 200) throw new Error("lost");
    const before = m.view(c.s);
    expect(c.connect("ann", "", "leg-1")).toMatchObject({ joined: false });
    expect(c.connect("ann", "someone-elses", "leg-2")).toMatchObject({ joined: false });
    expect(c.connect("bob", won.ticket)).toEqual({ joined: false, why: "the ticket belongs to another agent" });
    expect({ ...m.view(c.s), seq: 0 }).toEqual({ ...before, seq: 0 });
    expect(c.records().filter((r) => r.startsWith("connect_refused"))).toHaveLength(3);
  });

  it("answers a repeat of the winner's own request the same way, and records a refused leg once however often it is replayed", () => {
    const c = new Call();
    const won = c.claim("ann");
    if (won.status !== 200) throw new Error("lost");
    expect(c.connect("ann", won.ticket)).toEqual({ joined: true, gen: 1 });
    expect(c.connect("ann", won.ticket)).toEqual({ joined: true, gen: 1 });
    for (let i = 0; i < 5; i++) expect(c.connect("ann", won.ticket, "leg-other")).toEqual({ joined: false, why: "the ticket was already used" });
    c.conference("participant-join", "agent", "leg-ann");
    expect(c.connect("ann", won.ticket)).toEqual({ joined: true, gen: 1 });
    c.conference("participant-leave", "caller", SID, "participant_hung_up");
    const seq = c.s.seq;
    for (let i = 0; i < 5; i++) expect(c.connect("ann", won.ticket)).toMatchObject({ joined: false });
    expect(c.s.seq).toBe(seq);
    expect(c.records().filter((r) => r.startsWith("connect_refused"))).toHaveLength(1);
    expect(c.records().filter((r) => r.startsWith("ticket_used"))).toHaveLength(1);
  });

  it("refuses the winner's ticket once the agent has left the team, and releases the claim so the others ring at once", () => {
    const c = new Call();
    const won = c.claim("ann");
    if (won.status !== 200) throw new Error("lost");
    const reply = c.run((t) => m.connect(t, { type: "connect", agentId: "ann", ticket: won.ticket, legSid: "leg-ann", onTeam: false, at: c.at }, config));
    expect(reply).toEqual({ joined: false, why: "the agent was disabled or removed" });
    expect(c.s.phase).toBe("ringing");
    expect(c.published()).toContain("call.claim_released");
    expect(c.freed()).toEqual(["ann"]);
  });

  it("refuses a ticket after the lease, and the others ring again", () => {
    const c = new Call();
    const won = c.claim("ann");
    if (won.status !== 200) throw new Error("lost");
    c.later(config.leaseMs);
    expect(c.connect("ann", won.ticket)).toEqual({ joined: false, why: "nobody holds a claim on this call" });
    expect(c.s.phase).toBe("ringing");
    expect(c.published()).toContain("call.claim_released");
    expect(c.freed()).toEqual(["ann"]);
  });

  it("refuses a ticket once the caller is gone", () => {
    const c = new Call();
    const won = c.claim("ann");
    if (won.status !== 200) throw new Error("lost");
    c.conference("participant-leave", "caller", SID, "participant_hung_up");
    expect(c.connect("ann", won.ticket)).toEqual({ joined: false, why: "the caller is gone" });
    expect(c.s.outcome).toBe("missed");
  });

  it("renews the lease when the ticket is used, so a slow join callback does not cost the agent the call", () => {
    const c = new Call();
    const won = c.claim("ann");
    if (won.status !== 200) throw new Error("lost");
    c.later(config.leaseMs - 1).connect("ann", won.ticket);
    c.later(config.leaseMs - 1).alarm();
    expect(c.s.phase).toBe("claimed");
    c.conference("participant-join", "agent", "leg-ann");
    expect(c.s.phase).toBe("connected");
  });

  it("ends at once an agent leg that joins without a claim (a lapsed lease, another generation)", () => {
    const c = new Call();
    const won = c.claim("ann");
    if (won.status !== 200) throw new Error("lost");
    c.connect("ann", won.ticket);
    c.later(config.leaseMs).alarm();
    expect(c.s.phase).toBe("ringing");
    expect(c.requests()).toEqual([{ op: "kick", legSid: "leg-ann", attempt: 1 }]);
    c.conference("participant-join", "agent", "leg-ann");
    expect(c.s.phase).toBe("ringing");
    expect(c.requests()).toHaveLength(2);
  });

  it("a failed connect released by the console rings everyone again with the reason", () => {
    const c = new Call();
    c.claim("ann");
    expect(c.run((t) => m.release(t, { type: "release", agentId: "ann", reason: "microphone blocked", at: c.at }, config))).toEqual({ status: 200, why: null });
    expect(c.s.phase).toBe("ringing");
    const released = c.effects.find((e) => e.type === "record" && e.event === "claim_released");
    expect(released?.type === "record" && released.detail).toEqual({ reason: "connect_failed", detail: "microphone blocked" });
  });
});

describe("the end of waiting", () => {
  it("sends the caller to voicemail through the REST API when the wait is over", () => {
    const c = new Call();
    c.later(config.waitMs).alarm();
    expect(c.s.phase).toBe("voicemail");
    expect(c.requests()).toEqual([{ op: "voicemail", gen: 2, attempt: 1 }]);
  });

  it("sends the caller to voicemail when every eligible agent declined", () => {
    const c = new Call(["ann", "bob"]);
    c.decline("ann", ["ann", "bob"]);
    expect(c.s.phase).toBe("ringing");
    c.decline("bob", ["ann", "bob"]);
    expect(c.s.phase).toBe("voicemail");
  });

  it("a caller who hangs up while waiting is a missed call; a caller moved by our redirect is not gone", () => {
    const c = new Call();
    c.conference("participant-leave", "caller", SID, "participant_updated_via_api");
    expect(c.s.phase).toBe("ringing");
    c.conference("participant-leave", "caller", SID, "participant_hung_up");
    expect(c.s.phase).toBe("ended");
    expect(c.s.outcome).toBe("missed");
  });
});

describe("an agent disabled while holding the call", () => {
  it("connected: their leg is ended by REST, the caller gets a fresh lobby, and the others ring to reconnect", () => {
    const c = new Call();
    c.answer("ann");
    const reply = c.run((t) => m.removeAgent(t, { type: "removeAgent", agentId: "ann", eligible: ["ann", "bob", "cat"], at: c.at }, config));
    expect(reply).toEqual({ status: 200, why: null });
    expect(c.s).toMatchObject({ phase: "ringing", purpose: "reconnect", answeredLeg: null });
    expect(c.requests()).toContainEqual({ op: "kick", legSid: "leg-ann", attempt: 1 });
    expect(c.records()).toEqual(expect.arrayContaining(["agent_disabled:ann", "agent_dropped:ann"]));
    expect(c.freed()).toEqual(["ann"]);
  });

  it("claimed: the claim is released and everyone rings again; an agent with no part of the call changes nothing", () => {
    const c = new Call();
    c.claim("ann");
    const before = m.view(c.s);
    expect(c.run((t) => m.removeAgent(t, { type: "removeAgent", agentId: "bob", eligible: ["bob", "cat"], at: c.at }, config))).toMatchObject({ status: 409 });
    expect(m.view(c.s)).toEqual(before);
    expect(c.run((t) => m.removeAgent(t, { type: "removeAgent", agentId: "ann", eligible: ["bob", "cat"], at: c.at }, config))).toEqual({ status: 200, why: null });
    expect(c.s.phase).toBe("ringing");
    expect(c.published()).toContain("call.claim_released");
  });
});

describe("a connected call", () => {
  it("the agent's hang-up ends the call and hangs up the caller", () => {
    const c = new Call();
    c.answer("ann");
    expect(c.run((t) => m.hangup(t, { type: "hangup", agentId: "ann", at: c.at }))).toEqual({ status: 200, why: null });
    expect(c.s.outcome).toBe("answered");
    expect(c.requests()).toEqual([{ op: "hangup", attempt: 1 }]);
    expect(c.freed()).toEqual(["ann"]);
  });

  it("only the connected agent may hang up", () => {
    const c = new Call();
    c.answer("ann");
    expect(c.run((t) => m.hangup(t, { type: "hangup", agentId: "bob", at: c.at }))).toMatchObject({ status: 403 });
  });

  it("the agent's leg dropping puts the caller back in a fresh lobby and rings everyone", () => {
    const c = new Call();
    c.answer("ann");
    c.conference("participant-leave", "agent", "leg-ann", "participant_hung_up");
    expect(c.s).toMatchObject({ phase: "ringing", purpose: "reconnect", gen: 2, ringTargets: null, answeredLeg: null });
    expect(c.requests()).toEqual([{ op: "lobby", gen: 2, attempt: 1 }]);
    expect(c.freed()).toEqual(["ann"]);
    expect(c.records()).toContain("agent_dropped:ann");
    const ring = c.effects.filter((e) => e.type === "record" && e.event === "ring_start").at(-1);
    expect(ring?.type === "record" && ring.detail).toEqual({ agents: ["ann", "bob", "cat"], purpose: "reconnect" });
  });

  it("the caller hanging up ends it as answered", () => {
    const c = new Call();
    c.answer("ann");
    c.conference("participant-leave", "caller", SID, "participant_hung_up");
    expect(c.s.outcome).toBe("answered");
    expect(c.freed()).toEqual(["ann"]);
  });
});

describe("parking", () => {
  it("parks with a fresh lobby; the parked agent's leg leaving the old one changes nothing", () => {
    const c = new Call();
    c.answer("ann");
    expect(c.park("ann")).toMatchObject({ status: 200, lot: { slot: 1, parkedBy: "ann" } });
    expect(c.requests()).toEqual([{ op: "lobby", gen: 2, attempt: 1 }]);
    c.conference("participant-leave", "agent", "leg-ann", "participant_hung_up", 1);
    expect(c.s.phase).toBe("parked");
  });

  it("a retrieve is a claim with a ticket; a retrieve that never connects goes back to its slot and timer", () => {
    const c = new Call();
    c.answer("ann");
    c.park("ann");
    const returnsAt = c.s.lot?.returnsAt;
    expect(c.retrieve("bob")).toMatchObject({ status: 200 });
    expect(c.retrieve("cat")).toEqual({ status: 409, retrievedBy: "bob", busyWith: null });
    expect(c.retrieve("ann", { eligible: false, canConnect: false, busyWith: null })).toMatchObject({ status: 409 });
    c.later(config.leaseMs).alarm();
    expect(c.s.phase).toBe("parked");
    expect(c.s.lot?.returnsAt).toBe(returnsAt);
  });

  it("a retrieve by an agent whose phone cannot connect is refused, and the call stays in the lot", () => {
    const c = new Call();
    c.answer("ann");
    c.park("ann");
    expect(c.retrieve("bob", { eligible: false, canConnect: false, busyWith: null })).toMatchObject({ status: 403 });
    expect(c.s.phase).toBe("parked");
  });

  it("a retrieve that connects frees the slot", () => {
    const c = new Call();
    c.answer("ann");
    c.park("ann");
    const r = c.retrieve("bob");
    if (r.status !== 200) throw new Error("lost");
    c.connect("bob", r.ticket);
    c.conference("participant-join", "agent", "leg-bob");
    expect(c.s).toMatchObject({ phase: "connected", answeredBy: "bob", lot: null });
    // The release names its slot: applied late, after this call parked again, it frees nothing newer.
    expect(c.effects).toContainEqual({ type: "lotReleased", slot: 1 });
  });

  it("the park timeout rings the parker, then everyone, then takes a message", () => {
    const c = new Call();
    c.answer("ann");
    c.park("ann");
    c.later(config.parkTimeoutMs).run((t) => m.recall(t, { type: "recall", eligible: ["ann", "bob"], at: c.at }, config));
    expect(c.s).toMatchObject({ phase: "ringing", purpose: "recall", ringTargets: ["ann"] });
    c.later(config.waitMs).alarm();
    expect(c.s).toMatchObject({ phase: "ringing", purpose: "recall", ringTargets: null });
    const everyone = c.effects.filter((e) => e.type === "record" && e.event === "ring_start").at(-1);
    expect(everyone?.type === "record" && everyone.detail).toEqual({ agents: ["ann", "bob", "cat"], purpose: "recall" });
    c.later(config.waitMs).alarm();
    expect(c.s.phase).toBe("voicemail");
  });

  it("refused outright by Twilio, a park is undone: the caller is still with the agent", () => {
    const c = new Call();
    c.answer("ann");
    c.park("ann");
    c.twilio({ op: "lobby", gen: 2, attempt: 1 }, "refused");
    expect(c.s).toMatchObject({ phase: "connected", answeredBy: "ann", gen: 1, lot: null });
  });

  it("a park that timed out is sent again in a new generation, never undone", () => {
    const c = new Call();
    c.answer("ann");
    c.park("ann");
    c.twilio({ op: "lobby", gen: 2, attempt: 1 }, "transient");
    expect(c.s.phase).toBe("parked");
    expect(c.requests().at(-1)).toEqual({ op: "lobby", gen: 3, attempt: 2 });
    for (let attempt = 2; attempt < m.MAX_TWILIO_ATTEMPTS; attempt++) c.twilio({ op: "lobby", gen: c.s.gen, attempt }, "transient");
    const asked = c.requests().length;
    c.twilio({ op: "lobby", gen: c.s.gen, attempt: m.MAX_TWILIO_ATTEMPTS }, "transient");
    expect(c.requests()).toHaveLength(asked);
    expect(c.s.phase).toBe("parked");
  });

  it("a call Twilio says is gone (21220) ends and frees its slot, with no retry", () => {
    const c = new Call();
    c.answer("ann");
    c.park("ann");
    c.twilio({ op: "lobby", gen: 2, attempt: 1 }, "gone");
    expect(c.s.phase).toBe("ended");
    expect(c.requests()).toHaveLength(1);
    // An ended call frees whatever slot it holds: it never reserves one again.
    expect(c.effects).toContainEqual({ type: "lotReleased", slot: null });
  });
});

describe("transfers", () => {
  it("ring only their target; a decline sends the caller to the lot", () => {
    const c = new Call();
    c.answer("ann");
    expect(c.transfer("ann", "bob")).toEqual({ status: 200, why: null });
    expect(c.s).toMatchObject({ phase: "ringing", purpose: "transfer", ringTargets: ["bob"], transfer: { from: "ann", to: "bob" } });
    expect(c.claim("cat")).toMatchObject({ status: 403 });
    c.decline("bob");
    expect(c.s.phase).toBe("parked");
    expect(c.published()).toContain("call.transfer_failed");
  });

  it("refuse a transfer to oneself or to an agent who cannot take a call", () => {
    const c = new Call();
    c.answer("ann");
    expect(c.transfer("ann", "ann")).toMatchObject({ status: 409 });
    expect(c.transfer("ann", "bob", false)).toMatchObject({ status: 409 });
    expect(c.s.phase).toBe("connected");
  });

  it("an unanswered transfer goes to the lot when its wait is over", () => {
    const c = new Call();
    c.answer("ann");
    c.transfer("ann", "bob");
    c.later(config.waitMs).alarm();
    expect(c.s).toMatchObject({ phase: "parked", lot: { slot: 11, parkedBy: "ann" } });
  });
});

describe("when callbacks stop", () => {
  it("a connected call whose caller Twilio says has ended is ended and its agent freed", () => {
    const c = new Call();
    c.answer("ann");
    expect(m.reconcileDue(c.s, c.at + config.reconcileMs, config)).toBe(true);
    c.later(config.reconcileMs).run((t) => m.reconciled(t, { type: "reconciled", caller: "completed", agentLeg: null, at: c.at }, config));
    expect(c.s.outcome).toBe("answered");
    expect(c.freed()).toEqual(["ann"]);
  });

  it("a connected call whose agent leg Twilio says has ended rings everyone again", () => {
    const c = new Call();
    c.answer("ann");
    c.later(config.reconcileMs).run((t) => m.reconciled(t, { type: "reconciled", caller: "in-progress", agentLeg: "completed", at: c.at }, config));
    expect(c.s.purpose).toBe("reconnect");
  });

  it("every phase but ended wakes the call session to reconcile", () => {
    const c = new Call();
    c.answer("ann");
    expect(m.nextAlarm(c.s, config)).toBe(c.s.heardAt + config.reconcileMs);
    c.park("ann");
    expect(m.nextAlarm(c.s, config)).toBe(Math.min(c.s.heardAt + config.reconcileMs, c.s.lot?.returnsAt ?? Infinity));
  });
});

describe("the lobby's own end", () => {
  it("a stale lobby's action gets what the caller runs now; a current one under a caller still there takes a message", () => {
    const c = new Call();
    c.answer("ann");
    c.park("ann");
    expect(c.run((t) => m.lobbyEnded(t, { type: "lobbyEnded", gen: 1, callerGone: false, at: c.at }))).toEqual({ run: "lobby", gen: 2 });
    expect(c.s.phase).toBe("parked");
    expect(c.run((t) => m.lobbyEnded(t, { type: "lobbyEnded", gen: 2, callerGone: false, at: c.at }))).toEqual({ run: "voicemail", gen: 3 });
  });
});

/** An outbound call placed by `agentId`, stepped like Call (whose constructor starts an inbound one). */
function dialled(agentId = "ann", agent: AgentFacts = FREE, record = false) {
  const c = new Call();
  c.state = null;
  c.effects = [];
  const step = m.dial(null, { type: "dial", agentId, agent, from: "+15550100000", to: "+15551230009", origin: "https://x.test", ticket: "dial-ticket", record, at: c.at }, config, SID);
  c.state = step.state;
  c.effects.push(...step.effects);
  return { c, reply: step.reply };
}

describe("outbound calls", () => {
  it("the agent who places a call holds it while Twilio rings the callee: nobody can claim it and they are busy", () => {
    const { c, reply } = dialled();
    expect(reply).toEqual({ status: 200, ticket: "dial-ticket" });
    expect(c.s.phase).toBe("dialing");
    expect(c.effects).toContainEqual({ type: "agentBusy", agentId: "ann" });
    expect(c.claim("bob")).toMatchObject({ status: 409, claimedBy: "ann" });
    expect(c.claim("ann")).toMatchObject({ status: 409 });
    expect(c.s.phase).toBe("dialing");
    // The ticket is no good before the callee answers.
    expect(c.connect("ann", "dial-ticket")).toEqual({ joined: false, why: "the callee has not answered yet" });
    expect(m.view(c.s)).toMatchObject({ direction: "outbound", dialedBy: "ann", purpose: "outbound" });
  });

  it("is refused to an agent on another call or whose phone cannot connect", () => {
    expect(dialled("ann", { eligible: false, canConnect: true, busyWith: "CAother" }).reply).toMatchObject({ status: 409, busyWith: "CAother" });
    expect(dialled("ann", { eligible: false, canConnect: false, busyWith: null }).reply).toMatchObject({ status: 403 });
    // Away is fine: an agent calls a customer back whether or not they take inbound calls.
    expect(dialled("ann", { eligible: false, canConnect: true, busyWith: null }).reply).toMatchObject({ status: 200 });
  });

  it("once the callee answers, they wait in the lobby and the agent connects with the ticket they already hold", () => {
    const { c } = dialled();
    expect(c.run((t) => m.calleeAnswered(t, { type: "calleeAnswered", at: c.at }, config))).toEqual({ run: "lobby", gen: 1 });
    expect(c.s.phase).toBe("claimed");
    expect(c.s.claim?.expiresAt).toBe(c.at + config.leaseMs);
    // Twilio repeating its request gets the same answer and changes nothing.
    const before = c.s;
    expect(c.run((t) => m.calleeAnswered(t, { type: "calleeAnswered", at: c.at }, config))).toEqual({ run: "lobby", gen: 1 });
    expect(c.s).toBe(before);
    expect(c.connect("bob", "dial-ticket")).toMatchObject({ joined: false });
    expect(c.connect("ann", "dial-ticket")).toEqual({ joined: true, gen: 1 });
    c.conference("participant-join", "agent", "leg-ann");
    expect(c.s.phase).toBe("connected");
    expect(c.s.answeredBy).toBe("ann");
    // From here it is any call: it can be parked.
    expect(c.park("ann")).toMatchObject({ status: 200 });
  });

  it("a callee who does not answer, declines or cannot be reached ends the call unanswered, freeing the agent without wrap-up", () => {
    for (const status of ["no-answer", "busy", "failed"]) {
      const { c } = dialled();
      c.run((t) => m.callerGoneInput(t, { type: "callerGone", source: "call_status", status, at: c.at }));
      expect(c.s.phase).toBe("ended");
      expect(c.s.outcome).toBe("unanswered");
      expect(m.view(c.s).dialResult).toBe(status);
      expect(c.effects).toContainEqual({ type: "agentFree", agentId: "ann", at: c.at, callEnded: false });
      expect(c.records()).toContain("dial_unanswered:ann");
    }
  });

  it("the agent can cancel while it rings; a colleague cannot", () => {
    const { c } = dialled();
    expect(c.run((t) => m.hangup(t, { type: "hangup", agentId: "bob", at: c.at }))).toMatchObject({ status: 403 });
    expect(c.run((t) => m.hangup(t, { type: "hangup", agentId: "ann", at: c.at }))).toEqual({ status: 200, why: null });
    expect(c.s.outcome).toBe("unanswered");
    expect(c.s.dialResult).toBe("canceled");
    expect(c.requests()).toContainEqual({ op: "hangup", attempt: 1 });
    // A callee answering just after is hung up on.
    expect(c.run((t) => m.calleeAnswered(t, { type: "calleeAnswered", at: c.at }, config))).toEqual({ run: "hangup" });
  });

  it("a callee left waiting by an agent whose phone never joined rings everyone instead of being dropped", () => {
    const { c } = dialled();
    c.run((t) => m.calleeAnswered(t, { type: "calleeAnswered", at: c.at }, config));
    c.later(config.leaseMs).alarm();
    expect(c.s.phase).toBe("ringing");
    expect(c.s.purpose).toBe("reconnect");
    expect(c.s.ringTargets).toBeNull();
    expect(c.claim("bob")).toMatchObject({ status: 200 });
  });
});

describe("recorded calls", () => {
  it("asks Twilio once to record the caller's leg, at the first connection, and not again after park and retrieve", () => {
    const c = new Call(["ann", "bob", "cat"], 3, true);
    expect(m.view(c.s).recorded).toBe(true);
    expect(c.requests()).toEqual([]);
    c.answer("ann");
    expect(c.requests()).toEqual([{ op: "record", attempt: 1 }]);
    c.park("ann");
    const r = c.retrieve("bob");
    if (r.status !== 200) throw new Error("retrieve refused");
    c.connect("bob", r.ticket, "leg-bob");
    c.conference("participant-join", "agent", "leg-bob");
    expect(c.s.phase).toBe("connected");
    expect(c.requests().filter((q) => q.op === "record")).toHaveLength(1);
  });

  it("is not asked for when the setting was off as the call began", () => {
    const c = new Call();
    c.answer("ann");
    expect(c.requests().filter((q) => q.op === "record")).toEqual([]);
  });

  it("a transient failure is retried; a refusal is recorded and the call goes on", () => {
    const c = new Call(["ann"], 1, true);
    c.answer("ann");
    const result = (outcome: m.TwilioOutcome, attempt: number) =>
      c.run((t) => m.twilioResult(t, { type: "twilioResult", request: { op: "record", attempt }, outcome, error: "x", at: c.at }, config));
    result("transient", 1);
    expect(c.requests().at(-1)).toEqual({ op: "record", attempt: 2 });
    result("refused", 2);
    expect(c.records()).toContain("recording_failed:ann");
    expect(c.s.phase).toBe("connected");
    result("ok", 1);
    expect(c.records()).toContain("recording_started:ann");
  });
});
