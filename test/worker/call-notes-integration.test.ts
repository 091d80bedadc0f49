// Notes and outcomes (issue 13, item 4): the agent who answered a call writes its note and picks an
// outcome from the admin's list; every console is told (call.noted) and the history carries it.
import { describe, expect, it } from "vitest";
import { DEFAULT_CALL_OUTCOMES, type ApiError, type CallNote, type CallOutcomesBody } from "../../worker/protocol";
import { api, Console, createAgents, newCallSid, type TestAgent } from "./helpers";
import { answer, call, type Desk, hangup, seen, staff } from "./desks";

const putNote = (sid: string, a: TestAgent, body: unknown) => api(`/api/calls/${sid}/note`, a.cookie, { method: "PUT", body: JSON.stringify(body) });
const putOutcomes = (a: TestAgent, body: unknown) => api("/api/settings/call-outcomes", a.cookie, { method: "PUT", body: JSON.stringify(body) });
const getOutcomes = async (a: TestAgent) => {
  const res = await api("/api/settings/call-outcomes", a.cookie);
  expect(res.status).toBe(200);
  return ((await res.json()) as CallOutcomesBody).outcomes;
};

/** The next call.noted about this call on a desk's console. */
function noted(d: Desk, sid: string) {
  return d.console.take<"call.noted">((m) => m.type === "call.noted" && m.callSid === sid);
}

async function errorOf(res: Response): Promise<string> {
  return ((await res.json()) as ApiError).error;
}

describe("a call's note and outcome", () => {
  it("the answering agent saves a note during and after the call; every console is told, and a new snapshot's history carries it", async () => {
    const [alice, bob] = await staff(2);
    const sid = await call();
    await answer(alice, sid);

    // During the call.
    const during = await putNote(sid, alice.agent, { note: "Asks about the invoice", outcome: "Follow-up" });
    expect(during.status, await during.clone().text()).toBe(200);
    const saved = ((await during.json()) as { note: CallNote }).note;
    expect(saved).toMatchObject({ text: "Asks about the invoice", outcome: "Follow-up", authorId: alice.agent.id });
    const live = await noted(bob, sid);
    expect(live.note).toEqual(saved);

    // After it: the call is in the history (D1), and its note still belongs to Alice.
    expect((await hangup(sid, alice)).status).toBe(200);
    await seen(bob, sid, "call.ended");
    const after = await putNote(sid, alice.agent, { note: "Invoice resent", outcome: "Resolved" });
    expect(after.status, await after.clone().text()).toBe(200);
    const edited = await noted(bob, sid);
    expect(edited.note).toMatchObject({ text: "Invoice resent", outcome: "Resolved", authorId: alice.agent.id });
    expect(edited.note.updatedAt).toBeGreaterThanOrEqual(saved.updatedAt);

    const fresh = await Console.open(bob.agent);
    const snapshot = fresh.messages.find((m) => m.type === "snapshot");
    if (snapshot?.type !== "snapshot") throw new Error("no snapshot");
    const item = snapshot.history.find((h) => h.callSid === sid);
    expect(item?.note).toEqual(edited.note);
    // A call without a note says so.
    expect(snapshot.history.filter((h) => h.callSid !== sid).every((h) => h.note === null)).toBe(true);
  });

  it("refuses another agent (403), an outcome not in the list and a long note (400), and an unknown call (404)", async () => {
    const [alice, bob] = await staff(2);
    const sid = await call();
    await answer(alice, sid);

    // Nobody wrote it yet: only the agent who answered may.
    const early = await putNote(sid, bob.agent, { note: "mine now", outcome: null });
    expect(early.status).toBe(403);
    expect(await errorOf(early)).toMatch(/answered/);

    const wrong = await putNote(sid, alice.agent, { note: "x", outcome: "Maybe" });
    expect(wrong.status).toBe(400);
    expect(await errorOf(wrong)).toMatch(/not one of the call outcomes/);
    expect((await putNote(sid, alice.agent, { note: "x".repeat(2001), outcome: null })).status).toBe(400);
    expect((await putNote(sid, alice.agent, { note: "x" })).status).toBe(400);

    expect((await putNote(sid, alice.agent, { note: "Wrong number", outcome: "Spam" })).status).toBe(200);
    expect((await hangup(sid, alice)).status).toBe(200);
    await seen(bob, sid, "call.ended");

    // Written: only its author may edit it, and nobody else's edit is broadcast.
    const late = await putNote(sid, bob.agent, { note: "overwritten", outcome: null });
    expect(late.status).toBe(403);
    expect(await errorOf(late)).toMatch(/wrote this note/);

    expect((await putNote(newCallSid(), alice.agent, { note: "who?", outcome: null })).status).toBe(404);
    expect((await putNote("CA123", alice.agent, { note: "who?", outcome: null })).status).toBe(400);

    const fresh = await Console.open(bob.agent);
    const snapshot = fresh.messages.find((m) => m.type === "snapshot");
    if (snapshot?.type !== "snapshot") throw new Error("no snapshot");
    expect(snapshot.history.find((h) => h.callSid === sid)?.note).toMatchObject({ text: "Wrong number", outcome: "Spam", authorId: alice.agent.id });
  });

  it("an admin edits the outcome list (an agent may read it, not edit it), and notes pick from the new list", async () => {
    const [admin] = await createAgents(1, { role: "admin" });
    const [alice] = await staff(1);
    expect(await getOutcomes(alice.agent)).toEqual([...DEFAULT_CALL_OUTCOMES]);

    expect((await putOutcomes(alice.agent, { outcomes: ["Sale"] })).status).toBe(403);
    for (const outcomes of [[], ["Sale", "sale"], [" "], ["x".repeat(41)], Array.from({ length: 21 }, (_, i) => `O${i}`), ["Sale", 3]]) {
      const res = await putOutcomes(admin, { outcomes });
      expect(res.status, JSON.stringify(outcomes)).toBe(400);
    }
    expect((await putOutcomes(admin, { outcomes: ["Sale"], extra: 1 })).status).toBe(400);
    // The refusal names the repeat (one policy with the away reasons, worker/db/settingLists.ts).
    const twice = await putOutcomes(admin, { outcomes: ["Sale", "Spam", "  sale "] });
    expect(((await twice.json()) as ApiError).details).toEqual(['outcomes.2: "sale" is listed twice (as "Sale")']);
    expect(await getOutcomes(alice.agent)).toEqual([...DEFAULT_CALL_OUTCOMES]);

    const res = await putOutcomes(admin, { outcomes: [" Sale ", "Resolved", "x".repeat(40)] });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as CallOutcomesBody).outcomes).toEqual(["Sale", "Resolved", "x".repeat(40)]);
    expect(await getOutcomes(alice.agent)).toEqual(["Sale", "Resolved", "x".repeat(40)]);

    const sid = await call();
    await answer(alice, sid);
    expect((await putNote(sid, alice.agent, { note: "", outcome: "Spam" })).status).toBe(400);
    expect((await putNote(sid, alice.agent, { note: "", outcome: "Sale" })).status).toBe(200);
    expect((await noted(alice, sid)).note.outcome).toBe("Sale");
    expect((await hangup(sid, alice)).status).toBe(200);

    // Back to the defaults, for whatever runs next in this workerd.
    expect((await putOutcomes(admin, { outcomes: [...DEFAULT_CALL_OUTCOMES] })).status).toBe(200);
  });
});
