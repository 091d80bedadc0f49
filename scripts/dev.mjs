// `npm run dev`: migrates the local D1 database and serves console and API on one origin.
// The carrier is chosen here, and said: CARRIER if set, else "twilio" when a Twilio account is
// configured (TWILIO_ACCOUNT_SID in .dev.vars, .env or the environment), else the built-in simulator.
// The demo accounts (published passwords) are seeded only with the simulator.
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

const port = process.env.PORT || "8787";
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CI: process.env.CI ?? "true" };

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: "inherit", env });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

/** KEY=VALUE lines of a dotenv file (quotes removed), or null when there is no such file. */
function dotenv(file) {
  let text;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return null;
  }
  const vars = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (m) vars[m[1]] = m[2].replace(/^(["'])(.*)\1$/, "$2");
  }
  return vars;
}

// What wrangler dev gives the worker: .dev.vars if there is one, else .env; the shell's environment
// only when asked to (CLOUDFLARE_INCLUDE_PROCESS_ENV), and never alongside .dev.vars.
const devVars = dotenv(".dev.vars");
const shellHasTwilio = !devVars && Boolean(process.env.TWILIO_ACCOUNT_SID || process.env.CARRIER);
if (shellHasTwilio) env.CLOUDFLARE_INCLUDE_PROCESS_ENV = "true";
const vars = devVars ?? { ...(dotenv(".env") ?? {}), ...(shellHasTwilio ? process.env : {}) };
const source = devVars ? ".dev.vars" : shellHasTwilio ? "the environment" : ".env";

// wrangler.toml's [vars] are the worker's too (.dev.vars overrides them): a deployment's settings
// there (README, Deploying) must not be overridden by a guess of simulator mode.
const tomlVars = {};
const toml = readFileSync("wrangler.toml", "utf8");
const section = /^\[vars\]\s*$([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(toml)?.[1] ?? "";
for (const m of section.matchAll(/^\s*([A-Z_][A-Z0-9_]*)\s*=\s*"([^"]*)"/gm)) tomlVars[m[1]] = m[2];
for (const [k, v] of Object.entries(tomlVars)) vars[k] ??= v;
const carrier = vars.CARRIER || (vars.TWILIO_ACCOUNT_SID ? "twilio" : "simulator");
if (carrier !== "twilio" && carrier !== "simulator") {
  console.error(`ringall: CARRIER must be "twilio" or "simulator", got "${carrier}" (in ${source}).`);
  process.exit(1);
}

run("vite", ["build", "-c", "web/vite.config.ts", "--logLevel", "warn"]);
run("wrangler", ["d1", "migrations", "apply", "DB", "--local"]);

const extra = [];
if (carrier === "simulator") {
  console.log(
    `ringall: CARRIER=simulator: the built-in carrier simulator stands in for Twilio (${vars.CARRIER ? `CARRIER is set in ${source}` : "no TWILIO_ACCOUNT_SID in .dev.vars, .env or the environment"}).\n` +
      "  Demo accounts are seeded (README). Place a call with: npm run call -- --from +15551230001",
  );
  if (!vars.CARRIER) extra.push("--var", "CARRIER:simulator");
  extra.push("--var", "DEMO_AGENTS:true");
} else {
  const missing = ["TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN"].filter((k) => !vars[k]);
  console.log(
    `ringall: CARRIER=twilio: calls come from your Twilio number (account ${vars.TWILIO_ACCOUNT_SID || "?"}, from ${source}). No demo accounts: sign in as ADMIN_EMAIL.` +
      (missing.length ? `\n  ${missing.join(" and ")} missing in ${source}: the worker refuses calls until set (npm run setup:twilio).` : ""),
  );
  if (!vars.CARRIER) extra.push("--var", "CARRIER:twilio");
}

const dev = spawn("wrangler", ["dev", "--port", port, "--ip", "127.0.0.1", ...extra, "--show-interactive-dev-session=false"], { stdio: "inherit", env });
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => dev.kill(sig));
dev.on("exit", (code) => process.exit(code ?? 0));
