import type { Db } from "../db/client";

// Sign-in throttling, per account and per client address, with delays that double.
//
// Every attempt is counted as a failure *before* its password is checked, in one statement that
// refuses it instead when a key is blocked: under a burst of concurrent guesses each one is
// admitted or refused by D1 in turn, so they cannot all slip past a check made before any was
// counted. A correct password then takes its own count back (signInSucceeded).

/** Failures in a row on one e-mail address answered at once; after the last of them the next attempt waits FIRST_DELAY_MS, and each further failure doubles that. */
export const ACCOUNT_FREE_FAILURES = 5;
/** Per client address, higher: an office behind one NAT address shares it, typos and all. */
export const ADDRESS_FREE_FAILURES = 20;
/** The wait after the last free failure; each further failure doubles it, up to MAX_DELAY_MS. */
export const FIRST_DELAY_MS = 1000;
export const MAX_DELAY_MS = 15 * 60 * 1000;
/** A key with no failure for this long starts again from zero (and its row may be swept). */
export const FORGET_AFTER_MS = 24 * 60 * 60 * 1000;
/** Rows swept per failed sign-in: the sweep never costs one attempt more than this. */
const SWEEP_LIMIT = 100;

const ACCOUNT = "account:";
const ADDRESS = "address:";

/**
 * The wait after a key's n-th failure in a row: none while n < its free failures, then
 * min(MAX_DELAY_MS, FIRST_DELAY_MS × 2^(n − free)), so 1 s, 2 s, 4 s … 15 min. In SQL, for the row
 * being updated (`f` is its new count); the shift is capped so that it cannot overflow.
 */
const FREE_SQL = `(CASE WHEN substr(key, 1, ${ADDRESS.length}) = '${ADDRESS}' THEN ${ADDRESS_FREE_FAILURES} ELSE ${ACCOUNT_FREE_FAILURES} END)`;
const delaySql = (f: string) => `(CASE WHEN ${f} < ${FREE_SQL} THEN 0 ELSE min(${MAX_DELAY_MS}, ${FIRST_DELAY_MS} << min(${f} - ${FREE_SQL}, 30)) END)`;
/** A key's count after this failure: a count a day old starts again. `?2` is now − FORGET_AFTER_MS. */
const NEXT_FAILURES = "(CASE WHEN last_failure_at < ?2 THEN 1 ELSE failures + 1 END)";

/**
 * An IPv6 client controls at least a /64 (RFC 6177 assigns end sites /48 to /64), so one counter
 * per /64: otherwise each guess could come from a fresh address of the same network.
 */
export function addressKey(ip: string): string {
  // Bounded: outside Cloudflare (local dev) the header is whatever the client sent.
  const addr = ip.trim().toLowerCase().slice(0, 64);
  if (!addr.includes(":")) return ADDRESS + addr;
  const [head = "", tail] = addr.split("::");
  const groups = (s: string) => (s ? s.split(":") : []);
  const h = groups(head);
  const t = tail === undefined ? [] : groups(tail);
  // An embedded IPv4 tail (::ffff:192.0.2.1) takes two groups.
  const v4 = t.length && t[t.length - 1]!.includes(".") ? 1 : 0;
  const missing = tail === undefined ? 0 : 8 - h.length - t.length - v4;
  const full = [...h, ...Array<string>(Math.max(missing, 0)).fill("0"), ...t];
  if (v4 || full.length < 4) return ADDRESS + addr;
  return ADDRESS + full.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, "")).join(":") + "::/64";
}

/**
 * The keys an attempt counts against. The account key is the e-mail as typed (normalised), whether
 * or not an agent has it, so a 429 says nothing about which addresses exist. `clientIp` is
 * CF-Connecting-IP, "the client IP address connecting to Cloudflare" (Cloudflare docs, "Cloudflare
 * HTTP headers"), set by the edge in production; `wrangler dev` sets it to the local client's
 * address when a request has none (miniflare's entry worker). Without it (requests straight to the
 * worker, as the tests make) only the account is throttled: one shared "unknown address" counter
 * would let anybody's typos lock everybody else out.
 */
