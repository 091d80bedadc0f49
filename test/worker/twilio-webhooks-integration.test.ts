// The Twilio-facing routes, driven by requests signed exactly as Twilio signs them.
import { describe, expect, it } from "vitest";
import { sign } from "../../worker/twilio/signature";
import { createAgents, identities, incomingCall, newCallSid, online, ORIGIN, twilio } from "./helpers";

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
    for (const path of ["/twilio/voice", "/twilio/dial-action", "/twilio/leg-status", "/twilio/call-status", "/twilio/voicemail/recorded", "/twilio/voicemail/recording-status", "/twilio/voicemail/transcription"]) {
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
    expect(xml).toMatch(/<Record [^>]*action="https:\/\/calls\.example\.test\/twilio\/voicemail\/recorded"/);
    expect(xml).toMatch(/recordingStatusCallback="https:\/\/calls\.example\.test\/twilio\/voicemail\/recording-status"/);
    expect(xml).toMatch(/transcribe="true"/);
  });

  it("with one agent dials that agent's client with the parent CallSid as a parameter", async () => {
    const [a] = await createAgents(1);
    await online([a!]);
    const { callSid, xml } = await incomingCall();
    expect(identities(xml)).toEqual([a!.id]);
    expect(xml).toContain(`<Parameter name="parentCallSid" value="${callSid}"/>`);
    expect(xml).toContain(`<Parameter name="purpose" value="inbound"/>`);
    expect(xml).toMatch(/<Dial timeout="30" answerOnBridge="true" action="https:\/\/calls\.example\.test\/twilio\/dial-action\?dial=1" method="POST">/);
    expect(xml).toMatch(/<Client statusCallback="https:\/\/calls\.example\.test\/twilio\/leg-status\?dial=1" statusCallbackEvent="answered completed"/);
  });

  it("with three agents rings all three at once", async () => {
    const three = await createAgents(3);
    await online(three);
    const { xml } = await incomingCall();
    expect(identities(xml)).toEqual(three.map((a) => a.id));
    expect(xml.match(/<Dial /g)).toHaveLength(1);
  });

  it("with twelve agents rings the ten idle longest (Twilio's limit per <Dial>)", async () => {
    const twelve = await createAgents(12);
    await online(twelve);
    const { xml } = await incomingCall();
    expect(identities(xml)).toEqual(twelve.slice(0, 10).map((a) => a.id));
  });

  it("does not ring an available agent whose console is offline, nor an unavailable one", async () => {
    const [on, off] = await createAgents(2);
    const [away] = await createAgents(1, { available: false });
    await online([on!, away!]);
    const { xml } = await incomingCall();
    expect(identities(xml)).toEqual([on!.id]);
    expect(off).toBeDefined();
  });

  it("gives a retried webhook the same ring group", async () => {
    const [a, b] = await createAgents(2);
    await online([a!, b!]);
    const first = await incomingCall();
    const again = await incomingCall(first.callSid);
    expect(identities(again.xml)).toEqual(identities(first.xml));
  });
});
