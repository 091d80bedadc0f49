// The reports page's queries, CSV links and figures in words (web/src/reports.ts).
import { describe, expect, it } from "vitest";
import type { ReportBucket } from "../../worker/protocol";
import {
  awayReasonColumns,
  bucketTotal,
  callLogQuery,
  callOutcomeText,
  callsChartSummary,
  csvUrl,
  EMPTY_FILTER,
  hms,
  localDate,
  logCountText,
  OUTCOME_FILTERS,
  periodProblem,
  periodQuery,
  pct,
  serviceLevelSeries,
  serviceLevelSummary,
  stackedSeries,
  stepDetail,
  stepText,
  when,
} from "../../web/src/reports";

const bucket = (label: string, counts: Partial<ReportBucket["counts"]>, serviceLevel: number | null = null): ReportBucket => ({
  start: 0,
  label,
  counts: { answered: 0, abandoned_waiting: 0, abandoned_parked: 0, voicemail: 0, ...counts },
  serviceLevel,
});

describe("periods", () => {
  it("asks for a preset by name and a custom range with its dates", () => {
    expect(periodQuery({ kind: "today", from: "2026-01-01", to: "2026-01-02" })).toBe("period=today");
    expect(periodQuery({ kind: "last7", from: "", to: "" })).toBe("period=last7");
    expect(periodQuery({ kind: "custom", from: "2026-11-01", to: "2026-11-07" })).toBe("period=custom&from=2026-11-01&to=2026-11-07");
  });

  it("holds a custom range back until both dates are there and in order", () => {
    expect(periodProblem({ kind: "custom", from: "", to: "2026-11-07" })).toBe("Pick both dates.");
    expect(periodProblem({ kind: "custom", from: "2026-11-08", to: "2026-11-07" })).toBe("The first date is after the last.");
    expect(periodProblem({ kind: "custom", from: "2026-11-07", to: "2026-11-07" })).toBeNull();
    expect(periodProblem({ kind: "yesterday", from: "", to: "" })).toBeNull();
  });

  it("links each report's CSV: the same route and query with format=csv", () => {
    expect(csvUrl("/api/reports/summary", "period=today")).toBe("/api/reports/summary?period=today&format=csv");
    expect(csvUrl("/api/reports/calls", "")).toBe("/api/reports/calls?format=csv");
  });
});

describe("callLogQuery", () => {
  it("sends only the fields set, trimmed, then the page's cursor and size", () => {
    expect(callLogQuery(EMPTY_FILTER)).toBe("");
    expect(callLogQuery({ ...EMPTY_FILTER, q: " +1555 ", agent: "alice", outcome: "answered", direction: "inbound", from: "2026-11-01", to: "2026-11-02" }, { before: "abc", limit: 50 })).toBe(
      "q=%2B1555&agent=alice&outcome=answered&direction=inbound&from=2026-11-01&to=2026-11-02&before=abc&limit=50",
    );
    // A half-typed date is left out rather than sent.
    expect(callLogQuery({ ...EMPTY_FILTER, from: "2026-1" })).toBe("");
  });

  it("says how many calls a search found in all, and how many are shown while there are more", () => {
    expect(logCountText(50, 1234, true)).toBe("1,234 calls · 50 shown, newest first");
    expect(logCountText(1234, 1234, false)).toBe("1,234 calls");
    expect(logCountText(1, 1, false)).toBe("1 call");
    expect(logCountText(0, 0, false)).toBe("0 calls");
    // No total known (only a first page carries it): what is shown, and whether more are there.
    expect(logCountText(50, null, true)).toBe("50 calls shown, newest first");
    expect(logCountText(3, null, false)).toBe("3 calls");
  });

  it("offers every outcome and 'any' in the filter", () => {
    expect(OUTCOME_FILTERS.map((o) => o.value)).toEqual(["", "answered", "missed", "voicemail", "abandoned", "unanswered"]);
  });
});

