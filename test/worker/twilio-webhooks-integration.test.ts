// The Twilio-facing routes, driven by requests signed exactly as Twilio signs them.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { sign } from "../../worker/twilio/signature";
import { eq } from "drizzle-orm";
import { agents } from "../../worker/db/schema";
import { SWITCHBOARD_NAME } from "../../worker/switchboard/stub";
import { api, claim, conferenceEvent, connectRequest, createAgents, db, incomingCall, newCallSid, online, ORIGIN, twilio, type TestAgent } from "./helpers";

const O = "https://calls\\.example\\.test";

describe("X-Twilio-Signature", () => {
  it("matches Twilio's documented test vector", () => {
    const params = { CallSid: "CA1234567890ABCDE", Caller: "+12349013030", Digits: "1234", From: "+12349013030", To: "+18005551212" };
    expect(sign("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", params)).toBe("0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
  });

  const params = () => ({ CallSid: newCallSid(), From: "+15551230001", To: "+15559990000" });

  it("rejects a request without a signature with 403", async () => {
    const res = await twilio("/twilio/voice", params(), { signature: null });
    expect(res.status).toBe(403);
  });

  it("rejects a request signed with another token", async () => {
    const res = await twilio("/twilio/voice", params(), { token: "not-the-token" });
    expect(res.status).toBe(403);
  });

  it("rejects a tampered body", async () => {
    const p = params();
    const signature = sign("test-auth-token", ORIGIN + "/twilio/voice", p);
    const res = await twilio("/twilio/voice", { ...p, From: "+15550000000" }, { signature });
    expect(res.status).toBe(403);
  });

  it("rejects a signature made for another URL", async () => {
    const p = params();
    const signature = sign("test-auth-token", ORIGIN + "/twilio/call-status", p);
    expect((await twilio("/twilio/voice", p, { signature })).status).toBe(403);
  });

  it("checks every Twilio route", async () => {
    const paths = ["/twilio/voice", "/twilio/connect", "/twilio/wait?gen=1", "/twilio/conference?gen=1", "/twilio/lobby-ended?gen=1", "/twilio/call-status"];
    for (const path of [...paths, "/twilio/voicemail/recorded", "/twilio/voicemail/recording-status", "/twilio/voicemail/transcription"]) {
      expect((await twilio(path, params(), { signature: null })).status, path).toBe(403);
    }
  });

  it("answers a signed request with malformed parameters with 400, not 500", async () => {
    const res = await twilio("/twilio/voice", { CallSid: "not-a-sid" });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: "unexpected Twilio parameters" });
  });
});

describe("the voice webhook's TwiML", () => {
  it("with nobody available greets and records a voicemail, with an action", async () => {
    const { res, xml } = await incomingCall();
    expect(res.headers.get("Content-Type")).toContain("text/xml");
    expect(xml).not.toContain("<Dial");
    expect(xml).toContain("<Say>");
    expect(xml).toMatch(new RegExp(`<Record [^>]*action="${O}/twilio/voicemail/recorded"`));
    expect(xml).toMatch(new RegExp(`recordingStatusCallback="${O}/twilio/voicemail/recording-status"`));
    expect(xml).toMatch(/transcribe="true"/);
  });

  it("with an agent available puts the caller alone in their own conference, every URL absolute", async () => {
    const [a] = await createAgents(1);
    await online([a]);
    const { callSid, xml } = await incomingCall();
    expect(xml).toMatch(new RegExp(`<Dial action="${O}/twilio/lobby-ended\\?gen=1" method="POST"><Conference `));
    expect(xml).toContain(`>${callSid}</Conference>`);
    expect(xml).toContain('participantLabel="caller"');
    expect(xml).toContain('endConferenceOnExit="true"');
    expect(xml).toContain('beep="false"');
    expect(xml).toMatch(new RegExp(`waitUrl="${O}/twilio/wait\\?gen=1" waitMethod="POST"`));
    expect(xml).toMatch(new RegExp(`statusCallback="${O}/twilio/conference\\?gen=1" statusCallbackMethod="POST" statusCallbackEvent="join leave"`));
    // Twilio rings no browser: no <Client> at all, however many agents there are.
    expect(xml).not.toContain("<Client");
  });

  it("waits in line when every available agent is on a call", async () => {
    const [a] = await createAgents(1);
    await online([a]);
    const first = await incomingCall();
    expect((await claim(first.callSid, a)).status).toBe(200);
    const second = await incomingCall();
    expect(second.xml).toContain("<Conference ");
    expect((await env.CALLS.getByName(second.callSid).view())?.phase).toBe("ringing");
  });

  it("gives a retried webhook the same lobby", async () => {
    const [a] = await createAgents(1);
    await online([a]);
    const first = await incomingCall();
    const again = await incomingCall(first.callSid);
    expect(again.xml).toBe(first.xml);
  });
});

