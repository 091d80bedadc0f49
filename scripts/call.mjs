// `npm run call -- --from +15551230001 [--to +15550100000] [--hangup-after 20] [--speed 1] [--message 5]`
// Places an inbound call through the built-in carrier simulator of the server on PORT (default 8787)
// and prints its CallSid. `npm run call -- --hangup CA…` makes that caller hang up.
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    from: { type: "string", default: "+15551230001" },
    to: { type: "string" },
    "hangup-after": { type: "string" },
    speed: { type: "string" },
    message: { type: "string" },
    hangup: { type: "string" },
    port: { type: "string", default: process.env.PORT || "8787" },
    help: { type: "boolean", short: "h" },
  },
});

if (values.help) {
  console.log("usage: npm run call -- [--from +1555…] [--to +1555…] [--hangup-after SECONDS] [--speed N] [--message SECONDS]\n       npm run call -- --hangup CA…");
  process.exit(0);
}

const base = `http://127.0.0.1:${values.port}`;
const num = (name) => {
  if (values[name] === undefined) return undefined;
  const n = Number(values[name]);
  if (!Number.isFinite(n)) {
    console.error(`--${name} must be a number`);
    process.exit(2);
  }
  return n;
};

async function post(path, body) {
  let res;
  try {
    res = await fetch(base + path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  } catch {
    console.error(`no server on ${base}: start it with npm run dev (or set PORT)`);
    process.exit(1);
  }
  const json = await res.json().catch(() => ({}));
  if (!res.ok) {
    console.error(`${res.status}: ${json.error ?? "request failed"}${json.details ? "\n  " + json.details.join("\n  ") : ""}`);
    if (res.status === 404) console.error("(the simulator runs only with CARRIER=simulator, as `npm run dev` sets it without a Twilio account)");
    process.exit(1);
  }
  return json;
}

if (values.hangup) {
  const r = await post(`/sim/calls/${values.hangup}/hangup`, {});
  console.log(`${r.callSid} ${r.status}`);
} else {
  const body = { from: values.from };
  if (values.to) body.to = values.to;
  for (const [flag, field] of [["hangup-after", "hangupAfter"], ["speed", "speed"], ["message", "message"]]) {
    const n = num(flag);
    if (n !== undefined) body[field] = n;
  }
  const r = await post("/sim/calls", body);
  console.log(r.callSid);
  for (const e of r.errors ?? []) console.error(`error ${e.code}: ${e.message}`);
}
