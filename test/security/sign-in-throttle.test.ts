// Sign-in throttling against the real worker and D1: per account and per client address, waits that
// double, a 429 that costs no password check and reads the same whether or not the e-mail has an agent.
import { SELF } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { ACCOUNT_FREE_FAILURES, ADDRESS_FREE_FAILURES, addressKey, FORGET_AFTER_MS } from "../../worker/auth/throttle";
import { signInThrottle } from "../../worker/db/schema";
import type { SignInThrottled } from "../../worker/protocol";
import { createAgents, db, ORIGIN, PASSWORD, unique } from "../worker/helpers";

const WRONG = "not the password";

function attempt(email: string, password: string, ip?: string) {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (ip) headers["CF-Connecting-IP"] = ip;
  return SELF.fetch(ORIGIN + "/api/session", { method: "POST", headers, body: JSON.stringify({ email, password }) });
}

async function statusOf(email: string, password: string, ip?: string): Promise<number> {
  const res = await attempt(email, password, ip);
  await res.body?.cancel();
  return res.status;
}

/** The block on `key` is over, as if its wait had passed (no test sleeps through a real wait). */
async function waitIsOver(key: string): Promise<void> {
  await db().update(signInThrottle).set({ blockedUntil: Date.now() - 1 }).where(eq(signInThrottle.key, key));
}

const row = async (key: string) => (await db().select().from(signInThrottle).where(eq(signInThrottle.key, key)))[0];

let n = 0;
/** A documentation address (RFC 5737) of this test alone (D1 is the test file's own). */
const newIp = () => `198.51.100.${++n}`;

describe("sign-in throttling per account", () => {
  it("answers five wrong passwords, refuses the sixth for 1 s, then for 2, 4 and 8 s after each further failure", async () => {
    const [a] = await createAgents(1);
    for (let i = 0; i < ACCOUNT_FREE_FAILURES; i++) expect(await statusOf(a.email, WRONG)).toBe(401);
    const refused = await attempt(a.email, WRONG);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("Retry-After")).toBe("1");
    const body = (await refused.json()) as SignInThrottled;
    expect(body.retryAt).toBeGreaterThan(Date.now() - 1000);
    expect(body.retryAt).toBeLessThanOrEqual(Date.now() + 1000);
    expect(body.error).toMatch(/try again in 1 s/);
    for (const wait of ["2", "4", "8"]) {
      await waitIsOver(`account:${a.email}`);
      expect(await statusOf(a.email, WRONG)).toBe(401);
      const next = await attempt(a.email, WRONG);
      expect(next.status).toBe(429);
      expect(next.headers.get("Retry-After")).toBe(wait);
    }
  });

  it("refuses even the right password while blocked (it is not checked), takes it once the wait is over, and starts again from zero", async () => {
    const [a] = await createAgents(1);
    for (let i = 0; i < ACCOUNT_FREE_FAILURES; i++) await statusOf(a.email, WRONG);
    expect(await statusOf(a.email, PASSWORD)).toBe(429);
    await waitIsOver(`account:${a.email}`);
    expect(await statusOf(a.email, PASSWORD)).toBe(200);
    expect(await row(`account:${a.email}`)).toBeUndefined();
    for (let i = 0; i < ACCOUNT_FREE_FAILURES; i++) expect(await statusOf(a.email, WRONG)).toBe(401);
  });

  it("caps the wait at 15 minutes", async () => {
    const [a] = await createAgents(1);
    await db().insert(signInThrottle).values({ key: `account:${a.email}`, failures: 40, blockedUntil: 0, lastFailureAt: Date.now() });
    expect(await statusOf(a.email, WRONG)).toBe(401);
    expect((await attempt(a.email, WRONG)).headers.get("Retry-After")).toBe("900");
  });

  it("answers an e-mail no agent has exactly as it answers an agent's: the same statuses, waits and words", async () => {
    const [a] = await createAgents(1);
    const nobody = `${unique("nobody")}@example.test`;
    const seen = async (email: string) => {
      const out: string[] = [];
      for (let i = 0; i <= ACCOUNT_FREE_FAILURES; i++) {
        const res = await attempt(email, WRONG);
        const { retryAt: _, ...body } = (await res.json()) as Partial<SignInThrottled>;
        out.push(`${res.status} ${res.headers.get("Retry-After")} ${JSON.stringify(body)}`);
      }
      return out;
    };
    const known = await seen(a.email);
    expect(known.at(-1)).toMatch(/^429 1 /);
    expect(await seen(nobody)).toEqual(known);
  });

  it("counts 30 concurrent wrong passwords one by one: with one failure left before a long wait, exactly one is checked", async () => {
    const [a] = await createAgents(1);
    // Fourteen failures in a row: the next one blocks the account for the longest wait.
    await db().insert(signInThrottle).values({ key: `account:${a.email}`, failures: 14, blockedUntil: 0, lastFailureAt: Date.now() });
    const statuses = await Promise.all(Array.from({ length: 30 }, () => statusOf(a.email, WRONG)));
    expect(statuses.filter((s) => s === 401)).toHaveLength(1);
    expect(statuses.filter((s) => s === 429)).toHaveLength(29);
    expect((await row(`account:${a.email}`))?.failures).toBe(15);
  });

  it("forgets failures a day old: a wrong password sweeps such rows", async () => {
    const stale = `account:${unique("stale")}@example.test`;
    await db().insert(signInThrottle).values({ key: stale, failures: 9, blockedUntil: 0, lastFailureAt: Date.now() - FORGET_AFTER_MS - 1000 });
    const [a] = await createAgents(1);
    expect(await statusOf(a.email, WRONG)).toBe(401);
    expect(await row(stale)).toBeUndefined();
  });
});

