// The agents list for a big team: my card first, then busy, available, away, offline; the search.
import { describe, expect, it } from "vitest";
import type { AgentView, CallView } from "../../worker/protocol";
import { emptyBoard, type BoardState } from "../../web/src/board";
import { foldName, matchesSearch, offlineLabel, roster, rosterGroup, shownColleagues } from "../../web/src/roster";
import { agent, call } from "./fixtures";

function board(agents: AgentView[], calls: CallView[] = []): BoardState {
  return {
    ...emptyBoard,
    synced: true,
    agents: Object.fromEntries(agents.map((a) => [a.id, a])),
    calls: Object.fromEntries(calls.map((c) => [c.callSid, c])),
  };
}

const ids = (list: AgentView[]) => list.map((a) => a.id);

describe("rosterGroup", () => {
  it("puts ringing and on-call agents in busy, then available, away, offline", () => {
    const ringing = call({ callSid: "CA1", phase: "ringing" });
    const talking = call({ callSid: "CA2", phase: "connected", answeredBy: "talker", answeredAt: 5 });
    const s = board(
      [
        agent("ringer"),
        agent("talker", { currentCallSid: "CA2" }),
        agent("free", { available: true }),
        agent("away", { available: false }),
        agent("gone", { online: false, available: true, phoneReady: false }),
      ],
      [ringing, talking],
    );
    expect(rosterGroup(s, s.agents.ringer!)).toBe("busy");
    expect(rosterGroup(s, s.agents.talker!)).toBe("busy");
    // "free" is rung by CA1 too (available, online, phone ready): busy while it rings.
    expect(rosterGroup(s, s.agents.free!)).toBe("busy");
    expect(rosterGroup(s, s.agents.away!)).toBe("away");
    expect(rosterGroup(s, s.agents.gone!)).toBe("offline");
    expect(rosterGroup(board([agent("idle")]), agent("idle"))).toBe("available");
  });

  it("lists an agent in wrap-up with the busy ones (after-call work), whether available or away", () => {
    const s = board([agent("wrapping", { wrapUpUntil: 99 }), agent("wrapping-away", { wrapUpUntil: 99, available: false })]);
    expect(rosterGroup(s, s.agents.wrapping!)).toBe("busy");
    expect(rosterGroup(s, s.agents["wrapping-away"]!)).toBe("busy");
  });

  it("keeps an agent whose console dropped mid-call in busy, not offline", () => {
    const talking = call({ phase: "connected", answeredBy: "x", answeredAt: 5 });
    const s = board([agent("x", { online: false, currentCallSid: "CA1" })], [talking]);
    expect(rosterGroup(s, s.agents.x!)).toBe("busy");
  });
});

describe("roster", () => {
  const team = board(
    [
      agent("me", { name: "Zed Me", available: false }),
      agent("b", { name: "bob Brown" }),
      agent("a", { name: "Alice Adams" }),
      agent("c", { name: "Carol Clark", available: false }),
      agent("z", { name: "Zoë Zimmer", online: false, phoneReady: false }),
      agent("y", { name: "Yann Young", online: false, phoneReady: false }),
      agent("t", { name: "Tom Talker", currentCallSid: "CA9" }),
    ],
    [call({ callSid: "CA9", phase: "connected", answeredBy: "t", answeredAt: 3 })],
  );

  it("lists my own card apart, first, whatever my state", () => {
    const r = roster(team, "me");
    expect(r.me?.id).toBe("me");
    expect(shownColleagues(r).map((a) => a.id)).not.toContain("me");
    expect(r.colleagues).toBe(6);
  });

  it("orders busy, then available, then away, each by name regardless of case; offline apart", () => {
    const r = roster(team, "me");
    expect(ids(r.groups.busy)).toEqual(["t"]);
    expect(ids(r.groups.available)).toEqual(["a", "b"]);
    expect(ids(r.groups.away)).toEqual(["c"]);
    expect(ids(r.groups.offline)).toEqual(["y", "z"]);
    expect(ids(shownColleagues(r))).toEqual(["t", "a", "b", "c"]);
  });

  it("puts agents being rung before the available ones", () => {
    const s = board([agent("me"), agent("a", { name: "Ann" }), agent("b", { name: "Ben", phoneReady: false })], [call({ callSid: "CA1" })]);
    const r = roster(s, "me");
    // Ann is rung; Ben's phone is not ready, so he is not rung and stays available.
    expect(ids(r.groups.busy)).toEqual(["a"]);
    expect(ids(r.groups.available)).toEqual(["b"]);
  });

  it("orders two agents of the same name by id, so they do not swap between updates", () => {
    const s = board([agent("me"), agent("k2", { name: "Kim" }), agent("k1", { name: "Kim" })]);
    expect(ids(roster(s, "me").groups.available)).toEqual(["k1", "k2"]);
  });

  it("filters colleagues by name, ignoring case and accents, and keeps my own card", () => {
    expect(ids(shownColleagues(roster(team, "me", "ALICE")))).toEqual(["a"]);
    const zoe = roster(team, "me", "zoe");
    expect(ids(zoe.groups.offline)).toEqual(["z"]);
    expect(shownColleagues(zoe)).toEqual([]);
    expect(zoe.me?.id).toBe("me");
    // Every word typed must be found, in any order.
    expect(ids(shownColleagues(roster(team, "me", "  clark   car ")))).toEqual(["c"]);
    expect(ids(shownColleagues(roster(team, "me", "nobody")))).toEqual([]);
    expect(roster(team, "me", "nobody").colleagues).toBe(6);
  });

  it("lists everyone for an empty or blank search", () => {
    expect(shownColleagues(roster(team, "me", "   ")).length).toBe(4);
  });

  it("is empty before the first snapshot", () => {
    const r = roster(emptyBoard, "me");
    expect(r.me).toBeUndefined();
    expect(r.colleagues).toBe(0);
  });

  it("sorts 200 agents into groups with the offline ones counted", () => {
    const agents = [agent("me")];
    for (let i = 0; i < 200; i++) agents.push(agent(`s${i}`, { name: `Seeded ${i}`, online: i < 20, available: i < 10, phoneReady: i < 20 }));
    const r = roster(board(agents), "me");
    expect(r.groups.available.length).toBe(10);
    expect(r.groups.away.length).toBe(10);
    expect(r.groups.offline.length).toBe(180);
    // Numbers in names sort as numbers: "Seeded 2" before "Seeded 10".
    expect(r.groups.available.map((a) => a.name)).toEqual(["Seeded 0", "Seeded 1", "Seeded 2", "Seeded 3", "Seeded 4", "Seeded 5", "Seeded 6", "Seeded 7", "Seeded 8", "Seeded 9"]);
    expect(offlineLabel(r.groups.offline.length)).toBe("180 offline");
  });
});

describe("search words", () => {
  it("folds case, accents and spaces", () => {
    expect(foldName("  Zoë   ÉLODIE Ñuñez ")).toBe("zoe elodie nunez");
  });

  it("matches every typed word inside the name", () => {
    expect(matchesSearch("Alice Adams", "ada")).toBe(true);
    expect(matchesSearch("Alice Adams", "adams ali")).toBe(true);
    expect(matchesSearch("Alice Adams", "bob")).toBe(false);
    expect(matchesSearch("Ådne Øvre", "adne")).toBe(true);
    expect(matchesSearch("anyone", "")).toBe(true);
  });
});
