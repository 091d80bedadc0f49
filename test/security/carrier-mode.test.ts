// Fail closed: the carrier is whatever CARRIER names, nothing is guessed, and a worker without one
// refuses calls and says why. The worker is run with env objects of its own (one per setting), the
// way the runtime hands a deployment its variables.
import { createExecutionContext, env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { LOCAL_AUTH_TOKEN } from "../../worker/config";
import { countAgents, getAgentByEmail } from "../../worker/db/agents";
import type { Env } from "../../worker/env";
import worker from "../../worker/index";
import { DEMO_ACCOUNTS, ensureSeeded } from "../../worker/seed";
import { sign } from "../../worker/twilio/signature";
import { AUTH_TOKEN, db, newCallSid, ORIGIN } from "../worker/helpers";

const ACCOUNT = "AC" + "1".repeat(32);
/** A Twilio account that no request of these tests reaches: nothing here calls Twilio's REST API. */
const TWILIO: Partial<Env> = { CARRIER: "twilio", TWILIO_ACCOUNT_SID: ACCOUNT, TWILIO_API_BASE: ORIGIN + "/no-twilio-here" };

function run(vars: Partial<Env>, url: string, init?: RequestInit): Promise<Response> {
  return Promise.resolve(worker.fetch(new Request(url.startsWith("http") ? url : ORIGIN + url, init), { ...env, ...vars }, createExecutionContext()));
}

/** A status callback (a non-final status touches no call), signed with `token` as Twilio would sign it. */
function statusCallback(vars: Partial<Env>, token: string, callSid = newCallSid()) {
  const params = { CallSid: callSid, AccountSid: ACCOUNT, CallStatus: "ringing" };
  const url = ORIGIN + "/twilio/call-status";
  return run(vars, url, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": sign(token, url, params) },
    body: new URLSearchParams(params).toString(),
  });
}

const errorLines: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  errorLines.length = 0;
});
function captureErrors() {
  vi.spyOn(console, "error").mockImplementation((line: unknown) => void errorLines.push(String(line)));
}

describe("with no CARRIER", () => {
  const UNSET: Partial<Env> = { CARRIER: undefined };

  it("says on /healthz, with a 503, that it is not configured and which setting to set", async () => {
    const res = await run(UNSET, "/healthz");
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ ok: false, mode: null, error: expect.stringMatching(/^not configured: set CARRIER/) });
  });

  it("refuses Twilio's webhooks with a 503 and an error line carrying the CallSid, even when signed with the right token", async () => {
    captureErrors();
    const callSid = newCallSid();
    const res = await statusCallback(UNSET, AUTH_TOKEN, callSid);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: string }).error).toMatch(/^not configured: set CARRIER/);
    expect(errorLines.map((l) => JSON.parse(l) as unknown)).toContainEqual(expect.objectContaining({ event: "twilio.unconfigured", callSid, path: "/twilio/call-status" }));
  });

  it("never accepts the published local token", async () => {
    const res = await statusCallback({ CARRIER: undefined, TWILIO_AUTH_TOKEN: undefined }, LOCAL_AUTH_TOKEN);
    expect(res.status).toBe(503);
  });

  it("answers the console's GET /api/me with the reason, before any sign-in", async () => {
    const res = await run(UNSET, "/api/me");
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: string }).error).toMatch(/^not configured: set CARRIER/);
  });

  it("has no /sim/* routes", async () => {
    for (const [method, path] of [["POST", "/sim/calls"], ["GET", "/sim/calls"], ["GET", `/sim/api/2010-04-01/Accounts/AC${"0".repeat(32)}/IncomingPhoneNumbers.json`]] as const) {
      const res = await run(UNSET, path, { method, body: method === "POST" ? JSON.stringify({ from: "+15551230001" }) : undefined, headers: { "Content-Type": "application/json" } });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
  });

  it("does not take TWILIO_ACCOUNT_SID alone for Twilio mode: it names CARRIER = \"twilio\" as the fix", async () => {
    const res = await run({ CARRIER: undefined, TWILIO_ACCOUNT_SID: ACCOUNT }, "/healthz");
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: string }).error).toContain('set CARRIER = "twilio"');
  });

  it("refuses an unknown CARRIER, saying what it may be", async () => {
    const res = await run({ CARRIER: "twillio" }, "/healthz");
    expect(res.status).toBe(503);
    expect(((await res.json()) as { error: string }).error).toBe('not configured: CARRIER must be "twilio" or "simulator", got "twillio"');
  });
});