describe("the lobby's wait URL", () => {
  it("greets, plays the worker's own ringback, and loops, with only the verbs Twilio allows there", async () => {
    const [a] = await createAgents(1);
    await online([a]);
    const { callSid } = await incomingCall();
    const xml = await (await twilio("/twilio/wait?gen=1", { CallSid: callSid, ConferenceSid: "CF" + "0".repeat(32), FriendlyName: callSid })).text();
    expect(xml).toMatch(/^<\?xml[^>]*\?><Response><Say>[^<]+<\/Say><Play>https:\/\/calls\.example\.test\/audio\/ringback\.wav<\/Play><Redirect method="POST">https:\/\/calls\.example\.test\/twilio\/wait\?gen=1&amp;n=1&amp;said=0<\/Redirect><\/Response>$/);
    const next = await (await twilio("/twilio/wait?gen=1&n=1&said=0", { CallSid: callSid })).text();
    expect(next).not.toContain("<Say>");
  });

  it("tells a caller their place in line when others wait ahead of them", async () => {
    const [a] = await createAgents(1);
    await online([a]);
    await incomingCall();
    await incomingCall();
    const { callSid } = await incomingCall();
    const xml = await (await twilio("/twilio/wait?gen=1", { CallSid: callSid })).text();
    expect(xml).toContain("You are number 3 in line.");
  });
});

/** A call that rings `a`, claimed by `a`: its ticket. */
async function claimed(a: TestAgent) {
  const { callSid } = await incomingCall();
  const res = await claim(callSid, a);
  expect(res.status).toBe(200);
  const { ticket } = (await res.json()) as { ticket: string };
  return { callSid, ticket };
}

describe("the TwiML App's connect", () => {
  it("joins the claim's winner to the caller's conference, with the caller's callback settings", async () => {
    const [a] = await createAgents(1);
    await online([a]);
    const { callSid, ticket } = await claimed(a);
    expect(ticket.length).toBeGreaterThanOrEqual(22); // at least 128 random bits, base64
    const xml = await (await connectRequest(a.id, { callerSid: callSid, ticket })).text();
    expect(xml).toContain(`>${callSid}</Conference>`);
    expect(xml).toContain('participantLabel="agent"');
    expect(xml).toContain('waitUrl=""');
    expect(xml).toContain('endConferenceOnExit="false"');
    expect(xml).toMatch(new RegExp(`statusCallback="${O}/twilio/conference\\?gen=1" statusCallbackMethod="POST" statusCallbackEvent="join leave"`));
  });

  it("refuses, with a 200 that hangs up, a connect with no ticket, a used one, another agent's, or after the caller left; nothing changes", async () => {
    const [a, b] = await createAgents(2);
    const [consoleA] = await online([a, b]);
    const hangsUp = async (agentId: string, params: Record<string, string>) => {
      const res = await connectRequest(agentId, params);
      expect(res.status).toBe(200);
      expect(await res.text()).toMatch(/<Response><Hangup\/><\/Response>$/);
    };
    const { callSid, ticket } = await claimed(a);
    const before = await env.CALLS.getByName(callSid).view();
    await hangsUp(a.id, { callerSid: callSid });
    await hangsUp(a.id, { callerSid: callSid, ticket: ticket + "x" });
    await hangsUp(b.id, { callerSid: callSid, ticket });
    await hangsUp(a.id, { ticket });
    const after = await env.CALLS.getByName(callSid).view();
    expect({ ...after, seq: 0 }).toEqual({ ...before, seq: 0 });

    const used = await connectRequest(a.id, { callerSid: callSid, ticket });
    expect(await used.text()).toContain("<Conference");
    await hangsUp(a.id, { callerSid: callSid, ticket });

    const gone = await claimed(b);
    await conferenceEvent(gone.callSid, "participant-leave", "caller", gone.callSid, { reason: "participant_hung_up" });
    await hangsUp(b.id, { callerSid: gone.callSid, ticket: gone.ticket });
    void consoleA;
  });

  it("refuses the winner's ticket once the agent has left the team (disabled or deleted after the claim was won), and rings the others again", async () => {
    const [a, b] = await createAgents(2);
    const [, consoleB] = await online([a, b]);
    const { callSid, ticket } = await claimed(a);
    // What a disable racing the claim leaves: the agent disabled and off the switchboard's team, the claim still theirs.
    await db().update(agents).set({ disabled: true }).where(eq(agents.id, a.id));
    await env.SWITCHBOARD.getByName(SWITCHBOARD_NAME).publish([{ type: "agent.removed", agentId: a.id }]);
    const res = await connectRequest(a.id, { callerSid: callSid, ticket });
    expect(await res.text()).toMatch(/<Response><Hangup\/><\/Response>$/);
    const released = await consoleB.next<"call.claim_released">((m) => m.type === "call.claim_released" && m.call.callSid === callSid);
    expect(released.call.phase).toBe("ringing");
  });

  it("makes the call connected when the winner's leg joins, and tells every console", async () => {
    const [a, b] = await createAgents(2);
    const [, consoleB] = await online([a, b]);
    const { callSid, ticket } = await claimed(a);
    const legSid = newCallSid();
    await connectRequest(a.id, { callerSid: callSid, ticket }, legSid);
    await conferenceEvent(callSid, "participant-join", "agent", legSid);
    const m = await consoleB.next<"call.connected">((m) => m.type === "call.connected" && m.call.callSid === callSid);
    expect(m.agentId).toBe(a.id);
    expect((await (await api(`/api/calls/${callSid}`, b.cookie)).json()) as object).toMatchObject({ call: { phase: "connected", answeredBy: a.id } });
  });
});
