// Every route of the app, fed bad input as a signed-in agent (an admin for admin routes) or as Twilio
// (correctly signed): malformed and wrongly typed JSON, wrong content types, 1 MiB and binary bodies,
// hostile path parameters and queries. The contract: never a 5xx; a refusal is a 4xx with a JSON
// `{ error }` (a Twilio route may instead answer TwiML that hangs up); and nothing changes.
import { env, SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { createSession, sessionCookie } from "../../worker/auth/sessions";
import { app } from "../../worker/index";
import { LOCAL_ACCOUNT_SID } from "../../worker/config";
import { callRecordings, voicemails } from "../../worker/db/schema";
import { sign } from "../../worker/twilio/signature";
import { CARRIER_NAME } from "../../simulator/SimCarrier";
import { AUTH_TOKEN, createAgents, db, incomingCall, newCallSid, online, ORIGIN, PASSWORD, type TestAgent, unique } from "../worker/helpers";
import { type BodyCase, bodiesForBodyless, brokenObjects, type JsonObject, MIB, notAnObject, wrongContentTypes } from "./payloads";
import { Prng } from "./prng";
import { settled } from "./state";

/** What every test starts from: an agent rung by a waiting caller, a colleague, and an admin. */
interface World {
  agent: TestAgent;
  other: TestAgent;
  admin: TestAgent;
  /** A caller waiting in their lobby, ringing `agent` and `other`. */
  callSid: string;
  /** An earlier caller's voicemail, its recording kept at the (simulated) carrier. */
  voicemailId: string;
  recordingSid: string;
  /** Another earlier voicemail, already handled by `other`. */
  handledVoicemailId: string;
  /** An earlier call with a saved recording, its media kept at the (simulated) carrier. */
  recordedCallSid: string;
}

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

interface Route {
  method: Method;
  /** Hono's pattern, as `app.routes` lists it. */
  path: string;
  /** Who sends it: the signed-in agent, an admin, Twilio (signed), nobody, or a test driving the simulator. */
  as: "agent" | "admin" | "twilio" | "public" | "simulator";
  /**
   * json: a strict JSON body (`template` is a valid one); bodyless: acts as the session's agent and
   * refuses any body; form: Twilio's form parameters (`form` valid, `breaks` invalid values of the
   * fields it requires); reads-none: reads no body (a GET, or a DELETE at a target that does not exist).
   */
  body: "json" | "bodyless" | "form" | "reads-none";
  /** Path parameters of a real target (a target that does not exist for reads-none writes). */
  params?: (w: World) => Record<string, string>;
  template?: (w: World) => JsonObject;
  form?: (w: World) => Record<string, string>;
  breaks?: Record<string, readonly string[]>;
  /** Fields of `breaks` the route may go without (Twilio does not always send them). */
  optional?: readonly string[];
  /** A valid query; with it, the route is also sent broken ones. */
  query?: string;
  badQueries?: readonly string[];
  /** The simulator's stand-in for Twilio's REST API: Basic auth, and Twilio's error body. */
  rest?: boolean;
  /** A create whose every parameter is optional, as in Twilio's API: any body makes a (simulated) resource. */
  anyBody?: boolean;
}

const A = "AC" + "0".repeat(32);
/** CallSids that are not: Twilio's are "CA" and 32 hex digits. */
const NOT_A_SID = ["", "CA" + "0".repeat(31), "CA" + "0".repeat(33), "ca" + "0".repeat(32), "CA" + "g".repeat(32), "CA" + "é".repeat(32), "'; DROP TABLE calls; --", "x".repeat(5000), "CA" + "0".repeat(32) + "\n"];
// (Numeric spellings of 1 such as "0x1" or "1e0" are the same generation, and the signature covers the URL.)
const GEN_QUERIES = ["", "?gen=0", "?gen=-1", "?gen=abc", "?gen=1.5", "?gen=1e7", "?gen=", "?gen=%00", "?gen=abc&gen=1", "?gen=" + "9".repeat(400)];
const form = (w: World, extra: Record<string, string> = {}) => ({ AccountSid: A, CallSid: w.callSid, ...extra });

const SID_PREFIX = { IncomingPhoneNumbers: "PN", Applications: "AP", Keys: "SK" } as const;

/** A resource of the simulator's account REST API (what `npm run setup:twilio` drives), at a SID it does not have. */
function simRest(method: Method, tail: string, prefix?: string): Route {
  return {
    method,
    path: "/sim/api/2010-04-01/Accounts/:account/" + tail,
    as: "simulator",
    body: "reads-none",
    rest: true,
    anyBody: method === "POST" && !prefix,
    params: () => ({ account: LOCAL_ACCOUNT_SID, ...(prefix ? { file: prefix + "5".repeat(32) + ".json" } : {}) }),
  };
}

// One row per route of the app: a new route is a new row (the first test fails until it has one).
const ROUTES: Route[] = [
  { method: "GET", path: "/healthz", as: "public", body: "reads-none" },
  // ---- sessions and the signed-in agent ----
  { method: "POST", path: "/api/session", as: "public", body: "json", template: (w) => ({ email: w.agent.email, password: PASSWORD }) },
  { method: "DELETE", path: "/api/session", as: "agent", body: "reads-none" },
  { method: "GET", path: "/api/me", as: "agent", body: "reads-none" },
  { method: "PUT", path: "/api/me/phone", as: "agent", body: "json", template: () => ({ ready: false, reason: "fuzz" }) },
  { method: "PUT", path: "/api/me/availability", as: "agent", body: "json", template: () => ({ available: false }) },
  { method: "POST", path: "/api/me/ready", as: "agent", body: "bodyless" },
  { method: "PUT", path: "/api/me/status", as: "agent", body: "json", template: () => ({ status: "away", reason: "Lunch" }) },
  { method: "GET", path: "/api/console", as: "agent", body: "reads-none" },
  { method: "GET", path: "/api/voice-token", as: "agent", body: "reads-none" },
  { method: "GET", path: "/api/voicemails", as: "agent", body: "reads-none" },
  { method: "GET", path: "/api/voicemails/:id/audio", as: "agent", body: "reads-none", params: (w) => ({ id: w.voicemailId }) },
  // A null template: a broken agentId is then any other type, or a string that is no active agent.
  { method: "PUT", path: "/api/voicemails/:id/assignee", as: "agent", body: "json", params: (w) => ({ id: w.voicemailId }), template: () => ({ agentId: null }) },
  // The note is optional, so `{}` is valid: sent at a voicemail already handled, every case is refused (409 at best).
  { method: "POST", path: "/api/voicemails/:id/handled", as: "agent", body: "json", params: (w) => ({ id: w.handledVoicemailId }), template: () => ({ note: "Called back" }) },
  { method: "POST", path: "/api/voicemails/:id/reopen", as: "agent", body: "bodyless", params: (w) => ({ id: w.handledVoicemailId }) },
  // ---- agents (admin) ----
  { method: "GET", path: "/api/agents", as: "admin", body: "reads-none" },
  { method: "POST", path: "/api/agents", as: "admin", body: "json", template: () => ({ name: "New Agent", email: `${unique("new")}@example.test`, password: "a long enough password", role: "admin" }) },
  { method: "PATCH", path: "/api/agents/:id", as: "admin", body: "json", params: (w) => ({ id: w.other.id }), template: () => ({ name: "Renamed", role: "admin" }) },
  { method: "DELETE", path: "/api/agents/:id", as: "admin", body: "reads-none", params: () => ({ id: unique("nobody") }) },
  // ---- calls ----
  { method: "POST", path: "/api/calls/:sid/claim", as: "agent", body: "bodyless", params: (w) => ({ sid: w.callSid }) },
  { method: "POST", path: "/api/calls/:sid/decline", as: "agent", body: "bodyless", params: (w) => ({ sid: w.callSid }) },
  { method: "POST", path: "/api/calls/:sid/release", as: "agent", body: "json", params: (w) => ({ sid: w.callSid }), template: () => ({ reason: "the microphone is blocked" }) },
  { method: "POST", path: "/api/calls/:sid/hangup", as: "agent", body: "bodyless", params: (w) => ({ sid: w.callSid }) },
  { method: "POST", path: "/api/calls/:sid/park", as: "agent", body: "bodyless", params: (w) => ({ sid: w.callSid }) },
  { method: "POST", path: "/api/calls/:sid/retrieve", as: "agent", body: "bodyless", params: (w) => ({ sid: w.callSid }) },
  { method: "POST", path: "/api/calls/:sid/transfer", as: "agent", body: "json", params: (w) => ({ sid: w.callSid }), template: (w) => ({ to: w.other.id }) },
  { method: "GET", path: "/api/calls/:sid", as: "agent", body: "reads-none", params: (w) => ({ sid: w.callSid }) },
  // Only broken bodies are sent: a valid one would place a (simulated) call.
  { method: "POST", path: "/api/calls/dial", as: "agent", body: "json", template: () => ({ to: "+15551230009" }) },
  { method: "GET", path: "/api/calls/:sid/recording/audio", as: "agent", body: "reads-none", params: (w) => ({ sid: w.recordedCallSid }) },
  { method: "PUT", path: "/api/calls/:sid/note", as: "agent", body: "json", params: (w) => ({ sid: w.callSid }), template: () => ({ note: "Called about an invoice", outcome: "Resolved" }) },
  // ---- settings ----
  { method: "GET", path: "/api/settings/recording", as: "agent", body: "reads-none" },
  { method: "PUT", path: "/api/settings/recording", as: "admin", body: "json", template: () => ({ enabled: false, announcement: "This call may be recorded." }) },
  { method: "GET", path: "/api/settings/away-reasons", as: "agent", body: "reads-none" },
  { method: "PUT", path: "/api/settings/away-reasons", as: "admin", body: "json", template: () => ({ reasons: ["Break", "Lunch", "Training", "Meeting"] }) },
  { method: "GET", path: "/api/settings/call-outcomes", as: "agent", body: "reads-none" },
  { method: "PUT", path: "/api/settings/call-outcomes", as: "admin", body: "json", template: () => ({ outcomes: ["Resolved", "Follow-up", "Spam"] }) },
  { method: "GET", path: "/api/settings/time-zone", as: "agent", body: "reads-none" },
  { method: "PUT", path: "/api/settings/time-zone", as: "admin", body: "json", template: () => ({ timeZone: "UTC" }) },
  // ---- reports (supervisors and admins; an agent gets 403: test/worker/reports-routes-integration.test.ts) ----
  { method: "GET", path: "/api/reports/today", as: "admin", body: "reads-none" },
  { method: "GET", path: "/api/reports/summary", as: "admin", body: "reads-none" },
  { method: "GET", path: "/api/reports/agents", as: "admin", body: "reads-none" },
  { method: "GET", path: "/api/reports/calls", as: "admin", body: "reads-none" },
  { method: "GET", path: "/api/reports/calls/:sid", as: "admin", body: "reads-none", params: (w) => ({ sid: w.callSid }) },
  // ---- Twilio's webhooks ----
  { method: "POST", path: "/twilio/voice", as: "twilio", body: "form", form: (w) => form(w, { From: "+15551230001", To: "+15559990000" }), breaks: { CallSid: NOT_A_SID } },
  {
    method: "POST",
    path: "/twilio/connect",
    as: "twilio",
    body: "form",
    form: (w) => ({ AccountSid: A, CallSid: newCallSid(), From: `client:${w.agent.id}`, callerSid: w.callSid, ticket: "a-ticket-that-is-not" }),
    // Each of these is malformed before any call session is asked (a wrong ticket is an audited refusal).
    breaks: { CallSid: NOT_A_SID, From: ["", "+15551230001", "client:", "client:a-b", "client:" + "a".repeat(122), "CLIENT:agent"], callerSid: NOT_A_SID, ticket: ["t".repeat(201), "x".repeat(5000)] },
    // Without a ticket the connect reaches the call session, which refuses it and audits the attempt.
    optional: ["ticket"],
  },
  { method: "POST", path: "/twilio/wait", as: "twilio", body: "form", query: "?gen=1", badQueries: [...GEN_QUERIES, "?gen=1&n=-1", "?gen=1&n=abc", "?gen=1&said=x", "?gen=1&n=1e9"], form: (w) => form(w), breaks: { CallSid: NOT_A_SID } },
  {
    method: "POST",
    path: "/twilio/conference",
    as: "twilio",
    body: "form",
    query: "?gen=1",
    badQueries: GEN_QUERIES,
    // An event the route ignores: a query that slipped through would still change nothing it should not.
    form: (w) => ({ AccountSid: A, FriendlyName: w.callSid, StatusCallbackEvent: "conference-start", CallSid: "", ParticipantLabel: "" }),
    breaks: { FriendlyName: NOT_A_SID, StatusCallbackEvent: [""] },
  },
  { method: "POST", path: "/twilio/lobby-ended", as: "twilio", body: "form", query: "?gen=1", badQueries: GEN_QUERIES, form: (w) => form(w, { CallStatus: "in-progress" }), breaks: { CallSid: NOT_A_SID } },
  { method: "POST", path: "/twilio/outbound", as: "twilio", body: "form", badQueries: ["?n=-1", "?n=abc", "?n=1e9"], form: (w) => form(w, { From: "+15550100000", To: "+15551230009" }), breaks: { CallSid: NOT_A_SID } },
  { method: "POST", path: "/twilio/call-status", as: "twilio", body: "form", form: (w) => form(w, { CallStatus: "completed" }), breaks: { CallSid: NOT_A_SID, CallStatus: [""] } },
  {
    method: "POST",
    path: "/twilio/call-recording-status",
    as: "twilio",
    body: "form",
    form: (w) => form(w, { RecordingSid: "RE" + "5".repeat(32), RecordingUrl: "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE5", RecordingStatus: "completed", RecordingDuration: "4" }),
    breaks: { CallSid: NOT_A_SID, RecordingSid: ["", "RE" + "5".repeat(31), "RE" + "g".repeat(32), "../" + "5".repeat(32)], RecordingStatus: [""], RecordingDuration: ["-1", "abc", "1.5", "1e400"] },
    optional: ["RecordingDuration"],
  },
  { method: "POST", path: "/twilio/voicemail/recorded", as: "twilio", body: "form", form: (w) => form(w, { RecordingDuration: "4" }), breaks: { CallSid: NOT_A_SID } },
  {
    method: "POST",
    path: "/twilio/voicemail/recording-status",
    as: "twilio",
    body: "form",
    form: (w) => form(w, { RecordingSid: "RE" + "1".repeat(32), RecordingUrl: "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE1", RecordingStatus: "completed", RecordingDuration: "4" }),
    breaks: { CallSid: NOT_A_SID, RecordingSid: [""], RecordingUrl: ["", "not a url", "//no-scheme"], RecordingDuration: ["-1", "abc", "1.5", "1e400"] },
    optional: ["RecordingDuration"],
  },
  {
    method: "POST",
    path: "/twilio/voicemail/transcription",
    as: "twilio",
    body: "form",
    form: (w) => form(w, { RecordingSid: "RE" + "2".repeat(32), RecordingUrl: "https://api.twilio.com/2010-04-01/Accounts/AC0/Recordings/RE2", TranscriptionStatus: "completed", TranscriptionText: "hello" }),
    breaks: { CallSid: NOT_A_SID, RecordingSid: [""], RecordingUrl: ["", "not a url"] },
  },
  // ---- the carrier simulator (simulator mode only; it stands in for Twilio in tests and `npm run dev`) ----
  { method: "POST", path: "/sim/calls", as: "simulator", body: "json", template: () => ({ from: "+15551230001", speed: 10 }) },
  { method: "GET", path: "/sim/calls", as: "simulator", body: "reads-none" },
  { method: "GET", path: "/sim/calls/:sid", as: "simulator", body: "reads-none", params: () => ({ sid: newCallSid() }) },
  { method: "GET", path: "/sim/conferences/:name", as: "simulator", body: "reads-none", params: (w) => ({ name: w.callSid }) },
  { method: "POST", path: "/sim/calls/:sid/hangup", as: "simulator", body: "reads-none", params: () => ({ sid: newCallSid() }) },
  { method: "GET", path: "/sim/phone", as: "simulator", body: "reads-none" },
  { method: "GET", path: "/sim/recordings/:sid", as: "simulator", body: "reads-none", params: () => ({ sid: "RE" + "3".repeat(32) }) },
  { method: "POST", path: "/sim/faults", as: "simulator", body: "json", template: (w) => ({ callSid: w.callSid, fault: "500", times: 2 }) },
  { method: "GET", path: "/sim/faults", as: "simulator", body: "reads-none" },
  { method: "DELETE", path: "/sim/faults", as: "simulator", body: "reads-none" },
  { method: "PUT", path: "/sim/callees", as: "simulator", body: "json", template: () => ({ number: "+15551230009", answer: "decline", afterSeconds: 1 }) },
  simRest("POST", "Calls.json"),
  // At a call the simulator does not have: refused (20404) whatever the body.
  { method: "POST", path: "/sim/api/2010-04-01/Accounts/:account/Calls/:sid/Recordings.json", as: "simulator", body: "reads-none", rest: true, params: () => ({ account: LOCAL_ACCOUNT_SID, sid: newCallSid() }) },
  { method: "GET", path: "/sim/api/2010-04-01/Accounts/:account/Calls/:sid/Recordings.json", as: "simulator", body: "reads-none", rest: true, params: () => ({ account: LOCAL_ACCOUNT_SID, sid: newCallSid() }) },
  { method: "GET", path: "/sim/api/2010-04-01/Accounts/:account/Calls/:file", as: "simulator", body: "reads-none", rest: true, params: () => ({ account: LOCAL_ACCOUNT_SID, file: newCallSid() + ".json" }) },
  { method: "POST", path: "/sim/api/2010-04-01/Accounts/:account/Calls/:file", as: "simulator", body: "reads-none", rest: true, params: () => ({ account: LOCAL_ACCOUNT_SID, file: newCallSid() + ".json" }) },
  ...(["IncomingPhoneNumbers", "Applications", "Keys"] as const).flatMap((kind) => [
    simRest("GET", `${kind}.json`),
    ...(kind === "IncomingPhoneNumbers" ? [] : [simRest("POST", `${kind}.json`)]),
    simRest("GET", `${kind}/:file`, SID_PREFIX[kind]),
    ...(kind === "Keys" ? [] : [simRest("POST", `${kind}/:file`, SID_PREFIX[kind])]),
  ]),
  { method: "GET", path: "/sim/api/2010-04-01/Accounts/:account/Recordings/:file", as: "simulator", body: "reads-none", rest: true, params: (w) => ({ account: LOCAL_ACCOUNT_SID, file: w.recordingSid + ".wav" }) },
  { method: "DELETE", path: "/sim/api/2010-04-01/Accounts/:account/Recordings/:file", as: "simulator", body: "reads-none", rest: true, params: () => ({ account: LOCAL_ACCOUNT_SID, file: "RE" + "4".repeat(32) + ".json" }) },
];

/** Path parameters no route may trip over: too long, traversal, unicode, SQL, broken escapes. */
const HOSTILE_PARAMS: readonly { name: string; raw: string }[] = [
  ...["x".repeat(4096), "..", "../x", "☎️电话", "\u202e\u0000", "'; DROP TABLE agents; --", "1 OR 1=1", "\" or \"\"=\"", "CA" + "0".repeat(31), "%", "null", "__proto__", "constructor"].map((v) => ({
    name: `param ${JSON.stringify(v.slice(0, 24))}${v.length > 24 ? "…" : ""}`,
    raw: encodeURIComponent(v),
  })),
  // Sent as is: escapes the router and the handlers must decode (or refuse) themselves.
  ...["..%2F..%2Fagents", "%2e%2e", "%00", "%E0%A4%A", "%", "a%2Fb"].map((raw) => ({ name: `raw param ${raw}`, raw })),
];

const QUERIES = ["?x=%00", "?seconds=1e308", "?seconds=-1", "?seconds=NaN", "?gen=abc", "?__proto__[role]=admin", "?a=" + "x".repeat(6000), "?%E0%A4%A=1", "?a&a&a=b=c"];

function fill(path: string, params: Record<string, string>): string {
  return path.replace(/:([A-Za-z]+)/g, (_, k: string) => {
    const v = params[k];
    if (v === undefined) throw new Error(`no value for :${k} in ${path}`);
    return encodeURIComponent(v);
  });
}

interface Case {
  name: string;
  /** Path and query, already encoded. */
  url: string;
  body: BodyCase | null;
  /** refused: a 4xx (or a Twilio hang-up); any: whatever it answers, it is no 5xx and no change. */
  expect: "refused" | "any";
  headers?: Record<string, string>;
}

/** A read may find nothing (or a simulator resource of any name); a write must refuse. */
function hostilePaths(route: Route, w: World, body: BodyCase | null): Case[] {
  if (!route.params) return [];
  const valid = route.params(w);
  const expectation = route.method === "GET" ? "any" : "refused";
  return Object.keys(valid).flatMap((key) =>
    HOSTILE_PARAMS.map((p) => ({ name: `${key}: ${p.name}`, url: fill(route.path, { ...valid, [key]: "\u0001" }).replace("%01", p.raw), body, expect: expectation })),
  );
}

function apiCases(route: Route, w: World, rng: Prng): Case[] {
  const url = route.params ? fill(route.path, route.params(w)) : route.path;
  const at = (cases: BodyCase[], expectation: Case["expect"] = "refused"): Case[] => cases.map((b) => ({ name: b.name, url, body: b, expect: expectation }));
  if (route.body === "json") {
    const template = route.template!(w);
    const validBody: BodyCase = { name: "valid", body: JSON.stringify(template), contentType: "application/json" };
    return [...at(notAnObject(rng, template)), ...at(brokenObjects(rng, template, 24)), ...at(wrongContentTypes(template)), ...hostilePaths(route, w, validBody)];
  }
  if (route.body === "bodyless") return [...at(bodiesForBodyless(rng)), ...hostilePaths(route, w, null)];
  // reads-none
  if (route.method === "GET") {
    return [
      ...hostilePaths(route, w, null),
      ...QUERIES.map((q) => ({ name: `query ${q.slice(0, 30)}`, url: url + q, body: null, expect: "any" as const })),
      ...[
        { "Content-Type": "application/json" },
        ...["bytes=-1-", "bytes=99999999999-", "bytes=5-1", "bytes=0-0", "bytes=0-1,4-5", "bytes=abc", "items=0-1", "bytes=-0", "bytes=" + "9".repeat(400) + "-"].map((r) => ({ Range: r })),
        { "If-None-Match": "*" },
        { Accept: "text/html;q=0.1, */*;q=abc" },
      ].map((h) => ({
        name: `header ${JSON.stringify(h)}`,
        url,
        body: null,
        expect: "any" as const,
        headers: h,
      })),
    ];
  }
  // A write that reads no body, at a target that does not exist: refused whatever is sent with it.
  const expectation = route.params && !route.anyBody ? "refused" : "any";
  return [...at(notAnObject(rng, { id: "x" }), expectation), ...at(bodiesForBodyless(rng).slice(-3), expectation), ...hostilePaths(route, w, null)];
}

function twilioCases(route: Route, w: World, rng: Prng): { name: string; query: string; body: BodyCase }[] {
  const valid = route.form!(w);
  const query = route.query ?? "";
  const formCase = (name: string, params: Record<string, string>, contentType: string | null = "application/x-www-form-urlencoded"): { name: string; query: string; body: BodyCase } => ({
    name,
    query,
    body: { name, body: new URLSearchParams(params).toString(), contentType },
  });
  const cases = [];
  for (const [field, bads] of Object.entries(route.breaks ?? {})) {
    for (const bad of bads) cases.push(formCase(`${field} = ${JSON.stringify(bad.slice(0, 30))}`, { ...valid, [field]: bad }));
    const { [field]: _dropped, ...rest } = valid;
    if (!route.optional?.includes(field)) cases.push(formCase(`without ${field}`, rest));
  }
  const fields = Object.keys(route.breaks ?? {});
  for (let i = 0; i < 20; i++) {
    const field = rng.pick(fields);
    const extra = Object.fromEntries(Array.from({ length: rng.int(0, 3) }, () => [rng.text(rng.int(1, 10)), rng.text(rng.int(0, 50))]));
    cases.push(formCase(`random #${i}: ${field} broken, ${Object.keys(extra).length} unknown params`, { ...valid, ...extra, [field]: rng.pick(route.breaks![field]!) }));
  }
  const broken = { ...valid, [fields[0]!]: route.breaks![fields[0]!]![0]! };
  // Twilio's body is always a form: anything else parses into parameters the route does not know.
  const multipart = new FormData();
  for (const [k, v] of Object.entries(valid)) multipart.append(k, v);
  cases.push(
    { name: "JSON body", query, body: { name: "JSON", body: JSON.stringify(valid), contentType: "application/json" } },
    { name: "multipart body", query, body: { name: "multipart", body: multipart, contentType: null } },
    { name: "empty body", query, body: { name: "empty", body: "", contentType: "application/x-www-form-urlencoded" } },
    { name: "broken form as text/plain", query, body: { name: "text", body: new URLSearchParams(broken).toString(), contentType: "text/plain" } },
    { name: "duplicate CallSid, the last broken", query, body: { name: "dup", body: `CallSid=${w.callSid}&` + new URLSearchParams(broken).toString(), contentType: "application/x-www-form-urlencoded" } },
    { name: "1 MiB form", query, body: { name: "huge", body: new URLSearchParams({ ...broken, Pad: "x".repeat(MIB) }).toString(), contentType: "application/x-www-form-urlencoded" } },
    ...Array.from({ length: 6 }, (_, i) => ({ name: `binary garbage #${i}`, query, body: { name: "binary", body: Uint8Array.from([0xff, ...rng.bytes(rng.int(1, 2048))]), contentType: rng.pick(["application/x-www-form-urlencoded", null]) } })),
  );
  for (const q of route.badQueries ?? []) cases.push({ ...formCase(`query ${JSON.stringify(q.slice(0, 30))}`, valid), query: q });
  return cases;
}

/** What an answer may be; a string says what is wrong with it. */
async function judge(res: Response, expectation: "refused" | "any", hangupAllowed: boolean): Promise<string | null> {
  const text = await res.text();
  const type = res.headers.get("Content-Type") ?? "";
  const said = `${res.status} ${type} ${text.slice(0, 160)}`;
  if (res.status >= 500) return `a ${said}`;
  // A byte range past the end: RFC 9110 §15.5.17's answer, with the length the client may ask within.
  if (res.status === 416 && /^bytes \*\/\d+$/.test(res.headers.get("Content-Range") ?? "")) return null;
  if (hangupAllowed && res.status === 200 && type.includes("xml") && /<Response><Hangup\/><\/Response>$/.test(text)) return null;
  if (res.status >= 400) {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return `an error without a JSON body: ${said}`;
    }
    const ok = typeof body === "object" && body !== null && ("error" in body ? typeof body.error === "string" : "code" in body && "message" in body);
    return ok ? null : `an error body without { error }: ${said}`;
  }
  return expectation === "refused" ? `accepted: ${said}` : null;
}

