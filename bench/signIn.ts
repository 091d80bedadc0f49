// Part 1b: what sign-in costs with its throttle (worker/auth/throttle.ts), with the throttle table
// already holding many rows (as under a password-spraying attack): a right password, a wrong one
// (counted, and the sweep of day-old rows), and an attempt refused with 429 (no password hashed).
// Every attempt carries a CF-Connecting-IP, as on Cloudflare, so both the account and the address count.
import { pbkdf2Sync, randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { summarize, type Summary } from "./stats.ts";

const PASSWORD = "bench sign-in password";
const EMAIL = "bench_signin@bench.test";
const BLOCKED = "bench_blocked@bench.test";

/** The same format as worker/auth/password.ts (PBKDF2-SHA256, 100,000 iterations). */
function hash(password: string): string {
  const salt = randomBytes(16);
  return `pbkdf2-sha256$100000$${salt.toString("base64")}$${pbkdf2Sync(password, salt, 100_000, 32, "sha256").toString("base64")}`;
}

/**
 * SQL for the seed: an agent who signs in (never available, so never rung), an account blocked for
 * the whole run, and `rows` recent throttle rows that the sweep must look past.
 */
export function signInSeedSql(rows: number): string {
  const now = Date.now();
  return [
    `INSERT INTO agents (id, name, email, password_hash, role, available, created_at) VALUES ('bench_signin', 'Sign-in bench', '${EMAIL}', '${hash(PASSWORD)}', 'agent', 0, ${now});`,
    `INSERT INTO sign_in_throttle (key, failures, blocked_until, last_failure_at) VALUES ('account:${BLOCKED}', 30, ${now + 86_400_000}, ${now});`,
    `INSERT INTO sign_in_throttle (key, failures, blocked_until, last_failure_at)
       WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows})
       SELECT 'address:bench-' || i, 1, 0, ${now} FROM n;`,
  ].join("\n");
}

export interface SignInResult {
  kind: string;
  latency: Summary;
  /** Answers other than the expected status. */
  errors: number;
}

let address = 0;
/** A fresh documentation address (RFC 5737 TEST-NET-3) per attempt: no address is ever blocked. */
const nextAddress = () => `203.0.113.${address++ % 250}`;

async function timed(url: string, email: (i: number) => string, password: string, expect: number, n: number): Promise<{ latency: Summary; errors: number }> {
  const latencies: number[] = [];
  let errors = 0;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await fetch(url + "/api/session", {
      method: "POST",
      headers: { "Content-Type": "application/json", "CF-Connecting-IP": nextAddress() },
      body: JSON.stringify({ email: email(i), password }),
    });
    await res.arrayBuffer();
    latencies.push(performance.now() - t0);
    if (res.status !== expect) errors++;
  }
  return { latency: summarize(latencies), errors };
}

/** `n` attempts of each kind, one at a time. */
export async function signInCost(url: string, n: number): Promise<SignInResult[]> {
  const right = await timed(url, () => EMAIL, PASSWORD, 200, n);
  // A new unknown e-mail each time: counted, never blocked (its first failure is free).
  const run = Date.now();
  const wrong = await timed(url, (i) => `nobody_${run}_${i}@bench.test`, "wrong", 401, n);
  const refused = await timed(url, () => BLOCKED, PASSWORD, 429, n);
  return [
    { kind: "right password (200)", ...right },
    { kind: "wrong password, counted (401)", ...wrong },
    { kind: "refused while blocked (429, no hash)", ...refused },
  ];
}
