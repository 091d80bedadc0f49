// The account resources of Twilio's 2010-04-01 REST API that `npm run setup:twilio` uses: incoming
// phone numbers, TwiML Apps (Applications) and standard API keys (Keys), with Twilio's paths, Basic
// auth, form-encoded bodies, JSON shapes and error bodies. Kept in the SimCarrier object's storage.
// The simulator's own calls still reach the worker's /twilio/voice: the stored URLs are only read back.
import { Hono } from "hono";
import { type AppEnv, type Ctx } from "../worker/http";
import { randomHex } from "../worker/hex";
import { log } from "../worker/log";
import { SIM_ACCOUNT_SID, SIM_NUMBER, SIM_NUMBER_SID } from "./config";
import { CARRIER_NAME } from "./SimCarrier";
import { newSid } from "./sids";

export interface SimNumber {
  sid: string;
  phoneNumber: string;
  friendlyName: string;
  voiceUrl: string;
  voiceMethod: string;
  statusCallback: string;
  statusCallbackMethod: string;
  /** When set, Twilio ignores the number's voice URLs and uses the app's. */
  voiceApplicationSid: string;
  /** When set, the number's calls go to an Elastic SIP trunk, not to any voice URL. */
  trunkSid: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface SimApp {
  sid: string;
  friendlyName: string;
  voiceUrl: string;
  voiceMethod: string;
  statusCallback: string;
  statusCallbackMethod: string;
  createdAt: number;
  updatedAt: number;
}

export interface SimKey {
  sid: string;
  friendlyName: string;
  /** Twilio returns it once, in the answer to the create. */
  secret: string;
  createdAt: number;
  updatedAt: number;
}

export interface AccountRecords {
  number: SimNumber;
  app: SimApp;
  key: SimKey;
}
export type AccountKind = keyof AccountRecords;

/** The simulator's one number, as a new Twilio number comes: Twilio's demo Voice URL, nothing else. */
export function seededNumber(now: number): SimNumber {
  return {
    sid: SIM_NUMBER_SID,
    phoneNumber: SIM_NUMBER,
    friendlyName: SIM_NUMBER,
    voiceUrl: "https://demo.twilio.com/welcome/voice/",
    voiceMethod: "POST",
    statusCallback: "",
    statusCallbackMethod: "POST",
    voiceApplicationSid: "",
    trunkSid: null,
    createdAt: now,
    updatedAt: now,
  };
}

export const accountRestRoutes = new Hono<AppEnv>();

const carrier = (c: Ctx) => c.env.SIM_CARRIER.getByName(CARRIER_NAME);

type ErrorStatus = 400 | 401 | 404;

function restError(c: Ctx, status: ErrorStatus, code: number, message: string) {
  return c.json({ code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status }, status);
}

/** Twilio's date format in REST bodies: "Thu, 01 Jun 2017 20:48:32 +0000". */
function restDate(ms: number): string {
  return new Date(ms).toUTCString().replace("GMT", "+0000");
}

const base = (account: string) => `/2010-04-01/Accounts/${account}`;

/**
 * Basic auth as Twilio checks it: the account SID with the auth token, or an API key's SID with its
 * secret. Standard keys cannot manage keys (Twilio: "Access to all Twilio API resources, except for
 * API key and Account resources"), so the Keys routes take the account's own credentials only.
 */
/**
 * HTTP Basic as Twilio checks it: the account SID with its auth token, or (where Twilio allows API
 * keys) a key's SID with its secret. Shared with the simulator's recordings (simulator/recordings.ts).
 */
export async function credentialsValid(c: Ctx, keysAllowed: boolean): Promise<boolean> {
  const raw = c.req.header("Authorization") ?? "";
  let user = "";
  let pass = "";
  try {
    const decoded = atob(raw.replace(/^Basic /i, ""));
    const colon = decoded.indexOf(":");
    if (colon > 0) [user, pass] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
  } catch {
    // not base64: unauthenticated
  }
  if (user === SIM_ACCOUNT_SID && pass !== "" && pass === c.var.config.authToken) return true;
  if (!keysAllowed || !/^SK[0-9a-f]{32}$/.test(user)) return false;
  const key = await carrier(c).accountKey(user);
  return key !== null && key.secret === pass;
}

async function authorize(c: Ctx, keysAllowed: boolean): Promise<Response | null> {
  if (!(await credentialsValid(c, keysAllowed))) return restError(c, 401, 20003, "Authenticate");
  if (c.req.param("account") !== SIM_ACCOUNT_SID) return restError(c, 404, 20404, `The requested resource ${c.req.path.replace(/^\/sim\/api/, "")} was not found`);
  return null;
}

async function form(c: Ctx): Promise<URLSearchParams> {
  return new URLSearchParams(new TextDecoder().decode(await c.req.arrayBuffer()));
}

/** A SID from a ":file" path part ("PN….json"), or null when it is not one of this kind. */
function sidOf(c: Ctx, prefix: "PN" | "AP" | "SK"): string | null {
  const sid = (c.req.param("file") ?? "").replace(/\.json$/, "");
  return new RegExp(`^${prefix}[0-9a-f]{32}$`).test(sid) ? sid : null;
}

function list(c: Ctx, key: string, items: unknown[]) {
  const uri = c.req.path.replace(/^\/sim\/api/, "") + (c.req.url.includes("?") ? "?" + c.req.url.split("?")[1] : "");
  return c.json({
    [key]: items,
    end: Math.max(0, items.length - 1),
    first_page_uri: uri,
    next_page_uri: null,
    page: 0,
    page_size: Math.max(50, items.length),
    previous_page_uri: null,
    start: 0,
    uri,
  });
}

// ---- parameters, checked as Twilio does: a URL must be absolute http(s), a method GET or POST ----

type Patch = Record<string, string>;
type Checked = { patch: Patch } | { error: [ErrorStatus, number, string] };

function checkParams(params: URLSearchParams, fields: Record<string, "url" | "method" | "name" | "sid">): Checked {
  const patch: Patch = {};
  for (const [name, kind] of Object.entries(fields)) {
    const value = params.get(name);
    if (value === null) continue;
    if (kind === "url" && value !== "" && !/^https?:\/\/[^\s/]+\S*$/.test(value)) return { error: [400, 21502, `${name} is not a valid URL: ${value.slice(0, 200)}`] };
    if (kind === "method" && !/^(GET|POST)$/i.test(value)) return { error: [400, 21502, `${name} must be GET or POST`] };
    if (kind === "name" && value.length > 64) return { error: [400, 21502, `${name} is longer than 64 characters`] };
    patch[name] = kind === "method" ? value.toUpperCase() : value;
  }
  return { patch };
}

// ---- IncomingPhoneNumbers ----

function numberResource(n: SimNumber) {
  return {
    account_sid: SIM_ACCOUNT_SID,
    address_requirements: "none",
    address_sid: null,
    api_version: "2010-04-01",
    beta: false,
    capabilities: { voice: true, sms: true, mms: true, fax: false },
    date_created: restDate(n.createdAt),
    date_updated: restDate(n.updatedAt),
    emergency_status: "Inactive",
    friendly_name: n.friendlyName,
    identity_sid: null,
    origin: "twilio",
    phone_number: n.phoneNumber,
    sid: n.sid,
    sms_application_sid: "",
    sms_fallback_method: "POST",
    sms_fallback_url: "",
    sms_method: "POST",
    sms_url: "",
    status: "in-use",
    status_callback: n.statusCallback,
    status_callback_method: n.statusCallbackMethod,
    trunk_sid: n.trunkSid,
    uri: `${base(SIM_ACCOUNT_SID)}/IncomingPhoneNumbers/${n.sid}.json`,
    voice_application_sid: n.voiceApplicationSid,
    voice_caller_id_lookup: false,
    voice_fallback_method: "POST",
    voice_fallback_url: "",
    voice_method: n.voiceMethod,
    voice_receive_mode: "voice",
    voice_url: n.voiceUrl,
  };
}

/** Twilio's PhoneNumber filter: digits, "*" standing for any one digit, matching anywhere in the number. */
function matchesNumber(phoneNumber: string, pattern: string): boolean {
  const digits = pattern.replace(/[^\d*]/g, "");
  if (!digits) return true;
  return new RegExp(digits.replace(/\*/g, "\\d")).test(phoneNumber.replace(/\D/g, ""));
}

accountRestRoutes.get("/IncomingPhoneNumbers.json", async (c) => {
  const refused = await authorize(c, true);
  if (refused) return refused;
  const phone = c.req.query("PhoneNumber");
  const name = c.req.query("FriendlyName");
  const numbers = (await carrier(c).accountNumbers(seededNumber(Date.now()))).filter((n) => (phone === undefined || matchesNumber(n.phoneNumber, phone)) && (name === undefined || n.friendlyName === name));
  return list(c, "incoming_phone_numbers", numbers.map(numberResource));
});

async function findNumber(c: Ctx): Promise<SimNumber | Response> {
  const refused = await authorize(c, true);
  if (refused) return refused;
  const sid = sidOf(c, "PN");
  const found = sid ? (await carrier(c).accountNumbers(seededNumber(Date.now()))).find((n) => n.sid === sid) : undefined;
  return found ?? restError(c, 404, 20404, `The requested resource ${c.req.path.replace(/^\/sim\/api/, "")} was not found`);
}

accountRestRoutes.get("/IncomingPhoneNumbers/:file", async (c) => {
  const found = await findNumber(c);
  return found instanceof Response ? found : c.json(numberResource(found));
});

accountRestRoutes.post("/IncomingPhoneNumbers/:file", async (c) => {
  const found = await findNumber(c);
  if (found instanceof Response) return found;
  const checked = checkParams(await form(c), {
    FriendlyName: "name",
    VoiceUrl: "url",
    VoiceMethod: "method",
    StatusCallback: "url",
    StatusCallbackMethod: "method",
    VoiceApplicationSid: "sid",
    TrunkSid: "sid",
  });
  if ("error" in checked) return restError(c, ...checked.error);
  const p = checked.patch;
  const next: SimNumber = { ...found, updatedAt: Date.now() };
  if (p.FriendlyName !== undefined) next.friendlyName = p.FriendlyName;
  if (p.VoiceUrl !== undefined) next.voiceUrl = p.VoiceUrl;
  if (p.VoiceMethod !== undefined) next.voiceMethod = p.VoiceMethod;
  if (p.StatusCallback !== undefined) next.statusCallback = p.StatusCallback;
  if (p.StatusCallbackMethod !== undefined) next.statusCallbackMethod = p.StatusCallbackMethod;
  if (p.VoiceApplicationSid !== undefined) {
    if (p.VoiceApplicationSid !== "" && !(await carrier(c).accountApp(p.VoiceApplicationSid))) {
      return restError(c, 400, 21502, `VoiceApplicationSid ${p.VoiceApplicationSid.slice(0, 40)} is not an application of this account`);
    }
    next.voiceApplicationSid = p.VoiceApplicationSid;
    // Twilio: "Setting a voice_application_sid will automatically delete your trunk_sid and vice versa."
    if (p.VoiceApplicationSid !== "") next.trunkSid = null;
  }
  if (p.TrunkSid !== undefined) {
    next.trunkSid = p.TrunkSid === "" ? null : p.TrunkSid;
    if (p.TrunkSid !== "") next.voiceApplicationSid = "";
  }
  await carrier(c).putAccountNumber(next);
  log("sim.number_updated", { sid: next.sid, voiceUrl: next.voiceUrl, statusCallback: next.statusCallback });
  return c.json(numberResource(next));
});

// ---- Applications (TwiML Apps) ----

function appResource(a: SimApp) {
  return {
    account_sid: SIM_ACCOUNT_SID,
    api_version: "2010-04-01",
    date_created: restDate(a.createdAt),
    date_updated: restDate(a.updatedAt),
    friendly_name: a.friendlyName,
    message_status_callback: null,
    public_application_connect_enabled: true,
    sid: a.sid,
    sms_fallback_method: "POST",
    sms_fallback_url: "",
    sms_method: "POST",
    sms_status_callback: "",
    sms_url: "",
    status_callback: a.statusCallback,
    status_callback_method: a.statusCallbackMethod,
    uri: `${base(SIM_ACCOUNT_SID)}/Applications/${a.sid}.json`,
    voice_caller_id_lookup: false,
    voice_fallback_method: "POST",
    voice_fallback_url: "",
    voice_method: a.voiceMethod,
    voice_url: a.voiceUrl,
  };
}

const APP_FIELDS = { FriendlyName: "name", VoiceUrl: "url", VoiceMethod: "method", StatusCallback: "url", StatusCallbackMethod: "method" } as const;

function applyApp(a: SimApp, p: Patch): SimApp {
  return {
    ...a,
    friendlyName: p.FriendlyName ?? a.friendlyName,
    voiceUrl: p.VoiceUrl ?? a.voiceUrl,
    voiceMethod: p.VoiceMethod ?? a.voiceMethod,
    statusCallback: p.StatusCallback ?? a.statusCallback,
    statusCallbackMethod: p.StatusCallbackMethod ?? a.statusCallbackMethod,
  };
}

accountRestRoutes.get("/Applications.json", async (c) => {
  const refused = await authorize(c, true);
  if (refused) return refused;
  const name = c.req.query("FriendlyName");
  const apps = (await carrier(c).accountApps()).filter((a) => name === undefined || a.friendlyName === name);
  return list(c, "applications", apps.sort((a, b) => a.createdAt - b.createdAt).map(appResource));
});

accountRestRoutes.post("/Applications.json", async (c) => {
  const refused = await authorize(c, true);
  if (refused) return refused;
  const checked = checkParams(await form(c), APP_FIELDS);
  if ("error" in checked) return restError(c, ...checked.error);
  const now = Date.now();
  const empty: SimApp = { sid: newSid("AP"), friendlyName: "", voiceUrl: "", voiceMethod: "POST", statusCallback: "", statusCallbackMethod: "POST", createdAt: now, updatedAt: now };
  const app = applyApp(empty, checked.patch);
  await carrier(c).putAccountApp(app);
  log("sim.app_created", { sid: app.sid, voiceUrl: app.voiceUrl });
  return c.json(appResource(app), 201);
});

async function findApp(c: Ctx): Promise<SimApp | Response> {
  const refused = await authorize(c, true);
  if (refused) return refused;
  const sid = sidOf(c, "AP");
  const found = sid ? await carrier(c).accountApp(sid) : null;
  return found ?? restError(c, 404, 20404, `The requested resource ${c.req.path.replace(/^\/sim\/api/, "")} was not found`);
}

accountRestRoutes.get("/Applications/:file", async (c) => {
  const found = await findApp(c);
  return found instanceof Response ? found : c.json(appResource(found));
});

accountRestRoutes.post("/Applications/:file", async (c) => {
  const found = await findApp(c);
  if (found instanceof Response) return found;
  const checked = checkParams(await form(c), APP_FIELDS);
  if ("error" in checked) return restError(c, ...checked.error);
  const app = { ...applyApp(found, checked.patch), updatedAt: Date.now() };
  await carrier(c).putAccountApp(app);
  log("sim.app_updated", { sid: app.sid, voiceUrl: app.voiceUrl });
  return c.json(appResource(app));
});

// ---- Keys (standard API keys) ----

function keyResource(k: SimKey) {
  return { sid: k.sid, friendly_name: k.friendlyName, date_created: restDate(k.createdAt), date_updated: restDate(k.updatedAt) };
}

accountRestRoutes.get("/Keys.json", async (c) => {
  const refused = await authorize(c, false);
  if (refused) return refused;
  const keys = (await carrier(c).accountKeys()).sort((a, b) => a.createdAt - b.createdAt);
  return list(c, "keys", keys.map(keyResource));
});

accountRestRoutes.post("/Keys.json", async (c) => {
  const refused = await authorize(c, false);
  if (refused) return refused;
  const checked = checkParams(await form(c), { FriendlyName: "name" });
  if ("error" in checked) return restError(c, ...checked.error);
  const now = Date.now();
  // Twilio's key secrets are 32 characters; only this answer ever carries one.
  const key: SimKey = { sid: newSid("SK"), friendlyName: checked.patch.FriendlyName ?? "", secret: randomHex(16), createdAt: now, updatedAt: now };
  await carrier(c).putAccountKey(key);
  log("sim.key_created", { sid: key.sid });
  return c.json({ ...keyResource(key), secret: key.secret }, 201);
});

accountRestRoutes.get("/Keys/:file", async (c) => {
  const refused = await authorize(c, false);
  if (refused) return refused;
  const sid = sidOf(c, "SK");
  const found = sid ? await carrier(c).accountKey(sid) : null;
  return found ? c.json(keyResource(found)) : restError(c, 404, 20404, `The requested resource ${c.req.path.replace(/^\/sim\/api/, "")} was not found`);
});
