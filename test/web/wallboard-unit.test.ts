// The wallboard's figures (web/src/wallboard.ts) and the supervisor's pages in the header (route.ts).
import { describe, expect, it } from "vitest";
import type { AgentView, CallView, ReportTotals } from "../../worker/protocol";
import { emptyBoard, type BoardState } from "../../web/src/board";
import { navItems, viewOf } from "../../web/src/route";
import { lastEndedKey, longestWait, percent, seconds, todayTiles, wallAgent, wallAgents, wallClock, wallParked, waitingCallers } from "../../web/src/wallboard";
import { agent, call } from "./fixtures";

function board(agents: AgentView[], calls: CallView[] = [], history: CallView[] = []): BoardState {
  return {
    ...emptyBoard,
    synced: true,
    agents: Object.fromEntries(agents.map((a) => [a.id, a])),
    calls: Object.fromEntries(calls.map((c) => [c.callSid, c])),
    history,
  };
}

const NOW = 1_000_000;

describe("waitingCallers", () => {
  it("lists inbound callers ringing or in line, longest wait first, with their wait", () => {
    const s = board(
      [agent("a")],
      [
        call({ callSid: "CA1", from: "+1", waitingSince: NOW - 5_000, startedAt: NOW - 5_000 }),
        call({ callSid: "CA2", from: "+2", waitingSince: NOW - 40_000, startedAt: NOW - 40_000, ringingCount: 0 }),
        // A recall rings again: waiting since it came back, not since the call began.
        call({ callSid: "CA3", from: "+3", purpose: "reconnect", waitingSince: NOW - 1_000, startedAt: NOW - 900_000 }),
      ],
    );
    const w = waitingCallers(s, NOW);
    expect(w.map((c) => [c.from, c.waitMs, c.ringing])).toEqual([
      ["+2", 40_000, 0],
      ["+1", 5_000, 2],
      ["+3", 1_000, 2],
    ]);
    expect(longestWait(w)).toBe(40_000);
  });

  it("leaves out parked calls (even while a transfer or recall rings them), outbound calls, connected ones and voicemail", () => {
    const lot = { slot: 1, parkedBy: "a", parkedAt: null, returnsAt: null };
    const s = board(
      [agent("a")],
      [
        call({ callSid: "CA1", phase: "ringing", purpose: "transfer", lot }),
        call({ callSid: "CA2", phase: "parked", lot: { ...lot, parkedAt: NOW, returnsAt: NOW + 1 } }),
        call({ callSid: "CA3", phase: "ringing", direction: "outbound", dialedBy: "a" }),
        call({ callSid: "CA4", phase: "connected", answeredBy: "a", waitingSince: null }),
        call({ callSid: "CA5", phase: "voicemail", waitingSince: null }),
        call({ callSid: "CA6", phase: "dialing", direction: "outbound", dialedBy: "a" }),
      ],
    );
    expect(waitingCallers(s, NOW)).toEqual([]);
    expect(longestWait([])).toBeNull();
  });

  it("never shows a negative wait when the console's clock is behind the server's", () => {
    const s = board([], [call({ waitingSince: NOW + 3_000 })]);
    expect(waitingCallers(s, NOW)[0]!.waitMs).toBe(0);
  });
});

