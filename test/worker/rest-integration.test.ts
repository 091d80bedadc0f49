// The product's REST client (the official twilio package over fetch) against the simulator's REST API.
import { env, SELF } from "cloudflare:test";
import { afterEach, expect, it } from "vitest";
import { LOCAL_ACCOUNT_SID, readConfig } from "../../worker/config";
import { classifyRestError, twilioRest } from "../../worker/twilio/rest";
import { createAgents, online, ORIGIN } from "./helpers";
import { closePhones, injectFault, placeCall, simState } from "./sim-helpers";

afterEach(closePhones);

function client(token = "test-auth-token") {
  const config = readConfig(env);
  const viaSelf = ((input: RequestInfo | URL, init?: RequestInit) => SELF.fetch(input as string, init)) as typeof fetch;
  return twilioRest({ apiBase: ORIGIN + "/sim/api", accountSid: LOCAL_ACCOUNT_SID, user: LOCAL_ACCOUNT_SID, secret: token, fetch: viaSelf }, config);
}

it("redirects a caller waiting in the lobby with new TwiML, which the simulator runs, then ends the call", async () => {
  const [a] = await createAgents(1);
  await online([a]);
  const callSid = await placeCall();
  expect((await simState(callSid)).conference?.name).toBe(callSid);
  const updated = await client().calls(callSid).update({ twiml: '<Response><Say>Please hold.</Say><Play loop="0">https://example.test/hold.wav</Play></Response>' });
  expect(updated.sid).toBe(callSid);
  const held = await simState(callSid);
  expect(held.conference).toBeNull();
  expect(held.events.map((e) => e.what)).toEqual(expect.arrayContaining(['<Say> "Please hold."']));
  const done = await client().calls(callSid).update({ status: "completed" });
  expect(done.status).toBe("completed");
  expect((await client().calls(callSid).fetch()).status).toBe("completed");
});

it("refuses to redirect an ended call with Twilio's 21220, which the product reads as a caller gone", async () => {
  const callSid = await placeCall();
  await client().calls(callSid).update({ status: "completed" });
  const err = await client().calls(callSid).update({ twiml: "<Response><Hangup/></Response>" }).catch((e: unknown) => e);
  expect(err).toMatchObject({ status: 400, code: 21220 });
  expect(classifyRestError(err)).toBe("gone");
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

it("surfaces Twilio's error for an unknown call, or bad credentials, as a RestException", async () => {
  const unknown = await client().calls("CA" + "e".repeat(32)).update({ status: "completed" }).catch((e: unknown) => e);
  expect(unknown).toMatchObject({ status: 404, code: 20404 });
  expect(classifyRestError(unknown)).toBe("gone");
  const denied = await client("wrong").calls("CA" + "e".repeat(32)).update({ status: "completed" }).catch((e: unknown) => e);
  expect(denied).toMatchObject({ status: 401, code: 20003 });
  expect(classifyRestError(denied)).toBe("refused");
});

it("retries 429s itself, and gives up after a few, as twilio-node's own client does", async () => {
  const callSid = await placeCall();
  await injectFault(callSid, "429", { op: "fetch", times: 3 });
  expect((await client().calls(callSid).fetch()).sid).toBe(callSid);
  await injectFault(callSid, "429", { op: "fetch", times: 10 });
  const err = await client().calls(callSid).fetch().catch((e: unknown) => e);
  expect(err).toMatchObject({ status: 429 });
  expect(classifyRestError(err)).toBe("transient");
  await SELF.fetch(ORIGIN + "/sim/faults", { method: "DELETE" });
});

it("with CARRIER=twilio, the simulator's routes do not exist", async () => {
  const worker = (await import("../../worker/index")).default;
  const twilioEnv = { ...env, CARRIER: "twilio", TWILIO_ACCOUNT_SID: "AC" + "1".repeat(32) };
  for (const [method, path] of [["POST", "/sim/calls"], ["GET", "/sim/calls"], ["GET", "/sim/phone"], ["POST", "/sim/faults"], ["POST", `/sim/api/2010-04-01/Accounts/AC${"0".repeat(32)}/Calls/CA${"0".repeat(32)}.json`]]) {
    const res = await worker.fetch(new Request(ORIGIN + path, { method, body: method === "POST" ? "{}" : undefined, headers: { "Content-Type": "application/json" } }), twilioEnv, {} as ExecutionContext);
    expect(res.status, `${method} ${path}`).toBe(404);
  }
});
