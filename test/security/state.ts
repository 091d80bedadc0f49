// "Nothing changed", made checkable: every row a refused request could touch, and the live pictures
// the call sessions and the switchboard hold. D1 is isolated per test file, so whole tables are the
// test's own rows.
import { env } from "cloudflare:test";
import { expect } from "vitest";
import { agents, callClaims, callRecordings, calls, parkedCalls, ringEvents, sessions, settings, signInThrottle, voicemails } from "../../worker/db/schema";
import { SWITCHBOARD_NAME } from "../../worker/switchboard/stub";
import { db } from "../worker/helpers";

export interface Snapshot {
  agents: unknown[];
  sessions: unknown[] | "not compared";
  calls: unknown[];
  claims: unknown[];
  ringEvents: unknown[];
  parked: unknown[];
  voicemails: unknown[];
  signInThrottle: unknown[];
  callRecordings: unknown[];
  settings: unknown[];
  /** What each named call session says of its call. */
  callViews: Record<string, unknown>;
  /** The switchboard's team: presence, phones, who holds a call. */
  team: unknown[];
}

const byKey = <T>(rows: T[], key: (r: T) => string | number) => [...rows].sort((a, b) => String(key(a)).localeCompare(String(key(b))));

export async function snapshot(opts: { callSids?: readonly string[]; sessions?: boolean } = {}): Promise<Snapshot> {
  const d = db();
  const [a, s, c, cl, re, p, v, t, cr, st] = await Promise.all([
    d.select().from(agents),
    opts.sessions === false ? Promise.resolve(null) : d.select().from(sessions),
    d.select().from(calls),
    d.select().from(callClaims),
    d.select().from(ringEvents),
    d.select().from(parkedCalls),
    d.select().from(voicemails),
    d.select().from(signInThrottle),
    d.select().from(callRecordings),
    d.select().from(settings),
  ]);
  const callViews: Record<string, unknown> = {};
  for (const sid of opts.callSids ?? []) callViews[sid] = await env.CALLS.getByName(sid).view();
  const team = await env.SWITCHBOARD.getByName(SWITCHBOARD_NAME).agents();
  return {
    agents: byKey(a, (r) => r.id),
    sessions: s ? byKey(s, (r) => r.tokenHash) : "not compared",
    calls: byKey(c, (r) => r.callSid),
    claims: byKey(cl, (r) => r.id),
    ringEvents: byKey(re, (r) => r.id),
    parked: byKey(p, (r) => r.callSid),
    voicemails: byKey(v, (r) => r.id),
    signInThrottle: byKey(t, (r) => r.key),
    callRecordings: byKey(cr, (r) => r.recordingSid),
    settings: byKey(st, (r) => r.key),
    callViews,
    team: byKey(team, (r) => r.id),
  };
}

/**
 * The snapshot once nothing is in flight: a call session writes D1 from its outbox just after it
 * decides, so a picture taken mid-write would differ from the next one for no fault of a request.
 */
export async function settled(opts: Parameters<typeof snapshot>[0] = {}): Promise<Snapshot> {
  let last = JSON.stringify(await snapshot(opts));
  await expect
    .poll(
      async () => {
        const now = JSON.stringify(await snapshot(opts));
        const same = now === last;
        last = now;
        return same;
      },
      { timeout: 15_000, interval: 250 },
    )
    .toBe(true);
  return JSON.parse(last) as Snapshot;
}
