// `npm run setup:twilio`: points a Twilio account at a ringall deployment, idempotently (run it again
// after any change: what is already right is left alone), then prints what to put in wrangler.toml and
// which secrets to set. Twilio's 2010-04-01 REST API, form-encoded, with the account's credentials:
//   - the phone number: Voice URL POST {PUBLIC_URL}/twilio/voice, status callback POST {PUBLIC_URL}/twilio/call-status;
//   - the TwiML App "ringall": Voice URL POST {PUBLIC_URL}/twilio/connect (the only way an agent's phone reaches a caller);
//   - a standard API key "ringall", which signs the agents' Voice SDK tokens.
// Twilio shows an API key's secret only in the answer that creates it, so a key is reused only when its
// SID and secret are given back (TWILIO_API_KEY_SID, TWILIO_API_KEY_SECRET); otherwise one is created,
// and with a "ringall" key already there the script stops instead of piling up keys (--new-key creates another).
// Plain Node 22 (fetch), no dependencies. --api-base points it at another API, such as the simulator's.

const USAGE = `Usage: npm run setup:twilio -- --number +15551230001 [--public-url https://ringall.example.com] [--api-base URL] [--new-key]

Environment:
  TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN   the account (Twilio Console, Account info)      required
  PUBLIC_URL (or --public-url)            the origin Twilio reaches the worker at          required
  TWILIO_PHONE_NUMBER (or --number)       the account's number callers dial (E.164)         required
  TWILIO_API_KEY_SID, TWILIO_API_KEY_SECRET   an API key to reuse (else one is created)
  TWILIO_TWIML_APP_SID                    the TwiML App to use (else the one named "ringall")`;

const NAME = "ringall";
const PATHS = { voice: "/twilio/voice", connect: "/twilio/connect", callStatus: "/twilio/call-status" };

class Failure extends Error {}

function parseArgs(argv) {
  const opts = { newKey: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v.startsWith("--")) throw new Failure(`${flag} needs a value\n\n${USAGE}`);
      return v;
    };
    if (flag === "--number") opts.number = value();
    else if (flag === "--public-url") opts.publicUrl = value();
    else if (flag === "--api-base") opts.apiBase = value();
    else if (flag === "--new-key") opts.newKey = true;
    else if (flag === "--help" || flag === "-h") opts.help = true;
    else throw new Failure(`unknown option ${arg}\n\n${USAGE}`);
  }
  return opts;
}

function settings(opts, env) {
  const s = {
    accountSid: (env.TWILIO_ACCOUNT_SID ?? "").trim(),
    authToken: (env.TWILIO_AUTH_TOKEN ?? "").trim(),
    publicUrl: (opts.publicUrl ?? env.PUBLIC_URL ?? "").trim(),
    number: (opts.number ?? env.TWILIO_PHONE_NUMBER ?? "").replace(/[\s().-]/g, ""),
    apiBase: (opts.apiBase ?? env.TWILIO_API_BASE ?? "https://api.twilio.com").replace(/\/+$/, ""),
    keySid: (env.TWILIO_API_KEY_SID ?? "").trim(),
    keySecret: (env.TWILIO_API_KEY_SECRET ?? "").trim(),
    appSid: (env.TWILIO_TWIML_APP_SID ?? "").trim(),
    newKey: opts.newKey,
  };
  const problems = [];
  if (!s.accountSid) problems.push("TWILIO_ACCOUNT_SID is not set");
  else if (!/^AC[0-9a-f]{32}$/i.test(s.accountSid)) problems.push(`TWILIO_ACCOUNT_SID must be AC followed by 32 hex digits, got "${s.accountSid}"`);
  if (!s.authToken) problems.push("TWILIO_AUTH_TOKEN is not set");
  if (!s.number) problems.push("no phone number: give --number +1… (or TWILIO_PHONE_NUMBER)");
  else if (!/^\+[1-9]\d{6,14}$/.test(s.number)) problems.push(`the number must be in E.164 form, such as +15551230001, got "${s.number}"`);
  if (!s.publicUrl) problems.push("PUBLIC_URL is not set (or --public-url): the origin Twilio reaches the worker at");
  else {
    let url = null;
    try {
      url = new URL(s.publicUrl);
    } catch {
      // reported below
    }
    if (!url || !/^https?:$/.test(url.protocol) || url.origin !== s.publicUrl.replace(/\/+$/, "").toLowerCase()) {
      problems.push(`PUBLIC_URL must be an origin such as https://ringall.example.com (no path), got "${s.publicUrl}"`);
    } else s.publicUrl = url.origin;
  }
  if (Boolean(s.keySid) !== Boolean(s.keySecret)) problems.push("give both TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET to reuse a key, or neither to create one");
  else if (s.keySid && !/^SK[0-9a-f]{32}$/i.test(s.keySid)) problems.push(`TWILIO_API_KEY_SID must be SK followed by 32 hex digits, got "${s.keySid}"`);
  if (s.appSid && !/^AP[0-9a-f]{32}$/i.test(s.appSid)) problems.push(`TWILIO_TWIML_APP_SID must be AP followed by 32 hex digits, got "${s.appSid}"`);
  if (problems.length) throw new Failure(`${problems.join("\n")}\n\n${USAGE}`);
  return s;
}

