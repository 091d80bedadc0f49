// `npm run setup:twilio` (scripts/setup-twilio.mjs) run as an operator runs it, against the carrier
// simulator's REST API on the test server (its account: the simulator's SID and local token). What it
// changed is read back from that API, as it would be from Twilio's.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { baseUrl } from "./team";

// The simulator's account (simulator/config.ts, worker/config.ts; not imported: they pull in the
// Workers runtime's types, which this Node-side project does not have).
const SIM_ACCOUNT_SID = "AC" + "0".repeat(32);
const LOCAL_AUTH_TOKEN = "local-simulator-auth-token";
const SIM_NUMBER = "+15550100000";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const API = `${baseUrl}/sim/api`;
const ACCOUNT = `${API}/2010-04-01/Accounts/${SIM_ACCOUNT_SID}`;
const AUTH = "Basic " + Buffer.from(`${SIM_ACCOUNT_SID}:${LOCAL_AUTH_TOKEN}`).toString("base64");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The script in a Node process of its own, with only these variables (none of the tester's). */
function setupTwilio(vars: Record<string, string>, args: string[] = []): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["scripts/setup-twilio.mjs", "--api-base", API, ...args], { cwd: ROOT, env: { PATH: process.env.PATH ?? "", ...vars } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code, stdout, stderr }));
  });
}

