import { env, SELF } from "cloudflare:test";
import { expect, it } from "vitest";
import { api, AUTH_TOKEN, ORIGIN } from "../../test/worker/helpers";

const state = async (sid: string) => (await env.SIM_CALLS.getByName(sid).settled())!;
const rest = (sid: string, init: RequestInit = {}) =>
  SELF.fetch(`${ORIGIN}/sim/api/2010-04-01/Accounts/AC${"0".repeat(32)}/Calls/${sid}.json`, {
    ...init,
    headers: { Authorization: "Basic " + btoa(`AC${"0".repeat(32)}:${AUTH_TOKEN}`), "Content-Type": "application/x-www-form-urlencoded" },
  });
const place = async () => ((await (await api("/sim/calls", null, { method: "POST", body: JSON.stringify({ from: "+15551230001", speed: 10 }) })).json()) as { callSid: string }).callSid;
const conf = (name: string, label: string, waitUrl: string, action = "") =>
  `<Response><Dial${action}><Conference participantLabel="${label}" endConferenceOnExit="true" waitUrl="${waitUrl}" statusCallback="${ORIGIN}/nowhere" statusCallbackEvent="join leave end">${name}</Conference></Dial><Say>after the dial</Say><Pause length="100"/></Response>`;
const redirect = (sid: string, twiml: string) => rest(sid, { method: "POST", body: "Twiml=" + encodeURIComponent(twiml) });

it("edge cases", async () => {
  const a = await place();
  const b = await place();
  const name = "room-" + Date.now();
  expect((await redirect(a, conf(name, "x", ""))).status).toBe(200);
  let s = await state(a);
  console.log("A", s.hears, s.conference?.conferenceSid);
  expect((await redirect(b, conf(name, "x", ""))).status).toBe(200);
  const sb = await state(b);
  console.log("B dup", JSON.stringify(sb.errors), sb.events.slice(-3).map((e) => e.what));
  // waitUrl failing: the dial fails, next verb
  const c = await place();
  await redirect(c, conf("room2-" + Date.now(), "y", `${ORIGIN}/nope`));
  const sc = await state(c);
  console.log("C waitfail", sc.hears, JSON.stringify(sc.errors), sc.events.slice(-5).map((e) => e.what));
  // waitUrl with a Dial: 13238
  const d = await place();
  await redirect(d, conf("room3-" + Date.now(), "z", `${ORIGIN}/twilio/voice`));
  const sd = await state(d);
  console.log("D 13238", sd.hears, JSON.stringify(sd.errors.map((e) => e.code)));
  // timeout-applied
  await api("/sim/faults", null, { method: "POST", body: JSON.stringify({ callSid: a, fault: "timeout-applied", holdMs: 500 }) });
  const t0 = Date.now();
  const r = await rest(a, { method: "POST", body: "Status=completed" });
  console.log("timeout-applied", r.status, Date.now() - t0, (await state(a)).status);
  s = await state(a);
  const cs = await env.SIM_CONFERENCES.getByName(name).state();
  console.log("conf", cs.current, cs.events.map((e) => e.what));
}, 60_000);
