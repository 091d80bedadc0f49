// A parking slot is shared across calls (D1's parked_calls), while each call session writes its own
// share from an outbox whose entries can be applied late, or twice (evicted between the D1 write and
// the outbox delete, then retried). Here the real D1 statements are applied in the orders the call
// sessions allow, and in more: no slot may ever hold two calls, and no entry may free a slot that is
// not, or no longer, its call's.
import { env } from "cloudflare:test";
import { inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { Effect } from "../../worker/call/machine";
import { applyEntries, type OutboxEntry } from "../../worker/call/record";
import { parkedCalls } from "../../worker/db/schema";
import { releaseSlot, reserveSlot } from "../../worker/db/parking";
import type { CallView } from "../../worker/protocol";
import { Prng } from "../security/prng";
import { call as fixtureCall } from "../web/fixtures";
import { db, newCallSid } from "./helpers";
import { answer, call, type Desk, lotRows, park, retrieve, staff, ticketOf } from "./desks";

const SLOTS = 3;

/** A parked call's view at this seq, as its outbox entry carries it. */
function callView(callSid: string, seq: number): CallView {
  return fixtureCall({ callSid, phase: "parked", ringingCount: 0, waitingSince: null, answeredAt: 1, seq });
}

async function rowsOf(callSids: string[]) {
  return db().select().from(parkedCalls).where(inArray(parkedCalls.callSid, callSids));
}

/** One call session as the parking lot sees it: what its machine holds, and its outbox. */
interface Session {
  callSid: string;
  seq: number;
  /** The slot its machine believes it holds (reserved, and no release decided since), and who parked it. */
  holds: { slot: number; by: string } | null;
  ended: boolean;
  reservations: number;
  outbox: OutboxEntry[];
}

function decide(s: Session, effects: Effect[]): void {
  s.outbox.push({ call: callView(s.callSid, ++s.seq), effects });
}

const releasePending = (s: Session) => s.outbox.some((e) => e.effects.some((x) => x.type === "lotReleased"));

describe("parking slots under reordered and repeated outbox entries", () => {
  it("no slot ever holds two calls, and no entry frees a slot that is not its call's, in any interleaving of sessions, drains and retries", async () => {
    for (let round = 0; round < 30; round++) {
      const seed = 1000 + round;
      const prng = new Prng(seed); // deterministic: a failing round says its seed, and runs the same again
      const rnd = () => prng.next();
      const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
      const sessions: Session[] = Array.from({ length: 5 }, () => ({ callSid: newCallSid(), seq: 0, holds: null, ended: false, reservations: 0, outbox: [] }));
      const sids = sessions.map((s) => s.callSid);
      const trail: string[] = [];

      /** Every call whose machine holds a slot has its row in D1; so no slot is another call's too. */
      const check = async () => {
        const rows = await rowsOf(sids);
        for (const s of sessions) {
          if (!s.holds) continue;
          expect(rows, `seed ${seed}: ${s.callSid} lost slot ${s.holds.slot} after ${trail.join(" ")}`).toContainEqual(
            expect.objectContaining({ callSid: s.callSid, slot: s.holds.slot }),
          );
        }
        const held = sessions.flatMap((s) => (s.holds ? [s.holds.slot] : []));
        expect(new Set(held).size, `seed ${seed}: a slot held twice after ${trail.join(" ")}`).toBe(held.length);
      };

      /**
       * A drain: the oldest entries, in order in one batch as the call session writes them, or one by
       * one in a shuffled order with some twice (more than the outbox ever does: its entries are applied
       * in order). A crash before the delete leaves them in the outbox, to be applied again.
       */
      const drain = async (s: Session) => {
        const chunk = s.outbox.slice(0, 1 + Math.floor(rnd() * s.outbox.length));
        if (rnd() < 0.5) {
          await applyEntries(db(), chunk);
        } else {
          const shuffled = [...chunk, ...chunk.filter(() => rnd() < 0.3)].sort(() => rnd() - 0.5);
          for (const e of shuffled) await applyEntries(db(), [e]);
        }
        const crashed = rnd() < 0.3;
        if (!crashed) s.outbox.splice(0, chunk.length);
        trail.push(`${s.callSid.slice(-4)}:drain${chunk.length}${crashed ? "!" : ""}`);
      };

      for (let step = 0; step < 60; step++) {
        const s = pick(sessions);
        const r = rnd();
        if (s.outbox.length > 0 && r < 0.45) {
          await drain(s);
        } else if (!s.ended && !s.holds) {
          // A park (or transfer). Like CallSession.withSlot, the call's pending release is applied first.
          if (releasePending(s)) {
            while (s.outbox.length > 0) await drain(s);
          }
          const by = `ag_${s.callSid.slice(-4)}_${++s.reservations}`;
          if (rnd() < 0.15) {
            decide(s, [{ type: "lotReleased", slot: null }]); // the caller hangs up: the call ends
            s.ended = true;
            trail.push(`${s.callSid.slice(-4)}:end`);
            continue;
          }
          const slot = await reserveSlot(env.DB, s.callSid, by, SLOTS);
          if (slot === null) {
            trail.push(`${s.callSid.slice(-4)}:full`);
          } else if (rnd() < 0.2) {
            await releaseSlot(db(), s.callSid, slot); // the park was refused: the slot goes back at once
            trail.push(`${s.callSid.slice(-4)}:refused${slot}`);
          } else {
            s.holds = { slot, by };
            decide(s, [{ type: "lotSaved", lot: { slot, parkedBy: by, parkedAt: step, returnsAt: step + 100 } }]);
            trail.push(`${s.callSid.slice(-4)}:park${slot}`);
          }
        } else if (s.holds) {
          const { slot, by } = s.holds;
          if (r < 0.6) {
            // A transfer nobody took, a retrieve that never connected: the call waits in its slot again.
            decide(s, [{ type: "lotSaved", lot: { slot, parkedBy: by, parkedAt: step, returnsAt: step + 100 } }]);
            trail.push(`${s.callSid.slice(-4)}:resave${slot}`);
          } else if (r < 0.9) {
            decide(s, [{ type: "lotReleased", slot }]); // an agent is connected again
            s.holds = null;
            trail.push(`${s.callSid.slice(-4)}:release${slot}`);
          } else {
            decide(s, [{ type: "lotReleased", slot: null }]); // the caller hangs up while parked
            s.holds = null;
            s.ended = true;
            trail.push(`${s.callSid.slice(-4)}:end`);
          }
        }
        await check();
      }

      // Every outbox drains in the end: what is left in D1 is exactly what the machines hold.
      for (const s of sessions) while (s.outbox.length > 0) await drain(s);
      await check();
      const rows = await rowsOf(sids);
      expect(rows.map((x) => [x.callSid, x.slot, x.parkedBy]).sort(), `seed ${seed}`).toEqual(
        sessions.flatMap((s) => (s.holds ? [[s.callSid, s.holds.slot, s.holds.by]] : [])).sort(),
      );
      // The next round starts with an empty lot.
      await db().delete(parkedCalls).where(inArray(parkedCalls.callSid, sids));
    }
  });

  it("a release applied late or twice frees only the reservation it ended, never the call's newer slot", async () => {
    const [x, y, a, z] = [newCallSid(), newCallSid(), newCallSid(), newCallSid()];
    const save = (sid: string, slot: number, by: string, seq: number): OutboxEntry => ({ call: callView(sid, seq), effects: [{ type: "lotSaved", lot: { slot, parkedBy: by, parkedAt: seq, returnsAt: null } }] });
    const release = (sid: string, slot: number, seq: number): OutboxEntry => ({ call: callView(sid, seq), effects: [{ type: "lotReleased", slot }] });
    expect(await reserveSlot(env.DB, x, "x", SLOTS)).toBe(1);
    expect(await reserveSlot(env.DB, y, "y", SLOTS)).toBe(2);
    expect(await reserveSlot(env.DB, a, "a1", SLOTS)).toBe(3);
    const firstPark = save(a, 3, "a1", 1);
    const connectedAgain = release(a, 3, 2);
    await applyEntries(db(), [firstPark, connectedAgain]);
    // X leaves slot 1; A is parked again and gets it. The entries of A's first park come again (a retry).
    await applyEntries(db(), [release(x, 1, 5)]);
    expect(await reserveSlot(env.DB, a, "a2", SLOTS)).toBe(1);
    await applyEntries(db(), [firstPark, connectedAgain]);
    await applyEntries(db(), [connectedAgain, firstPark]);
    // A still holds slot 1, parked by a2: a newcomer gets slot 3, not A's.
    expect(await rowsOf([a])).toEqual([expect.objectContaining({ callSid: a, slot: 1, parkedBy: "a2" })]);
    expect(await reserveSlot(env.DB, z, "z", SLOTS)).toBe(3);
    // Another call's late entries naming A's slot free nothing of A's: they are keyed by their own call.
    await applyEntries(db(), [save(x, 1, "x", 3), release(x, 1, 6)]);
    expect(await rowsOf([a, x, y, z])).toEqual(
      expect.arrayContaining([expect.objectContaining({ callSid: a, slot: 1 }), expect.objectContaining({ callSid: y, slot: 2 }), expect.objectContaining({ callSid: z, slot: 3 })]),
    );
    expect(await rowsOf([x])).toEqual([]);
    // A's call ends: whatever slot it holds is freed, and that entry applied again later frees nothing else.
    const ended = { call: callView(a, 9), effects: [{ type: "lotReleased", slot: null }] } satisfies OutboxEntry;
    await applyEntries(db(), [ended]);
    expect(await reserveSlot(env.DB, x, "x2", SLOTS)).toBe(1);
    await applyEntries(db(), [ended, connectedAgain, firstPark]);
    expect((await rowsOf([a, x, y, z])).map((r) => [r.callSid, r.slot]).sort()).toEqual([[x, 1], [y, 2], [z, 3]].sort());
    await db().delete(parkedCalls).where(inArray(parkedCalls.callSid, [a, x, y, z]));
  });

  it("an agent who parks the moment their retrieve connects keeps the new slot: the retrieve's release of the old one is applied first, round after round", async () => {
    const [a, b] = await staff(2);
    const sid = await call();
    await answer(a, sid);
    expect((await park(sid, a)).status).toBe(200);
    let taker: Desk = b;
    let other: Desk = a;
    for (let round = 0; round < 4; round++) {
      const leg = await taker.phone.connect(sid, await ticketOf(await retrieve(sid, taker)));
      expect(leg.accepted).toBe(true);
      // The phone is in: Park pressed again and again until the join makes the call theirs. The first
      // 200 comes while the join's own entry (which frees the old slot) may still be on its way to D1.
      let res = await park(sid, taker);
      const until = Date.now() + 15_000;
      while (res.status === 403 && Date.now() < until) res = await park(sid, taker);
      expect(res.status, await res.clone().text()).toBe(200);
      const { slot } = (await res.json()) as { slot: number };
      expect(await lotRows(), `round ${round}`).toEqual([expect.objectContaining({ callSid: sid, slot, parkedBy: taker.agent.id })]);
      [taker, other] = [other, taker];
    }
  });
});
