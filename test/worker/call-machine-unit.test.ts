// The call's rules on their own: no runtime, explicit times.
import { describe, expect, it } from "vitest";
import { type CallState, type Effect, type Input, nextAlarm, transition, view } from "../../worker/call/machine";

const SID = "CA" + "a".repeat(32);
const config = { leaseMs: 10_000, ringGiveUpMs: 50_000, parkTimeoutMs: 180_000 };
const T0 = 1_700_000_000_000;

function run(inputs: Input[], initial: CallState | null = null) {
  let state = initial;
  const effects: Effect[] = [];
  const replies = [];
  for (const input of inputs) {
    const step = transition(state, input, config, SID);
    state = step.state;
    effects.push(...step.effects);
    replies.push(step.reply);
  }
  return { state: state!, effects, replies };
}

const start = (ringGroup = ["a", "b", "c"]): Input => ({ type: "start", from: "+15550001111", to: "+15550002222", ringGroup, origin: "https://calls.example.test", at: T0 });
const claim = (agentId: string, at = T0 + 1000): Input => ({ type: "claim", agentId, at });
const events = (effects: Effect[]) => effects.flatMap((e) => (e.type === "record" ? [`${e.event}${e.agentId ? ":" + e.agentId : ""}`] : []));
const messages = (effects: Effect[]) => effects.flatMap((e) => (e.type === "publish" ? [e.message.type] : []));

describe("starting a call", () => {
  it("rings every agent of the ring group and records a ring_start for each", () => {
    const { state, effects, replies } = run([start()]);
    expect(state.phase).toBe("ringing");
    expect(view(state).ringing).toEqual(["a", "b", "c"]);
    expect(events(effects)).toEqual(["ring_start:a", "ring_start:b", "ring_start:c"]);
    expect(messages(effects)).toEqual(["call.ringing"]);
    expect(replies[0]).toEqual({ kind: "started", ringGroup: ["a", "b", "c"], phase: "ringing", fresh: true });
  });

  it("goes straight to voicemail when nobody can be rung", () => {
    const { state, effects } = run([start([])]);
    expect(state.phase).toBe("voicemail");
    expect(events(effects)).toEqual(["voicemail"]);
  });

  it("answers a retried webhook with the same ring group and no new effects", () => {
    const first = run([start()]);
    const again = transition(first.state, { ...start(["x"]), at: T0 + 5 }, config, SID);
    expect(again.reply).toEqual({ kind: "started", ringGroup: ["a", "b", "c"], phase: "ringing", fresh: false });
    expect(again.effects).toEqual([]);
  });
});

describe("claims", () => {
  it("hands back the very same state for a refusal, so nothing is written for it", () => {
    const won = run([start(), claim("b")]).state;
    const lost = transition(won, claim("a"), config, SID);
    expect(lost.reply).toEqual({ kind: "claim", status: 409, claimedBy: "b" });
    expect(lost.state).toBe(won);
    expect(transition(won, claim("c", T0 + 2000), config, SID).state).toBe(won);
    // A winner is a new object, and the old one is untouched.
    const fresh = run([start()]).state;
    const step = transition(fresh, claim("a"), config, SID);
    expect(step.state).not.toBe(fresh);
    expect(fresh.phase).toBe("ringing");
  });

  it("gives the call to the first claimer and 409 to the others, naming the winner", () => {
    const { state, replies, effects } = run([start(), claim("b"), claim("a"), claim("c"), claim("b")]);
    expect(replies.slice(1)).toEqual([
      { kind: "claim", status: 200, claimedBy: "b" },
      { kind: "claim", status: 409, claimedBy: "b" },
      { kind: "claim", status: 409, claimedBy: "b" },
      { kind: "claim", status: 200, claimedBy: "b" },
    ]);
    expect(state.phase).toBe("claimed");
    expect(view(state).claimedBy).toBe("b");
    expect(events(effects).filter((e) => e.startsWith("answered"))).toEqual(["answered:b"]);
    expect(effects).toContainEqual({ type: "agentBusy", agentId: "b" });
  });

  it("refuses an agent who was never rung (nobody can steal a call)", () => {
    const { replies, state } = run([start(), claim("mallory")]);
    expect(replies[1]).toEqual({ kind: "claim", status: 403, claimedBy: null });
    expect(state.phase).toBe("ringing");
  });

  it("refuses an agent who declined", () => {
    const { replies } = run([start(), { type: "decline", agentId: "a", at: T0 + 500 }, claim("a")]);
    expect(replies[2]).toMatchObject({ status: 403 });
  });

  it("releases a claim whose lease ran out and lets another agent win", () => {
    const { state, replies, effects } = run([start(), claim("a", T0 + 1000), claim("b", T0 + 1000 + config.leaseMs)]);
    expect(replies[2]).toEqual({ kind: "claim", status: 200, claimedBy: "b" });
    expect(events(effects)).toContain("claim_released:a");
    expect(effects).toContainEqual({ type: "agentFree", agentId: "a", at: T0 + 11_000, callEnded: false });
    expect(view(state).claimedBy).toBe("b");
  });

  it("releases an expired lease from the alarm and rings the others again", () => {
    const { state, effects } = run([start(), claim("a"), { type: "alarm", at: T0 + 1000 + config.leaseMs }]);
    expect(state.phase).toBe("ringing");
    expect(view(state).ringing).toEqual(["a", "b", "c"]);
    expect(messages(effects)).toContain("call.claim_released");
  });

  it("keeps the claim when the alarm fires early", () => {
    const { state } = run([start(), claim("a"), { type: "alarm", at: T0 + 2000 }]);
    expect(state.phase).toBe("claimed");
  });

  it("wakes up for the lease, then for the ring give-up", () => {
    const claimed = run([start(), claim("a")]).state;
    expect(nextAlarm(claimed)).toBe(T0 + 1000 + config.leaseMs);
    const ringing = run([start()]).state;
    expect(nextAlarm(ringing)).toBe(T0 + config.ringGiveUpMs);
  });
});