async function world(): Promise<World> {
  const [agent, other] = await createAgents(2);
  const [admin] = await createAgents(1, { role: "admin" });
  await env.SIM_CARRIER.getByName(CARRIER_NAME).clearFaults();
  await online([agent, other]);
  const { callSid, res, xml } = await incomingCall();
  expect(res.status, xml).toBe(200);
  const recordingSid = "RE" + crypto.randomUUID().replaceAll("-", "");
  const voicemailId = unique("vm");
  const earlier = newCallSid();
  await env.SIM_CARRIER.getByName(CARRIER_NAME).addRecording({ recordingSid, callSid: earlier, accountSid: LOCAL_ACCOUNT_SID, seconds: 2, createdAt: Date.now() });
  await db()
    .insert(voicemails)
    .values({ id: voicemailId, callSid: earlier, recordingSid, recordingUrl: `https://api.twilio.com/2010-04-01/Accounts/${A}/Recordings/${recordingSid}`, durationSeconds: 2, createdAt: Date.now() });
  const handledVoicemailId = unique("vmh");
  await db()
    .insert(voicemails)
    .values({ id: handledVoicemailId, callSid: newCallSid(), recordingSid: handledVoicemailId, recordingUrl: "https://api.twilio.com/x", durationSeconds: 1, createdAt: Date.now(), status: "handled", handledBy: other.id, handledAt: Date.now() });
  const recordedCallSid = newCallSid();
  const callRecordingSid = "RE" + crypto.randomUUID().replaceAll("-", "");
  await env.SIM_CARRIER.getByName(CARRIER_NAME).addRecording({ recordingSid: callRecordingSid, callSid: recordedCallSid, accountSid: LOCAL_ACCOUNT_SID, seconds: 3, createdAt: Date.now(), channels: 2, source: "StartCallRecordingAPI" });
  await db().insert(callRecordings).values({ recordingSid: callRecordingSid, callSid: recordedCallSid, durationSeconds: 3, createdAt: Date.now() });
  return { agent, other, admin, callSid, voicemailId, recordingSid, handledVoicemailId, recordedCallSid };
}