/** Twilio's REST API, with the account's credentials unless others are given. */
function client(s) {
  const basic = (user, pass) => "Basic " + Buffer.from(`${user}:${pass}`).toString("base64");
  const account = `/2010-04-01/Accounts/${s.accountSid}`;
  async function call(method, path, params, auth = basic(s.accountSid, s.authToken)) {
    const url = s.apiBase + (path.startsWith("/2010-04-01/") ? path : account + path);
    const init = { method, headers: { Authorization: auth, Accept: "application/json" }, signal: AbortSignal.timeout(20_000) };
    if (params) {
      init.headers["Content-Type"] = "application/x-www-form-urlencoded";
      init.body = new URLSearchParams(params).toString();
    }
    let res;
    try {
      res = await fetch(url, init);
    } catch (err) {
      throw new Failure(`could not reach ${s.apiBase}: ${err.cause?.message ?? err.message}`);
    }
    const text = await res.text();
    let body = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: reported with the status
    }
    return { status: res.status, body, what: `${method} ${url.replace(s.apiBase, "")}`, text };
  }
  const fail = (r) => new Failure(`${r.what} failed: ${r.status}${r.body?.code ? ` (Twilio error ${r.body.code})` : ""} ${r.body?.message ?? r.text.slice(0, 200)}`);
  /** The answer's body; any error status throws, a 401 saying which credentials to check. */
  const ok = async (method, path, params, { allow404 = false } = {}) => {
    const r = await call(method, path, params);
    if (r.status === 401) {
      throw new Failure(
        `Twilio refused the account SID and auth token (401${r.body?.code ? `, error ${r.body.code}` : ""}): check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (Twilio Console, Account info).`,
      );
    }
    if (r.status === 404 && allow404) return null;
    if (r.status < 200 || r.status >= 300) throw fail(r);
    return r.body ?? {};
  };
  /** A resource, or null when the account has no such one. */
  const find = (path) => ok("GET", path, null, { allow404: true });
  /** Every item of a list resource, following next_page_uri. */
  const list = async (path, key) => {
    const items = [];
    for (let next = path; next; ) {
      const page = await ok("GET", next);
      items.push(...(page[key] ?? []));
      next = page.next_page_uri ?? null;
    }
    return items;
  };
  return { call, ok, find, list, basic, fail };
}