describe("with CARRIER=twilio", () => {
  it("refuses calls while TWILIO_AUTH_TOKEN is missing, naming it, and never falls back to the local token", async () => {
    const vars = { ...TWILIO, TWILIO_AUTH_TOKEN: undefined };
    const health = await run(vars, "/healthz");
    expect(health.status).toBe(503);
    expect(((await health.json()) as { error: string }).error).toContain("TWILIO_AUTH_TOKEN");
    expect((await statusCallback(vars, LOCAL_AUTH_TOKEN)).status).toBe(503);
  });

  it("accepts only webhooks signed with the account's auth token, and has no /sim/* routes", async () => {
    const vars = { ...TWILIO, TWILIO_AUTH_TOKEN: AUTH_TOKEN };
    expect(await (await run(vars, "/healthz")).json()).toEqual({ ok: true, mode: "twilio" });
    expect((await statusCallback(vars, AUTH_TOKEN)).status).toBe(204);
    expect((await statusCallback(vars, LOCAL_AUTH_TOKEN)).status).toBe(403);
    expect((await run(vars, "/sim/calls")).status).toBe(404);
  });

  it("answers for any host name: a deployment's routes decide which names reach it", async () => {
    const res = await run({ ...TWILIO, TWILIO_AUTH_TOKEN: AUTH_TOKEN }, "https://ringall.example.com/healthz");
    expect(res.status).toBe(200);
  });
});

describe("with CARRIER=simulator, a server answers only for its own host names", () => {
  it("refuses a foreign host name with 421, in the URL or in the Host header (DNS rebinding)", async () => {
    const foreign = await run({}, "http://rebind.attacker.example:8787/sim/calls");
    expect(foreign.status).toBe(421);
    expect(((await foreign.json()) as { error: string }).error).toContain("ALLOWED_HOSTS");
    const header = await run({}, "http://127.0.0.1:8787/api/me", { headers: { Host: "rebind.attacker.example:8787" } });
    expect(header.status).toBe(421);
  });

  it("answers for localhost, 127.0.0.1, [::1] and PUBLIC_URL's host", async () => {
    for (const url of ["http://localhost:8787/healthz", "http://127.0.0.1:8787/healthz", "http://[::1]:8787/healthz", ORIGIN + "/healthz"]) {
      expect((await run({}, url)).status, url).toBe(200);
    }
  });

  it("answers for the extra names listed in ALLOWED_HOSTS, and no others", async () => {
    const vars = { ALLOWED_HOSTS: " dev.example.test, Tunnel.Example.test:8443 " };
    expect((await run(vars, "http://dev.example.test/healthz")).status).toBe(200);
    expect((await run(vars, "https://tunnel.example.test/healthz")).status).toBe(200);
    expect((await run(vars, "https://example.test/healthz")).status).toBe(421);
  });
});

it("seeds the demo accounts only with CARRIER=simulator, never in Twilio mode even with DEMO_AGENTS=true", async () => {
  expect(await countAgents(db())).toBe(0);
  const twilio = { ...env, ...TWILIO, TWILIO_AUTH_TOKEN: AUTH_TOKEN, DEMO_AGENTS: "true" };
  await ensureSeeded(twilio, db());
  expect(await countAgents(db())).toBe(0);
  await ensureSeeded({ ...env, CARRIER: undefined, DEMO_AGENTS: "true" }, db());
  expect(await countAgents(db())).toBe(0);
  await ensureSeeded({ ...env, CARRIER: "simulator", DEMO_AGENTS: "true" }, db());
  for (const a of DEMO_ACCOUNTS) expect((await getAgentByEmail(db(), a.email))?.id).toBe(a.id);
});

it("refuses a demo account's published password in Twilio mode, left from a database that served the simulator first", async () => {
  await ensureSeeded({ ...env, CARRIER: "simulator", DEMO_AGENTS: "true" }, db());
  const demo = DEMO_ACCOUNTS[1];
  const signIn = (vars: Partial<Env>) =>
    run(vars, "/api/session", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ email: demo.email, password: demo.password }) });
  const refused = await signIn({ ...TWILIO, TWILIO_AUTH_TOKEN: AUTH_TOKEN });
  expect(refused.status).toBe(401);
  expect(await refused.json()).toEqual({ error: "wrong e-mail or password" });
  expect((await signIn({})).status).toBe(200);
});
