// The voicemail inbox: a caller nobody takes leaves a message through the carrier simulator, then
// agents assign it, mark it handled with a note and reopen it through the real API, with real D1 and
// Durable Objects. Every change reaches every console as voicemail.updated; bad input changes nothing.
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { markCalledBack } from "../../worker/db/voicemails";
import { agents, voicemails } from "../../worker/db/schema";
import type { ServerMessage, VoicemailView } from "../../worker/protocol";
import { call } from "./desks";
import { api, Console, createAgents, db, newCallSid, type TestAgent } from "./helpers";

type List = { voicemails: VoicemailView[]; unhandled: number };

/** A caller nobody can take (no agent available) leaves a message; resolves with its id once saved. */
async function leaveVoicemail(from = "+15551230001"): Promise<string> {
  const sid = await call({ speed: 20, message: 1, from });
  let id: string | undefined;
  await expect
    .poll(async () => (id = (await db().select({ id: voicemails.id }).from(voicemails).where(eq(voicemails.callSid, sid)).get())?.id), { timeout: 20_000, interval: 100 })
    .toBeTruthy();
  return id!;
}

async function list(a: TestAgent, query = ""): Promise<List> {
  const res = await api(`/api/voicemails${query}`, a.cookie);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as List;
}

const row = (id: string) => db().select().from(voicemails).where(eq(voicemails.id, id)).get();
const assign = (a: TestAgent, id: string, agentId: string | null) => api(`/api/voicemails/${id}/assignee`, a.cookie, { method: "PUT", body: JSON.stringify({ agentId }) });
const handle = (a: TestAgent, id: string, body: unknown = {}) => api(`/api/voicemails/${id}/handled`, a.cookie, { method: "POST", body: JSON.stringify(body) });
const reopen = (a: TestAgent, id: string) => api(`/api/voicemails/${id}/reopen`, a.cookie, { method: "POST" });

const updated = (id: string, check: (v: VoicemailView) => boolean) => (m: ServerMessage) => m.type === "voicemail.updated" && m.voicemail.id === id && check(m.voicemail);