function cookieOf(route: Route, w: World): string | null {
  if (route.as === "admin") return w.admin.cookie;
  if (route.as === "agent" || route.as === "simulator") return w.agent.cookie;
  return null;
}

async function send(route: Route, w: World, c: Case, cookie = cookieOf(route, w)): Promise<Response> {
  const headers = new Headers({ Origin: ORIGIN, ...c.headers });
  if (cookie) headers.set("Cookie", cookie);
  if (route.rest) headers.set("Authorization", "Basic " + btoa(`${LOCAL_ACCOUNT_SID}:${AUTH_TOKEN}`));
  if (c.body?.contentType) headers.set("Content-Type", c.body.contentType);
  return SELF.fetch(ORIGIN + c.url, { method: route.method, headers, body: c.body?.body ?? undefined });
}

/** Signed exactly as Twilio signs: over the URL and the form parameters the body parses into. */
async function sendSigned(route: Route, c: { query: string; body: BodyCase }): Promise<Response> {
  const url = ORIGIN + route.path + c.query;
  const draft = new Request(url, { method: "POST", body: c.body.body, headers: c.body.contentType ? { "Content-Type": c.body.contentType } : {} });
  const raw = await draft.clone().arrayBuffer();
  const params = Object.fromEntries(new URLSearchParams(new TextDecoder().decode(raw)));
  const headers = new Headers(draft.headers);
  headers.set("X-Twilio-Signature", sign(AUTH_TOKEN, url, params));
  return SELF.fetch(url, { method: "POST", headers, body: raw });
}