async function setup(s, log) {
  const api = client(s);
  const urls = { voice: s.publicUrl + PATHS.voice, connect: s.publicUrl + PATHS.connect, callStatus: s.publicUrl + PATHS.callStatus };

  // ---- Look first, change nothing until everything needed is known to be there ----

  const matches = await api.list(`/IncomingPhoneNumbers.json?${new URLSearchParams({ PhoneNumber: s.number, PageSize: "1000" })}`, "incoming_phone_numbers");
  const number = matches.find((n) => n.phone_number === s.number);
  if (!number) {
    const all = await api.list("/IncomingPhoneNumbers.json?PageSize=1000", "incoming_phone_numbers");
    throw new Failure(
      `${s.number} is not a number of account ${s.accountSid}. ` +
        (all.length ? `Its numbers: ${all.map((n) => n.phone_number).join(", ")}.` : "It has no numbers: buy one in the Twilio Console first."),
    );
  }
  if (number.trunk_sid) {
    throw new Failure(`${s.number} belongs to the Elastic SIP trunk ${number.trunk_sid}, so Twilio never requests its Voice URL: take it off the trunk first.`);
  }

  let app = null;
  if (s.appSid) {
    app = await api.find(`/Applications/${s.appSid}.json`);
    if (!app) throw new Failure(`TWILIO_TWIML_APP_SID ${s.appSid} is not a TwiML App of account ${s.accountSid}.`);
  } else {
    const named = await api.list(`/Applications.json?${new URLSearchParams({ FriendlyName: NAME, PageSize: "1000" })}`, "applications");
    const exact = named.filter((a) => a.friendly_name === NAME);
    if (exact.length > 1) {
      throw new Failure(`${exact.length} TwiML Apps are named "${NAME}" (${exact.map((a) => a.sid).join(", ")}): set TWILIO_TWIML_APP_SID to the one to use.`);
    }
    app = exact[0] ?? null;
  }

  let key = null;
  if (s.keySid) {
    if (!(await api.find(`/Keys/${s.keySid}.json`))) throw new Failure(`TWILIO_API_KEY_SID ${s.keySid} is not an API key of account ${s.accountSid}.`);
    // A key's secret is never shown again; one request made with it says whether it is the right one.
    const probe = await api.call("GET", "/Applications.json?PageSize=1", null, api.basic(s.keySid, s.keySecret));
    if (probe.status === 401) throw new Failure(`TWILIO_API_KEY_SECRET is not the secret of ${s.keySid} (Twilio answered 401).`);
    if (probe.status !== 200) throw api.fail(probe);
    key = { sid: s.keySid, secret: s.keySecret, action: "reused" };
  } else if (!s.newKey) {
    const existing = (await api.list("/Keys.json?PageSize=1000", "keys")).filter((k) => k.friendly_name === NAME);
    if (existing.length) {
      throw new Failure(
        `an API key named "${NAME}" exists already (${existing.map((k) => k.sid).join(", ")}). Twilio shows a key's secret only when it is created, so either\n` +
          `  give it back:  TWILIO_API_KEY_SID=${existing[0].sid} TWILIO_API_KEY_SECRET=<its secret> npm run setup:twilio -- …\n` +
          `  or create another with --new-key (then delete the old one in the Twilio Console).`,
      );
    }
  }

  // ---- Change what differs ----

  const report = [];
  if (!app) {
    app = await api.ok("POST", "/Applications.json", { FriendlyName: NAME, VoiceUrl: urls.connect, VoiceMethod: "POST" });
    report.push(["TwiML App", app.sid, `created "${NAME}", Voice URL POST ${urls.connect}`]);
  } else if (app.voice_url !== urls.connect || (app.voice_method ?? "POST").toUpperCase() !== "POST") {
    app = await api.ok("POST", `/Applications/${app.sid}.json`, { VoiceUrl: urls.connect, VoiceMethod: "POST" });
    report.push(["TwiML App", app.sid, `updated: Voice URL POST ${urls.connect}`]);
  } else report.push(["TwiML App", app.sid, "unchanged"]);

  const want = { VoiceUrl: urls.voice, VoiceMethod: "POST", StatusCallback: urls.callStatus, StatusCallbackMethod: "POST" };
  const have = { VoiceUrl: number.voice_url, VoiceMethod: (number.voice_method ?? "").toUpperCase(), StatusCallback: number.status_callback, StatusCallbackMethod: (number.status_callback_method ?? "").toUpperCase() };
  const patch = Object.fromEntries(Object.entries(want).filter(([k, v]) => have[k] !== v));
  // With a voice application set, Twilio ignores the number's own Voice URL.
  if (number.voice_application_sid) patch.VoiceApplicationSid = "";
  if (Object.keys(patch).length) {
    await api.ok("POST", `/IncomingPhoneNumbers/${number.sid}.json`, patch);
    report.push(["Number", `${number.sid} ${s.number}`, `updated: ${Object.keys(patch).join(", ")}`]);
  } else report.push(["Number", `${number.sid} ${s.number}`, "unchanged"]);

  if (!key) {
    const created = await api.ok("POST", "/Keys.json", { FriendlyName: NAME });
    key = { sid: created.sid, secret: created.secret, action: "created" };
    report.push(["API key", key.sid, `created "${NAME}" (standard)`]);
  } else report.push(["API key", key.sid, "reused"]);

  log(`ringall: Twilio account ${s.accountSid} points at ${s.publicUrl}`);
  for (const [what, sid, how] of report) log(`  ${what.padEnd(10)} ${sid.padEnd(36)} ${how}`);
  log("");
  log("Put these under [vars] in wrangler.toml:");
  log('  CARRIER = "twilio"');
  log(`  TWILIO_ACCOUNT_SID = "${s.accountSid}"`);
  log(`  TWILIO_API_KEY_SID = "${key.sid}"`);
  log(`  TWILIO_TWIML_APP_SID = "${app.sid}"`);
  log(`  PUBLIC_URL = "${s.publicUrl}"`);
  log(`  OUTBOUND_CALLER_ID = "${s.number}"`);
  log("");
  log("Then set the secrets (each command asks for the value):");
  log("  npx wrangler secret put TWILIO_AUTH_TOKEN        # the account's auth token");
  log("  npx wrangler secret put TWILIO_API_KEY_SECRET    # the API key's secret" + (key.action === "created" ? ", below" : ""));
  log("  npx wrangler secret put ADMIN_PASSWORD           # with ADMIN_EMAIL under [vars], for a fresh database");
  if (key.action === "created") {
    log("");
    log(`The new API key's secret. Twilio never shows it again: put it in the secret now, and keep it to run this again.`);
    log(`  TWILIO_API_KEY_SECRET=${key.secret}`);
  }
  if (s.publicUrl.startsWith("http:")) log(`\nNote: ${s.publicUrl} is not https; Twilio can reach it, but its requests and your agents' sessions travel unencrypted.`);
}

try {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.help) {
    console.log(USAGE);
  } else {
    await setup(settings(opts, process.env), (line) => console.log(line));
  }
} catch (err) {
  if (!(err instanceof Failure)) throw err;
  console.error(`setup:twilio: ${err.message}`);
  process.exitCode = 1;
}