async function rest<T>(path: string): Promise<T> {
  const res = await fetch(ACCOUNT + path, { headers: { Authorization: AUTH } });
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

interface AppJson {
  sid: string;
  friendly_name: string;
  voice_url: string;
  voice_method: string;
  date_updated: string;
}
interface NumberJson {
  sid: string;
  phone_number: string;
  voice_url: string;
  voice_method: string;
  status_callback: string;
  status_callback_method: string;
  voice_application_sid: string;
  date_updated: string;
}
interface KeyJson {
  sid: string;
  friendly_name: string;
}

/** What the account holds now: every TwiML App and API key, and the simulator's number. */
async function account() {
  const { applications } = await rest<{ applications: AppJson[] }>("/Applications.json");
  const { keys } = await rest<{ keys: KeyJson[] }>("/Keys.json");
  const { incoming_phone_numbers } = await rest<{ incoming_phone_numbers: NumberJson[] }>(`/IncomingPhoneNumbers.json?PhoneNumber=${encodeURIComponent(SIM_NUMBER)}`);
  return { apps: applications, keys, number: incoming_phone_numbers.find((n) => n.phone_number === SIM_NUMBER) };
}

/** The lines of the output an operator copies: TOML vars and the new key's secret. */
function printed(out: string, name: string): string | undefined {
  return new RegExp(`^\\s*${name}\\s*=\\s*"?([^"\\s]+)"?\\s*$`, "m").exec(out)?.[1];
}

describe.skipIf(baseUrl === null)("npm run setup:twilio against the simulator's REST API", () => {
  const PUBLIC_URL = "https://ringall.example.test";
  const CREDENTIALS = { TWILIO_ACCOUNT_SID: SIM_ACCOUNT_SID, TWILIO_AUTH_TOKEN: LOCAL_AUTH_TOKEN, PUBLIC_URL };
  const NUMBER = ["--number", SIM_NUMBER];
  let key = { sid: "", secret: "" };

  it("refuses wrong credentials with a clear message and exit code 1, changing nothing", async () => {
    const before = await account();
    const run = await setupTwilio({ ...CREDENTIALS, TWILIO_AUTH_TOKEN: "not-the-token" }, NUMBER);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("Twilio refused the account SID and auth token (401, error 20003)");
    expect(await account()).toEqual(before);
  });

  it("refuses a number the account does not have, listing the ones it has", async () => {
    const run = await setupTwilio(CREDENTIALS, ["--number", "+15559998888"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`+15559998888 is not a number of account ${SIM_ACCOUNT_SID}. Its numbers: ${SIM_NUMBER}.`);
  });

  it("creates the TwiML App and the API key and points the number at the worker, then prints the settings", async () => {
    const before = await account();
    expect(before.apps.filter((a) => a.friendly_name === "ringall")).toEqual([]);
    const run = await setupTwilio(CREDENTIALS, NUMBER);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);

    const after = await account();
    const apps = after.apps.filter((a) => a.friendly_name === "ringall");
    expect(apps).toHaveLength(1);
    expect(apps[0]).toMatchObject({ voice_url: `${PUBLIC_URL}/twilio/connect`, voice_method: "POST" });
    expect(after.number).toMatchObject({
      voice_url: `${PUBLIC_URL}/twilio/voice`,
      voice_method: "POST",
      status_callback: `${PUBLIC_URL}/twilio/call-status`,
      status_callback_method: "POST",
      voice_application_sid: "",
    });
    const newKeys = after.keys.filter((k) => !before.keys.some((b) => b.sid === k.sid));
    expect(newKeys).toEqual([{ sid: expect.stringMatching(/^SK[0-9a-f]{32}$/), friendly_name: "ringall", date_created: expect.any(String), date_updated: expect.any(String) }]);

    expect(printed(run.stdout, "CARRIER")).toBe("twilio");
    expect(printed(run.stdout, "TWILIO_ACCOUNT_SID")).toBe(SIM_ACCOUNT_SID);
    expect(printed(run.stdout, "TWILIO_TWIML_APP_SID")).toBe(apps[0]!.sid);
    expect(printed(run.stdout, "TWILIO_API_KEY_SID")).toBe(newKeys[0]!.sid);
    expect(printed(run.stdout, "PUBLIC_URL")).toBe(PUBLIC_URL);
    // The number callers dial is the one callees see when an agent calls out.
    expect(printed(run.stdout, "OUTBOUND_CALLER_ID")).toBe(SIM_NUMBER);
    expect(run.stdout).toContain("npx wrangler secret put TWILIO_AUTH_TOKEN");
    expect(run.stdout).toContain("npx wrangler secret put TWILIO_API_KEY_SECRET");
    key = { sid: newKeys[0]!.sid, secret: printed(run.stdout, "TWILIO_API_KEY_SECRET") ?? "" };
    expect(key.secret).toMatch(/^[0-9a-f]{32}$/);
  });

  it("run again with the printed key, changes nothing and creates nothing", async () => {
    const before = await account();
    const run = await setupTwilio({ ...CREDENTIALS, TWILIO_API_KEY_SID: key.sid, TWILIO_API_KEY_SECRET: key.secret }, NUMBER);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/TwiML App\s+AP[0-9a-f]{32}\s+unchanged/);
    expect(run.stdout).toMatch(/Number\s+PN[0-9a-f]{32} \+\d+\s+unchanged/);
    expect(run.stdout).toMatch(/API key\s+SK[0-9a-f]{32}\s+reused/);
    expect(run.stdout).not.toContain("TWILIO_API_KEY_SECRET=");
    // date_updated included: nothing was even written back unchanged.
    expect(await account()).toEqual(before);
  });

  it("run again without the key's secret, stops before changing anything rather than pile up keys", async () => {
    const before = await account();
    const run = await setupTwilio(CREDENTIALS, NUMBER);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`an API key named "ringall" exists already (${key.sid})`);
    expect(run.stderr).toContain("--new-key");
    expect(await account()).toEqual(before);
  });

  it("refuses a key secret that is not the key's", async () => {
    const run = await setupTwilio({ ...CREDENTIALS, TWILIO_API_KEY_SID: key.sid, TWILIO_API_KEY_SECRET: "0".repeat(32) }, NUMBER);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`TWILIO_API_KEY_SECRET is not the secret of ${key.sid}`);
  });

  it("with a new PUBLIC_URL, updates the same TwiML App and the number in place", async () => {
    const before = await account();
    const moved = "https://calls.ringall.example.test";
    const run = await setupTwilio({ ...CREDENTIALS, PUBLIC_URL: moved, TWILIO_API_KEY_SID: key.sid, TWILIO_API_KEY_SECRET: key.secret }, NUMBER);
    expect(run.code).toBe(0);
    const after = await account();
    expect(after.apps.map((a) => a.sid)).toEqual(before.apps.map((a) => a.sid));
    expect(after.keys).toEqual(before.keys);
    expect(after.apps.find((a) => a.friendly_name === "ringall")).toMatchObject({ voice_url: `${moved}/twilio/connect` });
    expect(after.number).toMatchObject({ voice_url: `${moved}/twilio/voice`, status_callback: `${moved}/twilio/call-status` });
  });

  it("creates a second key only when asked with --new-key", async () => {
    const before = await account();
    const run = await setupTwilio(CREDENTIALS, [...NUMBER, "--new-key"]);
    expect(run.code).toBe(0);
    const after = await account();
    expect(after.keys).toHaveLength(before.keys.length + 1);
    expect(after.apps.map((a) => a.sid)).toEqual(before.apps.map((a) => a.sid));
  });
});