export function throttleKeys(email: string, clientIp: string | undefined): string[] {
  const keys = [ACCOUNT + email.trim().toLowerCase()];
  if (clientIp) keys.push(addressKey(clientIp));
  return keys;
}

export type Admission = { admitted: true } | { admitted: false; retryAt: number };

/**
 * Counts this attempt against every key, unless one of them is blocked: then nothing changes and
 * the answer is when the longest block ends. One D1 batch (one transaction, run without others
 * interleaving: Cloudflare D1 docs, "Batch statements"), whose INSERT reads the keys' old rows
 * before writing (SQLite evaluates an INSERT's SELECT fully first when it reads the target table).
 */
export async function admitSignIn(db: Db, keys: string[], now: number): Promise<Admission> {
  // Raw D1 statements: drizzle's batch takes only its own query builders, and this upsert is not one.
  const d1 = db.$client;
  const list = keys.map((_, i) => `?${i + 3}`).join(", ");
  const values = keys.map((_, i) => `(?${i + 3})`).join(", ");
  const [counted, blocked] = await d1.batch<{ key?: string; until?: number | null }>([
    d1
      .prepare(
        `INSERT INTO sign_in_throttle (key, failures, blocked_until, last_failure_at)
         SELECT column1, 1, 0, ?1 FROM (VALUES ${values})
         WHERE NOT EXISTS (SELECT 1 FROM sign_in_throttle WHERE key IN (${list}) AND blocked_until > ?1)
         ON CONFLICT (key) DO UPDATE SET
           failures = ${NEXT_FAILURES},
           blocked_until = ?1 + ${delaySql(NEXT_FAILURES)},
           last_failure_at = ?1
         RETURNING key`,
      )
      .bind(now, now - FORGET_AFTER_MS, ...keys),
    d1.prepare(`SELECT max(blocked_until) AS until FROM sign_in_throttle WHERE key IN (${keys.map((_, i) => `?${i + 1}`).join(", ")})`).bind(...keys),
  ]);
  if ((counted?.results.length ?? 0) > 0) return { admitted: true };
  return { admitted: false, retryAt: Math.max(now + 1, blocked?.results[0]?.until ?? now + 1) };
}

/** A wrong password: the attempt is counted already; sweep a few rows nobody failed on for a day. */
export async function signInFailed(db: Db, now: number): Promise<void> {
  await db.$client
    .prepare(
      `DELETE FROM sign_in_throttle WHERE rowid IN (
         SELECT rowid FROM sign_in_throttle WHERE last_failure_at < ?1 AND blocked_until < ?2 LIMIT ${SWEEP_LIMIT})`,
    )
    .bind(now - FORGET_AFTER_MS, now)
    .run();
}

/**
 * The right password: the account starts again from zero. The address only takes back this
 * attempt's count: a success must not wipe it, or a guesser who owns one account could sign in to it
 * between guesses at the others and never be slowed down.
 */
export async function signInSucceeded(db: Db, keys: string[]): Promise<void> {
  const d1 = db.$client;
  const [account, address] = keys;
  const statements = [d1.prepare("DELETE FROM sign_in_throttle WHERE key = ?1").bind(account)];
  if (address) {
    statements.push(
      d1.prepare("DELETE FROM sign_in_throttle WHERE key = ?1 AND failures <= 1").bind(address),
      d1
        .prepare(
          `UPDATE sign_in_throttle SET failures = failures - 1,
             blocked_until = CASE WHEN failures - 1 < ${ADDRESS_FREE_FAILURES} THEN 0 ELSE blocked_until END
           WHERE key = ?1`,
        )
        .bind(address),
    );
  }
  await d1.batch(statements);
}