describe("Twilio's leg callbacks", () => {
  const leg = (agentId: string, status: string, sequence: number, legSid = "CL" + agentId): Input =>
    ({ type: "leg", agentId, legSid, status, sequence, dial: 1, at: T0 + 2000 + sequence }) as Input;

  it("connects the claimer when its leg is answered and cancels the others' rings", () => {
    const { state, effects } = run([start(), claim("a"), leg("a", "in-progress", 2)]);
    expect(state.phase).toBe("connected");
    expect(state.answeredBy).toBe("a");
    expect(events(effects)).toEqual(expect.arrayContaining(["connected:a", "ring_cancel:b", "ring_cancel:c"]));
    expect(effects).toContainEqual(expect.objectContaining({ type: "claimEnded", agentId: "a", outcome: "connected" }));
  });

  it("believes Twilio when another agent's leg is answered than the claimer's", () => {
    const { state, effects } = run([start(), claim("a"), leg("b", "in-progress", 2)]);
    expect(state.answeredBy).toBe("b");
    expect(effects).toContainEqual(expect.objectContaining({ type: "claimEnded", agentId: "a", outcome: "overridden" }));
    expect(effects).toContainEqual({ type: "agentBusy", agentId: "b" });
  });

  it("ignores a callback overtaken by a later one of the same leg", () => {
    const { state } = run([start(), claim("a"), leg("a", "in-progress", 3), leg("a", "ringing", 1)]);
    expect(state.phase).toBe("connected");
  });

  it("releases the claim at once when the claimer's leg fails", () => {
    const { state, effects } = run([start(), claim("a"), leg("a", "failed", 2)]);
    expect(state.phase).toBe("ringing");
    expect(view(state).ringing).toEqual(["b", "c"]);
    expect(effects).toContainEqual(expect.objectContaining({ type: "claimEnded", agentId: "a", outcome: "leg_failed" }));
  });
});