describe("figures in words", () => {
  it("writes durations as h:mm:ss", () => {
    expect(hms(0)).toBe("0:00:00");
    expect(hms(59.6)).toBe("0:01:00");
    expect(hms(3_723)).toBe("1:02:03");
    expect(hms(-3)).toBe("0:00:00");
    expect(hms(36_000 * 3)).toBe("30:00:00");
    expect(pct(0.955)).toBe("96 %");
    expect(pct(null)).toBe("–");
  });

  it("stacks the outcomes as running totals, bucket by bucket", () => {
    const b = [bucket("09:00", { answered: 3, abandoned_waiting: 1, voicemail: 2 }), bucket("10:00", { abandoned_parked: 4 })];
    expect(stackedSeries(b)).toEqual({ answered: [3, 0], abandoned_waiting: [4, 0], abandoned_parked: [4, 4], voicemail: [6, 4] });
    expect(b.map(bucketTotal)).toEqual([6, 4]);
  });

  it("gives the service level in percent with gaps where nothing was offered", () => {
    expect(serviceLevelSeries([bucket("a", {}, 0.5), bucket("b", {}), bucket("c", {}, 1)])).toEqual([50, null, 100]);
  });

  it("describes each chart for a screen reader", () => {
    expect(callsChartSummary([bucket("09:00", { answered: 1 }), bucket("10:00", { answered: 2, voicemail: 1 })], "hour")).toBe(
      "4 calls over 2 hours; the busiest was 10:00 with 3. The table below gives every hour by outcome.",
    );
    expect(callsChartSummary([bucket("Mon", {})], "day")).toBe("No call in this period.");
    expect(serviceLevelSummary([bucket("a", {}, 0.9), bucket("b", {}, 0.25)], "within 20 s")).toBe(
      "Share of calls answered within 20 s, per period; the lowest was 25 % at b. The table below gives each.",
    );
    expect(serviceLevelSummary([bucket("a", {})], "within 20 s")).toBe("No call offered in this period, so no service level.");
  });

  it("makes one column per away reason any agent has", () => {
    const row = (awaySeconds: Record<string, number>) => ({ agentId: "a", name: "A", answered: 0, missedRings: 0, declines: 0, talkSeconds: 0, wrapUpSeconds: 0, awaySeconds });
    expect(awayReasonColumns([row({ Lunch: 60 }), row({ Break: 5, Lunch: 1 }), row({})])).toEqual(["Break", "Lunch"]);
  });

  it("says a call's outcome and a timeline step in words", () => {
    expect(callOutcomeText({ outcome: "answered", direction: "inbound" })).toBe("Answered");
    expect(callOutcomeText({ outcome: "abandoned", direction: "inbound" })).toBe("Abandoned after an answer");
    expect(callOutcomeText({ outcome: "abandoned", direction: "outbound" })).toBe("Hung up before an agent joined");
    expect(callOutcomeText({ outcome: null, direction: "inbound" })).toBe("In progress");
    expect(stepText("parked")).toBe("Parked");
    expect(stepText("declined")).toBe("Declined");
    expect(stepText("something_new")).toBe("Something new");
    expect(stepDetail({ detail: { reason: "lease_expired", slot: 1, empty: null } })).toBe("reason: lease_expired · slot: 1");
    expect(stepDetail({ detail: { returnsAt: 5 } })).toBe("returns at: 5");
    expect(stepDetail({ detail: null })).toBe("");
    expect(stepDetail({ detail: { agents: ["alice", "gone"], agentNames: ["Alice Adams", null], ringing: 2 } })).toBe("agents: Alice Adams, gone · ringing: 2");
    expect(stepDetail({ detail: { agents: [] } })).toBe("");
  });

  it("gives times and dates in the team's time zone", () => {
    const at = Date.UTC(2026, 10, 27, 23, 30, 5); // 23:30:05 UTC, already the 28th in Paris
    expect(localDate(at, "UTC")).toBe("2026-11-27");
    expect(localDate(at, "Europe/Paris")).toBe("2026-11-28");
    expect(when(at, at + 60_000, "UTC")).toMatch(/^23:30:05|11:30:05/);
    // Another day than now: the date comes first.
    expect(when(at, at + 2 * 86_400_000, "UTC")).toMatch(/27/);
    expect(when(at, at + 60_000, "Europe/Paris")).not.toMatch(/27|28/);
  });
});