describe("wallAgent", () => {
  it("says each state with its time in state", () => {
    const talking = call({ callSid: "CA2", phase: "connected", from: "+2", answeredBy: "talker", answeredAt: NOW - 70_000, waitingSince: null });
    const ringing = call({ callSid: "CA1", from: "+1", waitingSince: NOW - 9_000 });
    const s = board(
      [
        agent("ringer", { statusSince: NOW - 999_000 }),
        agent("talker", { currentCallSid: "CA2" }),
        agent("wrapping", { wrapUpUntil: NOW + 8_000, lastCallEndedAt: NOW - 4_000 }),
        agent("lunch", { available: false, awayReason: "Lunch", statusSince: NOW - 600_000 }),
        agent("gone", { online: false, phoneReady: false }),
      ],
      [ringing, talking],
    );
    expect(wallAgent(s, s.agents.ringer!)).toMatchObject({ state: "ringing", since: NOW - 9_000, detail: "+1" });
    expect(wallAgent(s, s.agents.talker!)).toMatchObject({ state: "on-call", since: NOW - 70_000, detail: "+2" });
    expect(wallAgent(s, s.agents.wrapping!)).toMatchObject({ state: "wrap-up", since: NOW - 4_000, until: NOW + 8_000 });
    expect(wallAgent(s, s.agents.lunch!)).toMatchObject({ state: "away", since: NOW - 600_000, detail: "Lunch" });
    expect(wallAgent(s, s.agents.gone!)).toMatchObject({ state: "offline", since: null });
  });

  it("counts an available agent's idle time from their status or their last call, whichever is later", () => {
    const s = board([]);
    expect(wallAgent(s, agent("a", { statusSince: NOW - 50_000, lastCallEndedAt: NOW - 20_000 })).since).toBe(NOW - 20_000);
    expect(wallAgent(s, agent("a", { statusSince: NOW - 10_000, lastCallEndedAt: NOW - 20_000 })).since).toBe(NOW - 10_000);
    expect(wallAgent(s, agent("a", { statusSince: null, lastCallEndedAt: null })).since).toBeNull();
  });

  it("keeps an agent on a call whose console dropped on the call (it is real at the carrier)", () => {
    const s = board([agent("t", { online: false, currentCallSid: "CA1" })], [call({ phase: "connected", answeredBy: "t", answeredAt: NOW })]);
    expect(wallAgent(s, s.agents.t!).state).toBe("on-call");
  });

  it("shows an outbound call's callee, from its start while it is dialled", () => {
    const s = board([agent("d")], [call({ phase: "dialing", direction: "outbound", dialedBy: "d", to: "+9", startedAt: NOW - 3_000, answeredAt: null })]);
    expect(wallAgent(s, s.agents.d!)).toMatchObject({ state: "on-call", since: NOW - 3_000, detail: "+9" });
  });
});

describe("wallAgents", () => {
  it("groups every agent by state in wall order, each group in name order, empty groups kept", () => {
    const s = board([agent("b", { name: "Bea" }), agent("a", { name: "Al" }), agent("z", { name: "Zed", available: false })]);
    const groups = wallAgents(s);
    expect(groups.map((g) => g.state)).toEqual(["ringing", "on-call", "wrap-up", "away", "available", "lead", "offline"]);
    expect(groups.find((g) => g.state === "available")!.agents.map((a) => a.name)).toEqual(["Al", "Bea"]);
    expect(groups.find((g) => g.state === "away")!.agents.map((a) => a.name)).toEqual(["Zed"]);
    expect(groups.find((g) => g.state === "ringing")!.agents).toEqual([]);
  });

  it("lists a team lead who takes no calls as a team lead, not as an agent away; one who takes calls like any agent", () => {
    const s = board([agent("sam", { name: "Sam", available: false, lead: true }), agent("ada", { name: "Ada", lead: true }), agent("zed", { name: "Zed", available: false, awayReason: "Lunch" })]);
    const groups = Object.fromEntries(wallAgents(s).map((g) => [g.state, g.agents.map((a) => a.name)]));
    expect(groups).toMatchObject({ lead: ["Sam"], available: ["Ada"], away: ["Zed"] });
    // Offline, a lead is shown as anyone is.
    const gone = agent("sam", { available: false, lead: true, online: false });
    expect(wallAgent(board([gone]), gone).state).toBe("offline");
  });
});

describe("wallParked", () => {
  it("lists the lot by slot with who parked it and its countdown; a call on its way has none", () => {
    const s = board(
      [agent("a", { name: "Alice" })],
      [
        call({ callSid: "CA2", phase: "parked", from: "+2", lot: { slot: 2, parkedBy: "a", parkedAt: NOW - 10_000, returnsAt: NOW + 20_000 } }),
        call({ callSid: "CA1", phase: "ringing", purpose: "retrieve", from: "+1", lot: { slot: 1, parkedBy: "x", parkedAt: null, returnsAt: null } }),
      ],
    );
    expect(wallParked(s, NOW)).toEqual([
      { callSid: "CA1", slot: 1, from: "+1", parkedBy: "x", waitedMs: null, returnsInMs: null, waiting: false },
      { callSid: "CA2", slot: 2, from: "+2", parkedBy: "Alice", waitedMs: 10_000, returnsInMs: 20_000, waiting: true },
    ]);
  });
});

