// The product's REST client (the official twilio package over fetch) against the simulator's REST API.
import { SELF } from "cloudflare:test";
import { afterEach, expect, it } from "vitest";
import { readConfig } from "../../worker/config";
import { twilioRest } from "../../worker/twilio/rest";
import { createAgents, online, ORIGIN } from "./helpers";
import { closePhones, Phone, placeCall, simState } from "./sim-helpers";
import { env } from "cloudflare:test";

afterEach(closePhones);

function client(token = "test-auth-token") {
  const config = { ...readConfig(env), apiBase: ORIGIN + "/sim/api", authToken: token };
  return twilioRest(env, config, ((input: RequestInfo | URL, init?: RequestInit) => SELF.fetch(input as string, init)) as typeof fetch);
}

it("redirects a live call with new TwiML, which the simulator runs, then ends it", async () => {
  const [a] = await createAgents(1);
  await online([a!]);
  const phone = await Phone.register(a!);
  const callSid = await placeCall();
  await phone.incoming(callSid);
  const updated = await client().calls(callSid).update({ twiml: '<Response><Say>Please hold.</Say><Play loop="0">https://example.test/hold.mp3</Play></Response>' });
  expect(updated.sid).toBe(callSid);
  await phone.next((m) => m.type === "cancel");
  const held = await simState(callSid);
  expect(held.events.map((e) => e.what)).toEqual(expect.arrayContaining(['<Say> "Please hold."', "dial ended: canceled"]));
  const done = await client().calls(callSid).update({ status: "completed" });
  expect(done.status).toBe("completed");
});

it("reports malformed TwiML as Twilio does: an error on the call, which ends", async () => {
  const callSid = await placeCall(); // nobody online: voicemail greeting plays
  await client().calls(callSid).update({ twiml: "<Response><Say>unclosed</Response>" });
  const s = await simState(callSid);
  expect(s.errors[0]?.code).toBe(12100);
  expect(s.status).toBe("completed");
});

it("reports an unknown verb as a schema error", async () => {
  const callSid = await placeCall();
  await client().calls(callSid).update({ twiml: "<Response><Gather/></Response>" });
  expect((await simState(callSid)).errors[0]).toMatchObject({ code: 12200 });
});

it("surfaces Twilio's error for an unknown call as a RestException", async () => {
  await expect(client().calls("CA" + "e".repeat(32)).update({ status: "completed" })).rejects.toMatchObject({ status: 404, code: 20404 });
  await expect(client("wrong").calls("CA" + "e".repeat(32)).update({ status: "completed" })).rejects.toMatchObject({ status: 401, code: 20003 });
});

it("with Twilio credentials configured, the simulator's routes do not exist", async () => {
  const worker = (await import("../../worker/index")).default;
  const twilioEnv = { ...env, TWILIO_ACCOUNT_SID: "AC" + "1".repeat(32) };
  for (const [method, path] of [["POST", "/sim/calls"], ["GET", "/sim/calls"], ["GET", "/sim/phone"], ["POST", `/sim/api/2010-04-01/Accounts/AC${"0".repeat(32)}/Calls/CA${"0".repeat(32)}.json`]]) {
    const res = await worker.fetch(new Request(ORIGIN + path, { method, body: method === "POST" ? "{}" : undefined, headers: { "Content-Type": "application/json" } }), twilioEnv, {} as ExecutionContext);
    expect(res.status, `${method} ${path}`).toBe(404);
  }
});