describe("the dial's end", () => {
  const dial = (status: string, at = T0 + 40_000): Input => ({ type: "dialEnded", status, callerGone: false, dial: 1, at }) as Input;

  for (const status of ["busy", "no-answer", "failed", "canceled"]) {
    it(`takes a voicemail on ${status}`, () => {
      const { state, replies, effects } = run([start(), dial(status)]);
      expect(replies[1]).toEqual({ kind: "dial", next: "voicemail" });
      expect(state.phase).toBe("voicemail");
      expect(events(effects)).toEqual(expect.arrayContaining(["no_answer", "voicemail", "ring_cancel:a"]));
    });
  }

  for (const status of ["completed", "answered"]) {
    it(`ends a bridged call on ${status} and frees the agent`, () => {
      const { state, replies, effects } = run([
        start(),
        claim("a"),
        { type: "leg", agentId: "a", legSid: "CLa", status: "in-progress", sequence: 1, dial: 1, at: T0 + 2000 },
        dial(status),
      ]);
      expect(replies[3]).toEqual({ kind: "dial", next: "hangup" });
      expect(state).toMatchObject({ phase: "ended", outcome: "answered", answeredBy: "a" });
      expect(effects).toContainEqual({ type: "agentFree", agentId: "a", at: T0 + 40_000, callEnded: true });
    });
  }

  it("hangs up instead of taking a voicemail when the caller is gone", () => {
    const { replies, state } = run([start(), { type: "callerStatus", status: "completed", at: T0 + 3000 }, dial("canceled")]);
    expect(replies[2]).toEqual({ kind: "dial", next: "hangup" });
    expect(state.outcome).toBe("missed");
  });

  it("hangs up when the action's own CallStatus says the caller left, before the status callback", () => {
    const { replies, state, effects } = run([start(), { type: "dialEnded", status: "canceled", callerGone: true, dial: 1, at: T0 + 3000 }]);
    expect(replies[1]).toEqual({ kind: "dial", next: "hangup" });
    expect(state).toMatchObject({ phase: "ended", outcome: "missed" });
    expect(events(effects)).toContain("caller_hangup");
  });

  it("gives the same answer to a repeated dial action", () => {
    const { replies, effects } = run([start(), dial("no-answer"), dial("no-answer")]);
    expect(replies[2]).toEqual({ kind: "dial", next: "voicemail" });
    expect(events(effects).filter((e) => e === "voicemail")).toHaveLength(1);
  });

  it("after a ring give-up, still takes the voicemail of a late dial action", () => {
    const { replies, state } = run([start(), { type: "alarm", at: T0 + config.ringGiveUpMs }, dial("no-answer", T0 + 60_000)]);
    expect(replies[2]).toEqual({ kind: "dial", next: "voicemail" });
    expect(state.phase).toBe("voicemail");
  });
});

describe("the caller hanging up", () => {
  it("while ringing cancels every ring and logs a missed call", () => {
    const { state, effects } = run([start(), { type: "decline", agentId: "c", at: T0 + 100 }, { type: "callerStatus", status: "completed", at: T0 + 3000 }]);
    expect(state).toMatchObject({ phase: "ended", outcome: "missed", callerGone: true });
    expect(events(effects)).toEqual(expect.arrayContaining(["caller_hangup", "ring_cancel:a", "ring_cancel:b"]));
    expect(events(effects)).not.toContain("ring_cancel:c");
  });

  it("while claimed frees the claimer", () => {
    const { effects } = run([start(), claim("a"), { type: "callerStatus", status: "completed", at: T0 + 3000 }]);
    expect(effects).toContainEqual(expect.objectContaining({ type: "claimEnded", agentId: "a", outcome: "caller_gone" }));
  });

  it("after a voicemail keeps the voicemail outcome, in either order", () => {
    const rec = { type: "voicemailRecorded", recording: { recordingSid: "RE1", recordingUrl: "https://x/RE1", durationSeconds: 7 }, at: T0 + 60_000 } as const;
    const hang = { type: "callerStatus", status: "completed", at: T0 + 61_000 } as const;
    expect(run([start([]), rec, hang]).state.outcome).toBe("voicemail");
    expect(run([start([]), hang, rec]).state.outcome).toBe("voicemail");
  });

  it("is recorded once even when Twilio repeats it", () => {
    const hang: Input = { type: "callerStatus", status: "completed", at: T0 + 3000 };
    const { effects } = run([start(), hang, hang]);
    expect(events(effects).filter((e) => e === "caller_hangup")).toHaveLength(1);
  });
});

describe("declines", () => {
  it("stop only that agent's ring", () => {
    const { state, replies } = run([start(), { type: "decline", agentId: "a", at: T0 + 100 }]);
    expect(replies[1]).toEqual({ kind: "decline", status: 200 });
    expect(view(state).ringing).toEqual(["b", "c"]);
    expect(view(state).declined).toEqual(["a"]);
  });

  it("by the claimer releases the claim for the others", () => {
    const { state } = run([start(), claim("a"), { type: "decline", agentId: "a", at: T0 + 2000 }]);
    expect(state.phase).toBe("ringing");
    expect(view(state).ringing).toEqual(["b", "c"]);
  });
});