describe("sign-in throttling per client address", () => {
  it("refuses an address after 20 wrong passwords across 20 e-mails, whichever e-mail it tries next; another address is still answered", async () => {
    const ip = newIp();
    for (let i = 0; i < ADDRESS_FREE_FAILURES; i++) expect(await statusOf(`${unique("spray")}@example.test`, WRONG, ip)).toBe(401);
    const [a] = await createAgents(1);
    const refused = await attempt(a.email, PASSWORD, ip);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("Retry-After")).toBe("1");
    expect(await statusOf(a.email, PASSWORD, newIp())).toBe(200);
  });

  it("counts an IPv6 client's whole /64 as one address", async () => {
    expect(addressKey("2001:db8:1:2::1")).toBe(addressKey("2001:0db8:0001:0002:ffff:1:2:3"));
    expect(addressKey("2001:db8:1:2::1")).not.toBe(addressKey("2001:db8:1:3::1"));
    const prefix = `2001:db8:${(++n).toString(16)}:1`;
    for (let i = 0; i < ADDRESS_FREE_FAILURES; i++) await statusOf(`${unique("v6")}@example.test`, WRONG, `${prefix}::${i + 1}`);
    expect(await statusOf(`${unique("v6")}@example.test`, WRONG, `${prefix}:abcd::99`)).toBe(429);
  });

  it("counts 30 concurrent attempts on 30 e-mails from one address one by one: with one failure left before a long wait, exactly one is checked", async () => {
    const ip = newIp();
    await db().insert(signInThrottle).values({ key: addressKey(ip), failures: 29, blockedUntil: 0, lastFailureAt: Date.now() });
    const statuses = await Promise.all(Array.from({ length: 30 }, () => statusOf(`${unique("burst")}@example.test`, WRONG, ip)));
    expect(statuses.filter((s) => s === 401)).toHaveLength(1);
    expect(statuses.filter((s) => s === 429)).toHaveLength(29);
  });

  it("a right password takes back only its own count at the address, so signing in to one's own account does not clear the guesses at others", async () => {
    const ip = newIp();
    for (let i = 0; i < ADDRESS_FREE_FAILURES - 1; i++) await statusOf(`${unique("guess")}@example.test`, WRONG, ip);
    const [a] = await createAgents(1);
    expect(await statusOf(a.email, PASSWORD, ip)).toBe(200);
    expect((await row(addressKey(ip)))?.failures).toBe(ADDRESS_FREE_FAILURES - 1);
    expect(await statusOf(`${unique("guess")}@example.test`, WRONG, ip)).toBe(401);
    expect(await statusOf(a.email, PASSWORD, ip)).toBe(429);
  });
});
