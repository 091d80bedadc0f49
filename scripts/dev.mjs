// `npm run dev`: migrates the local D1 database and serves console and API on one origin.
// With no TWILIO_ACCOUNT_SID (in .dev.vars or the environment) the built-in carrier simulator stands in.
import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

const port = process.env.PORT || "8787";
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", CI: process.env.CI ?? "true" };

function run(cmd, args) {
  const r = spawnSync(cmd, args, { stdio: "inherit", env });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

run("vite", ["build", "-c", "web/vite.config.ts", "--logLevel", "warn"]);
run("wrangler", ["d1", "migrations", "apply", "DB", "--local"]);

let devVars = "";
try {
  devVars = readFileSync(".dev.vars", "utf8");
} catch {
  // no .dev.vars: simulator mode
}
const twilio = Boolean(process.env.TWILIO_ACCOUNT_SID) || /^TWILIO_ACCOUNT_SID=\S+/m.test(devVars);
console.log(
  twilio
    ? "ringall: Twilio mode (TWILIO_ACCOUNT_SID is set): calls come from your Twilio number."
    : `ringall: CARRIER SIMULATOR active (no TWILIO_ACCOUNT_SID). Place a call with: npm run call -- --from +15551230001`,
);
const dev = spawn("wrangler", ["dev", "--port", port, "--ip", "127.0.0.1", "--var", "DEMO_AGENTS:true", "--show-interactive-dev-session=false"], { stdio: "inherit", env });
for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => dev.kill(sig));
dev.on("exit", (code) => process.exit(code ?? 0));