describe("formatting", () => {
  it("writes durations as m:ss, and h:mm:ss past an hour", () => {
    expect(wallClock(null)).toBe("–");
    expect(wallClock(-5)).toBe("0:00");
    expect(wallClock(7_900)).toBe("0:07");
    expect(wallClock(750_000)).toBe("12:30");
    expect(wallClock(3_723_000)).toBe("1:02:03");
    expect(seconds(12.4)).toBe("0:12");
    expect(seconds(null)).toBe("–");
    expect(percent(0.8749)).toBe("87 %");
    expect(percent(null)).toBe("–");
  });

  it("makes today's tiles from the totals, the service level with its threshold", () => {
    const t: ReportTotals = {
      offered: 10,
      answered: 7,
      abandonedWaiting: 1,
      abandonedParked: 1,
      voicemail: 1,
      missedRings: 4,
      serviceLevel: 0.6,
      serviceLevelSeconds: 20,
      shortAbandonSeconds: 0,
      averageSpeedOfAnswer: 9.5,
      p90SpeedOfAnswer: 31,
      averageHandleTime: 185,
      outbound: 2,
    };
    const tiles = Object.fromEntries(todayTiles(t).map((x) => [x.key, x]));
    expect(tiles.offered!.value).toBe("10");
    expect(tiles.answered!.value).toBe("7");
    expect(tiles["abandoned-waiting"]!.value).toBe("1");
    expect(tiles["missed-rings"]!.value).toBe("4");
    expect(tiles["service-level"]).toMatchObject({ value: "60 %", hint: "within 20 s" });
    // With SHORT_ABANDON_SECONDS set, the tile says so.
    expect(todayTiles({ ...t, shortAbandonSeconds: 5 }).find((x) => x.key === "service-level")!.hint).toBe("within 20 s, hang-ups under 5 s left out");
    expect(tiles.asa!.value).toBe("0:10");
    expect(tiles["p90-asa"]!.value).toBe("0:31");
    expect(tiles.aht!.value).toBe("3:05");
    expect(todayTiles({ ...t, serviceLevel: null, averageSpeedOfAnswer: null }).find((x) => x.key === "service-level")!.value).toBe("–");
  });
});

describe("lastEndedKey", () => {
  it("changes when a call ends (it comes first in the history), not otherwise", () => {
    const a = board([], [], [call({ callSid: "CA1", phase: "ended", seq: 5 })]);
    const b = board([], [call({ callSid: "CA9" })], [call({ callSid: "CA1", phase: "ended", seq: 5 })]);
    const c = board([], [], [call({ callSid: "CA2", phase: "ended", seq: 3 }), call({ callSid: "CA1", phase: "ended", seq: 5 })]);
    expect(lastEndedKey(a)).toBe(lastEndedKey(b));
    expect(lastEndedKey(c)).not.toBe(lastEndedKey(a));
    expect(lastEndedKey(board([]))).toBe("");
  });
});

describe("route", () => {
  it("gives supervisors and admins the three pages, an agent none", () => {
    expect(navItems("agent")).toEqual([]);
    expect(navItems("supervisor").map((i) => i.label)).toEqual(["Console", "Wallboard", "Reports"]);
    expect(navItems("admin").map((i) => i.href)).toEqual(["#/", "#/wallboard", "#/reports"]);
  });

  it("reads the page from the hash, and never shows an agent a supervisor's page", () => {
    expect(viewOf("#/wallboard", "supervisor")).toBe("wallboard");
    expect(viewOf("#wallboard", "admin")).toBe("wallboard");
    expect(viewOf("#/reports?x=1", "admin")).toBe("reports");
    expect(viewOf("", "supervisor")).toBe("console");
    expect(viewOf("#/nonsense", "supervisor")).toBe("console");
    expect(viewOf("#/wallboard", "agent")).toBe("console");
  });
});