it("numbers every recorded event in order, without gaps", () => {
  const { effects } = run([start(), claim("a"), { type: "decline", agentId: "b", at: T0 + 1500 }, { type: "alarm", at: T0 + 20_000 }, claim("c", T0 + 21_000)]);
  const seqs = effects.flatMap((e) => (e.type === "record" ? [e.seq] : []));
  expect(seqs).toEqual(seqs.map((_, i) => i + 1));
});

describe("parking, retrieval and transfers", () => {
  const leg = (agentId: string, status: string, sequence: number, dial: number, legSid = `CL${agentId}${dial}`): Input =>
    ({ type: "leg", agentId, legSid, status, sequence, dial, at: T0 + 3000 + sequence }) as Input;
  const connected = (agentId = "a") => [start(), claim(agentId), leg(agentId, "in-progress", 2, 1)];
  const park = (agentId = "a", slot = 1, at = T0 + 10_000): Input => ({ type: "park", agentId, slot, at });
  const redirects = (effects: Effect[]) => effects.flatMap((e) => (e.type === "redirect" ? [e] : []));

  it("parks only for the agent on the call, frees them, holds the slot and redirects the caller to hold music", () => {
    const { state, effects, replies } = run([...connected(), park("b"), park("a")]);
    expect(replies[3]).toEqual({ kind: "park", status: 403, lot: null });
    expect(replies[4]).toEqual({ kind: "park", status: 200, lot: { slot: 1, parkedBy: "a", parkedAt: T0 + 10_000, returnsAt: T0 + 190_000 } });
    expect(state).toMatchObject({ phase: "parked", dial: 2, answeredLeg: null });
    expect(effects).toContainEqual({ type: "agentFree", agentId: "a", at: T0 + 10_000, callEnded: true });
    expect(redirects(effects)).toEqual([{ type: "redirect", dial: 2, target: { to: "hold" } }]);
    expect(nextAlarm(state)).toBe(T0 + 190_000);
    expect(messages(effects).at(-1)).toBe("call.parked");
  });

  it("ignores the callbacks of the <Dial> it left: the parked agent's leg and the old dial action", () => {
    const parked = run([...connected(), park()]).state;
    const after = run([leg("a", "completed", 3, 1, "CLa1"), { type: "dialEnded", status: "completed", callerGone: false, dial: 1, at: T0 + 11_000 }], parked);
    expect(after.state.phase).toBe("parked");
    expect(after.replies).toEqual([{ kind: "ok" }, { kind: "dial", next: "hold" }]);
    expect(after.effects).toEqual([]);
  });

  it("gives a parked call to the first retriever only, as a claim the retriever's console answers by itself", () => {
    const parked = run([...connected(), park()]).state;
    const { state, replies, effects } = run(
      [
        { type: "retrieve", agentId: "b", at: T0 + 20_000 },
        { type: "retrieve", agentId: "c", at: T0 + 20_000 },
      ],
      parked,
    );
    expect(replies).toEqual([
      { kind: "retrieve", status: 200, retrievedBy: "b" },
      { kind: "retrieve", status: 409, retrievedBy: "b" },
    ]);
    expect(state).toMatchObject({ phase: "claimed", purpose: "retrieve", ringGroup: ["b"], dial: 3 });
    expect(redirects(effects)).toEqual([{ type: "redirect", dial: 3, target: { to: "dial", agents: ["b"], purpose: "retrieve", transferFrom: null } }]);
    const done = run([leg("b", "in-progress", 2, 3)], state);
    expect(done.state).toMatchObject({ phase: "connected", answeredBy: "b", lot: null });
    expect(done.effects).toContainEqual({ type: "lotReleased" });
  });

  it("puts a failed retrieve back in its slot with its timer, and a declined transfer in a new park", () => {
    const parked = run([...connected(), park()]).state;
    const retrieving = run([{ type: "retrieve", agentId: "b", at: T0 + 20_000 }], parked).state;
    const back = run([{ type: "dialEnded", status: "no-answer", callerGone: false, dial: 3, at: T0 + 60_000 }], retrieving);
    expect(back.replies[0]).toEqual({ kind: "dial", next: "hold" });
    expect(back.state).toMatchObject({ phase: "parked", lot: { slot: 1, parkedAt: T0 + 10_000, returnsAt: T0 + 190_000 } });
    expect(back.effects).toContainEqual(expect.objectContaining({ type: "agentFree", agentId: "b" }));

    const transferring = run([...connected(), { type: "transfer", agentId: "a", to: "b", slot: 2, at: T0 + 10_000 }]);
    expect(transferring.state).toMatchObject({ phase: "ringing", purpose: "transfer", transfer: { from: "a", to: "b" }, lot: { slot: 2, parkedAt: null } });
    // The target declines: the call goes back to the lot at once, without waiting for Twilio's dial action.
    const declined = run([{ type: "decline", agentId: "b", at: T0 + 12_000 }], transferring.state);
    expect(declined.state).toMatchObject({ phase: "parked", lot: { slot: 2, parkedBy: "a", parkedAt: T0 + 12_000, returnsAt: T0 + 192_000 } });
    expect(messages(declined.effects)).toContain("call.transfer_failed");
    expect(redirects(declined.effects)).toEqual([{ type: "redirect", dial: 3, target: { to: "hold" } }]);
  });

  it("recalls to the parker if available, else to everyone, else to voicemail", () => {
    const parked = run([...connected(), park()]).state;
    const due = T0 + 190_000;
    expect(run([{ type: "recall", available: ["c", "a", "b"], at: due - 1 }], parked).state.phase).toBe("parked");
    expect(run([{ type: "recall", available: ["c", "a", "b"], at: due }], parked).state).toMatchObject({ phase: "ringing", purpose: "recall", ringGroup: ["a"] });
    expect(run([{ type: "recall", available: ["c", "b"], at: due }], parked).state).toMatchObject({ phase: "ringing", ringGroup: ["c", "b"] });
    const nobody = run([{ type: "recall", available: [], at: due }], parked);
    expect(nobody.state).toMatchObject({ phase: "voicemail", lot: null });
    expect(redirects(nobody.effects)).toEqual([{ type: "redirect", dial: 3, target: { to: "voicemail" } }]);
    // A recall nobody answers goes to voicemail through the dial action.
    const ringing = run([{ type: "recall", available: ["a"], at: due }], parked).state;
    expect(run([{ type: "dialEnded", status: "no-answer", callerGone: false, dial: 3, at: due + 40_000 }], ringing).replies[0]).toEqual({ kind: "dial", next: "voicemail" });
  });

  it("undoes a park Twilio refused: the agent has the call again and the slot is released", () => {
    const parked = run([...connected(), park()]).state;
    const { state, effects } = run([{ type: "redirectFailed", dial: 2, error: "21220", at: T0 + 10_100 }], parked);
    expect(state).toMatchObject({ phase: "connected", answeredBy: "a", answeredLeg: "CLa1", dial: 1, lot: null });
    expect(effects).toEqual(expect.arrayContaining([{ type: "agentBusy", agentId: "a" }, { type: "lotReleased" }]));
    // A stale refusal (another step since) changes nothing.
    expect(run([{ type: "redirectFailed", dial: 1, error: "x", at: T0 + 10_100 }], parked).effects).toEqual([]);
  });

  it("logs a parked caller who hangs up as abandoned, and a ring that never ends puts the caller back in the lot", () => {
    const parked = run([...connected(), park()]).state;
    const gone = run([{ type: "callerStatus", status: "completed", at: T0 + 30_000 }], parked);
    expect(gone.state).toMatchObject({ phase: "ended", outcome: "abandoned", lot: null });
    expect(events(gone.effects)).toContain("caller_hangup");
    const retrieving = run([{ type: "retrieve", agentId: "b", at: T0 + 20_000 }], parked).state;
    const stuck = run([{ type: "alarm", at: T0 + 20_000 + 50_000 }], retrieving);
    expect(stuck.state.phase).toBe("parked");
    expect(redirects(stuck.effects)).toEqual([{ type: "redirect", dial: 4, target: { to: "hold" } }]);
  });

  it("refuses to claim, decline or park a parked call", () => {
    const parked = run([...connected(), park()]).state;
    const { replies } = run([claim("b", T0 + 11_000), { type: "decline", agentId: "b", at: T0 + 11_000 }, park("a", 2, T0 + 11_000)], parked);
    expect(replies).toEqual([
      { kind: "claim", status: 409, claimedBy: null },
      { kind: "decline", status: 409 },
      { kind: "park", status: 403, lot: null },
    ]);
  });
});