const key = (r: { method: string; path: string }) => `${r.method} ${r.path}`;

describe("the route table", () => {
  it("lists every route of the app, and no route the app does not have", () => {
    const served = new Set(app.routes.filter((r) => r.method !== "ALL").map(key));
    const listed = new Set(ROUTES.map(key));
    expect([...served].filter((r) => !listed.has(r)), "routes missing from ROUTES in test/security/route-fuzz.test.ts").toEqual([]);
    expect([...listed].filter((r) => !served.has(r)), "ROUTES rows of routes the app no longer has").toEqual([]);
  });
});

describe("every route, fed bad input", () => {
  it.each(ROUTES.filter((r) => key(r) !== "DELETE /api/session").map((r) => [key(r), r] as const))("%s: no 5xx, a JSON error, nothing changed", async (name, route) => {
    const w = await world();
    // Seeded by the route: a failure names a case that is the same on every run.
    const rng = new Prng([...name].reduce((h, ch) => (Math.imul(h, 31) + ch.charCodeAt(0)) | 0, 7));
    const callSids = [w.callSid];
    const before = await settled({ callSids });
    const faults = await env.SIM_CARRIER.getByName(CARRIER_NAME).faults();
    const problems: string[] = [];
    let count = 0;
    if (route.body === "form") {
      for (const c of twilioCases(route, w, rng)) {
        const res = await sendSigned(route, c);
        // A refused signature would make the case test nothing: each must reach the route's own checks.
        const problem = res.status === 403 ? `the signature was refused: ${await res.text()}` : await judge(res, "refused", route.path === "/twilio/connect");
        if (problem) problems.push(`${c.name}: ${problem}`);
        count++;
      }
    } else {
      for (const c of apiCases(route, w, rng)) {
        const res = await send(route, w, c);
        // A refused session (or a refused origin) would make the case test nothing.
        const vacuous = (res.status === 401 && route.as !== "public") || (res.status === 403 && /origin|cross-site/i.test(await res.clone().text()));
        const problem = vacuous ? `never reached the route: ${res.status} ${await res.text()}` : await judge(res, c.expect, false);
        if (problem) problems.push(`${c.name}: ${problem}`);
        count++;
      }
    }
    expect(problems).toEqual([]);
    expect(count).toBeGreaterThanOrEqual(10);
    expect(await settled({ callSids })).toEqual(before);
    expect(await env.SIM_CARRIER.getByName(CARRIER_NAME).faults()).toEqual(faults);
  });

  it("DELETE /api/session: whatever body comes with a sign-out, no 5xx and nothing else changes", async () => {
    const w = await world();
    const rng = new Prng(12);
    const route = ROUTES.find((r) => key(r) === "DELETE /api/session")!;
    const before = await settled({ callSids: [w.callSid], sessions: false });
    const problems: string[] = [];
    for (const b of [...notAnObject(rng, { agentId: w.other.id }), ...bodiesForBodyless(rng)]) {
      // A fresh session for each: the one sign-out it may end is its own.
      const { token } = await createSession(db(), w.agent.id, 60_000, Date.now());
      const res = await send(route, w, { name: b.name, url: route.path, body: b, expect: "any" }, `${sessionCookie(ORIGIN).name}=${token}`);
      const problem = res.status === 401 ? "the fresh session was not accepted" : await judge(res, "any", false);
      if (problem) problems.push(`${b.name}: ${problem}`);
    }
    expect(problems).toEqual([]);
    expect(await settled({ callSids: [w.callSid], sessions: false })).toEqual(before);
  });
});