describe("the voicemail inbox", () => {
  it("a new voicemail is new and unassigned on every console, in the list and in the unhandled count", async () => {
    const [a] = await createAgents(1, { available: false });
    const before = (await list(a)).unhandled;
    const consoleA = await Console.open(a);
    const id = await leaveVoicemail("+15550001111");
    const created = await consoleA.next<"voicemail.created">((m) => m.type === "voicemail.created" && m.voicemail.id === id, 15_000);
    expect(created.voicemail).toMatchObject({ status: "new", assignedTo: null, handledBy: null, handledAt: null, handledNote: null, calledBackBy: null, calledBackAt: null });
    const after = await list(a);
    expect(after.unhandled).toBe(before + 1);
    expect(after.voicemails.find((v) => v.id === id)).toMatchObject({ status: "new", from: "+15550001111" });
    // A console opened now has it, and the count, in its snapshot.
    const fresh = await Console.open(a);
    const snap = fresh.messages.find((m) => m.type === "snapshot");
    if (snap?.type !== "snapshot") throw new Error("no snapshot");
    expect(snap.unhandledVoicemails).toBe(before + 1);
    expect(snap.voicemails.some((v) => v.id === id && v.status === "new")).toBe(true);
  });

  it("assigns to a colleague and back to nobody; the colleague's console is told, and 'mine' lists it", async () => {
    const [a, b] = await createAgents(2, { available: false });
    const id = await leaveVoicemail();
    const consoleB = await Console.open(b);
    const res = await assign(a, id, b.id);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { voicemail: VoicemailView }).voicemail.assignedTo).toBe(b.id);
    await consoleB.next(updated(id, (v) => v.assignedTo === b.id));
    expect((await list(b, "?assignedTo=me")).voicemails.map((v) => v.id)).toContain(id);
    expect((await list(a, "?assignedTo=me")).voicemails.map((v) => v.id)).not.toContain(id);
    expect((await list(a, `?assignedTo=${b.id}&status=new`)).voicemails.map((v) => v.id)).toContain(id);
    expect((await assign(a, id, null)).status).toBe(200);
    await consoleB.next(updated(id, (v) => v.assignedTo === null));
    expect((await row(id))?.assignedTo).toBeNull();
  });

  it("marks handled with a note: every console sees who and the note, the count drops; a second handling is 409 naming who, and reopening makes it new", async () => {
    const [a, b] = await createAgents(2, { available: false });
    await db().update(agents).set({ name: "Ann Archer" }).where(eq(agents.id, a.id));
    const id = await leaveVoicemail();
    const before = (await list(a)).unhandled;
    const consoleB = await Console.open(b);
    const res = await handle(a, id, { note: "  Called back, invoice resent  " });
    expect(res.status).toBe(200);
    const seen = await consoleB.next<"voicemail.updated">(updated(id, (v) => v.status === "handled"));
    expect(seen.voicemail).toMatchObject({ status: "handled", handledBy: a.id, handledNote: "Called back, invoice resent" });
    expect(seen.voicemail.handledAt).toBeGreaterThan(0);
    expect((await list(a)).unhandled).toBe(before - 1);
    expect((await list(a, "?status=handled")).voicemails.map((v) => v.id)).toContain(id);
    expect((await list(a, "?status=new")).voicemails.map((v) => v.id)).not.toContain(id);

    const handled = await row(id);
    const again = await handle(b, id, { note: "me too" });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: string }).error).toBe("already handled by Ann Archer");
    expect(await row(id)).toEqual(handled);

    expect((await reopen(b, id)).status).toBe(200);
    await consoleB.next(updated(id, (v) => v.status === "new"));
    expect(await row(id)).toMatchObject({ status: "new", handledBy: null, handledAt: null, handledNote: null });
    expect((await list(a)).unhandled).toBe(before);
    // Reopening a new voicemail answers it as it is.
    const twice = await reopen(b, id);
    expect(twice.status).toBe(200);
    expect(((await twice.json()) as { voicemail: VoicemailView }).voicemail.status).toBe("new");
    // Handled without a note.
    expect((await handle(b, id)).status).toBe(200);
    expect(await row(id)).toMatchObject({ status: "handled", handledBy: b.id, handledNote: null });
  });

  it("refuses bad input with a clear 4xx and changes nothing", async () => {
    const [a, b, gone] = await createAgents(3, { available: false });
    await db().update(agents).set({ disabled: true }).where(eq(agents.id, gone.id));
    const id = await leaveVoicemail();
    const before = await row(id);
    const unknown = "RE" + "9".repeat(32);
    const cases: [Promise<Response>, number, RegExp][] = [
      [assign(a, id, "nobody_here"), 400, /no such active agent/],
      [assign(a, id, gone.id), 400, /no such active agent/],
      [assign(a, id, ""), 400, /invalid request body/],
      [api(`/api/voicemails/${id}/assignee`, a.cookie, { method: "PUT", body: JSON.stringify({}) }), 400, /invalid request body/],
      [api(`/api/voicemails/${id}/assignee`, a.cookie, { method: "PUT", body: JSON.stringify({ agentId: b.id, status: "handled" }) }), 400, /invalid request body/],
      [api(`/api/voicemails/${id}/assignee`, a.cookie, { method: "PUT", body: `agentId=${b.id}`, headers: { "Content-Type": "application/x-www-form-urlencoded" } }), 415, /JSON/],
      [assign(a, unknown, b.id), 404, /no such voicemail/],
      [handle(a, id, { note: "x".repeat(1001) }), 400, /invalid request body/],
      [handle(a, id, { note: 42 }), 400, /invalid request body/],
      [handle(a, id, { note: "ok", handledBy: b.id }), 400, /invalid request body/],
      [api(`/api/voicemails/${id}/handled`, a.cookie, { method: "POST", body: "{}", headers: { "Content-Type": "text/plain" } }), 415, /JSON/],
      [handle(a, unknown, { note: "ok" }), 404, /no such voicemail/],
      [api(`/api/voicemails/${id}/reopen`, a.cookie, { method: "POST", body: JSON.stringify({ agentId: b.id }) }), 400, /no body/],
      [reopen(a, unknown), 404, /no such voicemail/],
      [api(`/api/voicemails/${id}/handled`, null, { method: "POST", body: "{}" }), 401, /sign in/],
      [api(`/api/voicemails/${id}/handled`, a.cookie, { method: "POST", body: "{}", headers: { "Content-Type": "application/json", Origin: "https://evil.example" } }), 403, /evil\.example/],
      [api(`/api/voicemails/${id}/assignee`, a.cookie, { method: "PUT", body: JSON.stringify({ agentId: b.id }), headers: { "Sec-Fetch-Site": "cross-site" } }), 403, /./],
      [api("/api/voicemails?status=open", a.cookie), 400, /invalid query/],
      [api("/api/voicemails?limit=0", a.cookie), 400, /invalid query/],
      [api("/api/voicemails?assignedTo=%27%3B", a.cookie), 400, /invalid query/],
    ];
    for (const [pending, status, error] of cases) {
      const res = await pending;
      const text = await res.text();
      expect(res.status, text).toBe(status);
      expect((JSON.parse(text) as { error: string }).error).toMatch(error);
    }
    expect(await row(id)).toEqual(before);
  });

  it("markCalledBack records who called back, when and the call, and leaves the status; undefined for no such voicemail", async () => {
    const [a] = await createAgents(1, { available: false });
    const id = await leaveVoicemail();
    const callSid = newCallSid();
    const view = await markCalledBack(db(), id, { agentId: a.id, callSid, at: 1_700_000_000_000 });
    expect(view).toMatchObject({ id, status: "new", calledBackBy: a.id, calledBackAt: 1_700_000_000_000 });
    expect(await row(id)).toMatchObject({ calledBackBy: a.id, calledBackAt: 1_700_000_000_000, callbackCallSid: callSid, status: "new" });
    expect(await markCalledBack(db(), "RE" + "8".repeat(32), { agentId: a.id, callSid, at: 1 })).toBeUndefined();
  });
});
