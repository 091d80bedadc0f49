// The reports' figures (worker/reports/queries.ts, docs/reports.md) against hand-computed fixtures
// written straight into D1: calls answered, parked and retrieved, transferred, recalled, abandoned
// while waiting and while parked, a voicemail, an outbound call, a call still waiting, one still
// connected, one across midnight, and a daylight-saving day. The dates are in 2030, where no other
// test writes, and the team's time zone is Europe/Paris (storage is isolated per test file).
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { agentStateLog, calls, missedRings, ringEvents, talkSegments } from "../../worker/db/schema";
import type { AgentReport, AgentReportRow, CallLogPage, CallTimeline, ReportSummary } from "../../worker/protocol";
import { agentFigures, bucketFigures, reportTotals, waitDistribution } from "../../worker/reports/queries";
import { periodBuckets, resolvePeriod } from "../../worker/reports/periods";
import { api, createAgents, db, type TestAgent, unique } from "./helpers";

const S = 1000;
const PARIS = "Europe/Paris";
/** Wednesday 2030-06-12 in Paris (UTC+2): the day starts at 2030-06-11 22:00 UTC. */
const D0 = Date.UTC(2030, 5, 11, 22);
/** 10:00 local on that day: every fixture time below is T0 + seconds. */
const T0 = D0 + 10 * 3600 * S;
const D1 = D0 + 24 * 3600 * S;
const D2 = D1 + 24 * 3600 * S;
const at = (s: number) => T0 + s * S;

let A: TestAgent;
let B: TestAgent;
let boss: TestAgent;
let admin: TestAgent;
let agentOnly: TestAgent;
const sid: Record<string, string> = {};

type CallRow = typeof calls.$inferInsert;
const callRows: CallRow[] = [];
const segs: (typeof talkSegments.$inferInsert)[] = [];
const events: (typeof ringEvents.$inferInsert)[] = [];
const states: (typeof agentStateLog.$inferInsert)[] = [];
const missed: (typeof missedRings.$inferInsert)[] = [];

function call(name: string, c: { start: number; answered?: number; ended?: number; outcome?: CallRow["outcome"]; by?: string; direction?: "inbound" | "outbound"; from?: string }) {
  const callSid = "CA" + crypto.randomUUID().replaceAll("-", "");
  sid[name] = callSid;
  callRows.push({
    callSid,
    from: c.from ?? "+15551230001",
    to: "+15559990000",
    status: c.ended === undefined ? (c.answered === undefined ? "ringing" : "connected") : "ended",
    outcome: c.outcome ?? null,
    answeredBy: c.by ?? null,
    startedAt: at(c.start),
    answeredAt: c.answered === undefined ? null : at(c.answered),
    endedAt: c.ended === undefined ? null : at(c.ended),
    seq: 1,
    direction: c.direction ?? "inbound",
    dialedBy: c.direction === "outbound" ? (c.by ?? null) : null,
  });
  return callSid;
}
const seg = (name: string, agent: TestAgent, purpose: string, start: number, end: number | null) =>
  segs.push({ callSid: sid[name]!, agentId: agent.id, purpose, startedAt: at(start), endedAt: end === null ? null : at(end) });
const event = (name: string, type: string, s: number, agent: TestAgent | null = null, detail: Record<string, unknown> | null = null) =>
  events.push({ callSid: sid[name]!, seq: events.filter((e) => e.callSid === sid[name]).length + 1, type, agentId: agent?.id ?? null, detail: detail ? JSON.stringify(detail) : null, at: at(s) });
const state = (agent: TestAgent, kind: "status" | "wrap-up" | "online", st: string, reason: string | null, start: number, end: number | null) =>
  states.push({ agentId: agent.id, kind, state: st, reason, startedAt: at(start), endedAt: end === null ? null : at(end) });

/** The service level's rule: a threshold, and short abandons left out (0: none). */
const sl = (seconds: number, shortAbandonSeconds = 0) => ({ seconds, shortAbandonSeconds });

async function insertAll<T>(table: Parameters<ReturnType<typeof db>["insert"]>[0], rows: T[]): Promise<void> {
  // D1 binds at most 100 values a statement.
  for (let i = 0; i < rows.length; i += 5) await db().insert(table).values(rows.slice(i, i + 5) as never);
}

beforeAll(async () => {
  [A, B, agentOnly] = await createAgents(3, { prefix: unique("rep") });
  [boss] = await createAgents(1, { role: "supervisor" });
  [admin] = await createAgents(1, { role: "admin" });
  const tz = await api("/api/settings/time-zone", admin.cookie, { method: "PUT", body: JSON.stringify({ timeZone: PARIS }) });
  expect(tz.status).toBe(200);

  // C1: answered by A after 5 s, 60 s of talk, 30 s of wrap-up.
  call("C1", { start: 0, answered: 5, ended: 65, outcome: "answered", by: A.id });
  event("C1", "ring_start", 0, null, { agents: [A.id, B.id], purpose: "inbound" });
  event("C1", "answered", 4, A);
  event("C1", "connected", 5, A, { purpose: "inbound" });
  event("C1", "call_ended", 65, A, { outcome: "answered" });
  seg("C1", A, "inbound", 5, 65);
  state(A, "wrap-up", "wrap-up", null, 65, 95);
  // C2: answered by B after 25 s, parked 60 s, retrieved by A.
  call("C2", { start: 600, answered: 625, ended: 865, outcome: "answered", by: A.id });
  seg("C2", B, "inbound", 625, 685);
  event("C2", "parked", 685, B);
  seg("C2", A, "retrieve", 745, 865);
  // C3: answered by A after 15 s, transferred to B (who answers 10 s later).
  call("C3", { start: 1200, answered: 1215, ended: 1405, outcome: "answered", by: B.id });
  seg("C3", A, "inbound", 1215, 1275);
  seg("C3", B, "transfer", 1285, 1405);
  state(B, "wrap-up", "wrap-up", null, 1405, 1435);
  // C4: A declines; the caller hangs up after 40 s, nobody connected: abandoned while waiting.
  call("C4", { start: 1800, ended: 1840, outcome: "missed" });
  event("C4", "declined", 1805, A, { purpose: "inbound" });
  // C5: answered by B after 8 s, parked; the caller hangs up in the lot: abandoned while parked.
  call("C5", { start: 2400, answered: 2408, ended: 2500, outcome: "abandoned", by: B.id });
  seg("C5", B, "inbound", 2408, 2468);
  // C6: B declines, A lets it ring out: voicemail at 60 s (the message ends the call at 120 s).
  call("C6", { start: 3000, ended: 3120, outcome: "voicemail" });
  event("C6", "declined", 3010, B, { purpose: "inbound" });
  event("C6", "no_answer", 3060, null, { reason: "timeout", purpose: "inbound" });
  event("C6", "voicemail", 3060, null, { reason: "timeout" });
  event("C6", "voicemail", 3120, null, { recordingSid: "RE1", durationSeconds: 55 });
  missed.push({ callSid: sid.C6!, agentId: A.id, at: at(3060) });
  // C7 (11:00): answered by A after 3 s, parked, recalled to A who lets it ring out, then B answers.
  call("C7", { start: 3600, answered: 3603, ended: 3940, outcome: "answered", by: B.id });
  seg("C7", A, "inbound", 3603, 3663);
  missed.push({ callSid: sid.C7!, agentId: A.id, at: at(3873) });
  seg("C7", B, "recall", 3880, 3940);
  // C8: A calls out (not offered; A's talk counts, A's answered does not).
  call("C8", { start: 4200, answered: 4210, ended: 4270, outcome: "answered", by: A.id, direction: "outbound" });
  seg("C8", A, "outbound", 4210, 4270);
  // C9: still waiting. C10: connected to B after 10 s, still talking.
  call("C9", { start: 4800 });
  call("C10", { start: 5100, answered: 5110, by: B.id, from: "+33142685300" });
  seg("C10", B, "inbound", 5110, null);
  // C11: 23:59 local, answered after 30 s by A, ends at 00:04:30 the next day.
  call("C11", { start: 50340, answered: 50370, ended: 50670, outcome: "answered", by: A.id });
  seg("C11", A, "inbound", 50370, 50670);
  state(A, "wrap-up", "wrap-up", null, 50670, 50700);
  // C12: the next day (00:10), nobody answers: B lets it ring out, voicemail.
  call("C12", { start: 51000, ended: 51120, outcome: "voicemail" });
  event("C12", "voicemail", 51060, null, { reason: "timeout" });
  missed.push({ callSid: sid.C12!, agentId: B.id, at: at(51060) });
  // A: online 08:00 → 00:10 next day; away with no reason 09:00–09:30, Lunch 12:00–13:00, Training from 13:03:20 on.
  state(A, "online", "online", null, -7200, 51000);
  state(A, "status", "away", null, -3600, -1800);
  state(A, "status", "available", null, -1800, 7200);
  state(A, "status", "away", "Lunch", 7200, 10800);
  state(A, "status", "available", null, 10800, 11000);
  state(A, "status", "away", "Training", 11000, null);
  // B: online 09:00–14:10; Break 14:00–14:30 (10 min of it online); Lunch 16:00–17:00 offline; a
  // wrap-up across the day's start (one minute in it).
  state(B, "online", "online", null, -3600, 15000);
  state(B, "status", "away", "Break", 14400, 16200);
  state(B, "status", "away", "Lunch", 21600, 25200);
  state(B, "wrap-up", "wrap-up", null, -36060, -35940);

  await insertAll(calls, callRows);
  await insertAll(talkSegments, segs);
  await insertAll(ringEvents, events);
  await insertAll(agentStateLog, states);
  await insertAll(missedRings, missed);
});

const mine = (rows: AgentReportRow[]) => rows.filter((r) => r.agentId === A.id || r.agentId === B.id);

describe("the day's figures, computed in D1", () => {
  // "Now" is 13:20 local (T0 + 12,000 s): C9 still waits, C10 still talks, A is still in Training.
  const span = { from: D0, to: D1, now: at(12000) };

  it("totals: offered, each outcome, service level, speed of answer and its p90, handle time", async () => {
    expect(await reportTotals(env.DB, span, sl(20))).toEqual({
      // C1–C7, C9, C10, C11 (C8 is outbound; C12 is the next day).
      offered: 10,
      // Final outcome answered (C1, C2, C3, C7, C11) or connected now (C10).
      answered: 6,
      abandonedWaiting: 1, // C4
      abandonedParked: 1, // C5
      voicemail: 1, // C6
      missedRings: 2, // A on C6, A on C7's recall
      // Answered within 20 s: C1 (5), C3 (15), C5 (8), C7 (3), C10 (10) = 5; over the 9 calls answered or ended (not C9).
      serviceLevel: 5 / 9,
      serviceLevelSeconds: 20,
      shortAbandonSeconds: 0,
      // Speeds of answer 5, 25, 15, 8, 3, 10, 30: 96 / 7 = 13.71 → 13.7; p90 the 7th of 7 (⌈6.3⌉) = 30.
      averageSpeedOfAnswer: 13.7,
      p90SpeedOfAnswer: 30,
      // First connection to the end, ended calls: 60 + 240 + 190 + 92 + 337 + 300 = 1219 / 6 = 203.17.
      averageHandleTime: 203.2,
      outbound: 1,
    });
    // A threshold of 30 s takes in C2 (25) and C11 (30, the bound included): 7 / 9.
    expect((await reportTotals(env.DB, span, sl(30))).serviceLevel).toBe(7 / 9);
  });

  it("hour buckets stacked by outcome, with the service level of each", async () => {
    const period = resolvePeriod({ period: "custom", from: "2030-06-12", to: "2030-06-12" }, PARIS, 0);
    expect([period.from, period.to]).toEqual([D0, D1]);
    const buckets = periodBuckets(period);
    const figures = await bucketFigures(env.DB, buckets, sl(20));
    expect(figures).toHaveLength(24);
    // 10:00: C1, C2, C3 answered, C4, C5, C6; in service C1, C3, C5 of 6.
    expect(figures[10]).toEqual({ counts: { answered: 3, abandoned_waiting: 1, abandoned_parked: 1, voicemail: 1 }, serviceLevel: 0.5 });
    // 11:00: C7 and C10 answered in time; C9 still waits (in no stack, not in the service level).
    expect(figures[11]).toEqual({ counts: { answered: 2, abandoned_waiting: 0, abandoned_parked: 0, voicemail: 0 }, serviceLevel: 1 });
    // 23:00: C11, answered after 30 s.
    expect(figures[23]).toEqual({ counts: { answered: 1, abandoned_waiting: 0, abandoned_parked: 0, voicemail: 0 }, serviceLevel: 0 });
    expect(figures.filter((_, i) => ![10, 11, 23].includes(i)).every((f) => f.serviceLevel === null && Object.values(f.counts).every((n) => n === 0))).toBe(true);
    expect(buckets[10]!.label).toBe("10:00");
  });

  it("the wait distribution: to the answer, to the voicemail, to the hang-up", async () => {
    const bins = await waitDistribution(env.DB, span);
    // ≤10: C1 5, C5 8, C7 3, C10 10 · ≤20: C3 15 · ≤30: C2 25, C11 30 · ≤60: C4 40 (hang-up), C6 60 (to voicemail, not 120 to the end).
    expect(bins.map((b) => [b.label, b.upTo, b.count])).toEqual([
      ["0–10 s", 10, 4],
      ["10–20 s", 20, 1],
      ["20–30 s", 30, 2],
      ["30–60 s", 60, 2],
      ["60–120 s", 120, 0],
      ["120–300 s", 300, 0],
      ["> 300 s", null, 0],
    ]);
  });

  it("per agent: answered, missed rings, declines, talk, wrap-up and away time by reason", async () => {
    const rows = mine(await agentFigures(env.DB, span));
    expect(rows).toEqual([
      {
        agentId: A.id,
        name: expect.any(String),
        // C1, C2 (retrieve), C3, C7, C11; not C8 (A placed it).
        answered: 5,
        missedRings: 2,
        declines: 1, // C4
        // 60 (C1) + 120 (C2) + 60 (C3) + 60 (C7) + 60 (C8) + 30 (C11 up to midnight) = 390.
        talkSeconds: 390,
        wrapUpSeconds: 30,
        // No reason 30 min; Lunch 1 h; Training 13:03:20 → now 13:20 = 1000 s (open: up to now).
        awaySeconds: { "(no reason)": 1800, Lunch: 3600, Training: 1000 },
      },
      {
        agentId: B.id,
        name: expect.any(String),
        // C2, C3 (transfer), C5, C7 (recall), C10.
        answered: 5,
        missedRings: 0,
        declines: 1, // C6
        // 60 (C2) + 120 (C3) + 60 (C5) + 60 (C7) + C10 from 11:25:10 to now 13:20 (6890) = 7190.
        talkSeconds: 7190,
        // 30 (after C3) + 60 (the minute of the wrap-up begun the day before).
        wrapUpSeconds: 90,
        // Break while online 14:00–14:10; Lunch was offline.
        awaySeconds: { Break: 600 },
      },
    ]);
  });

  it("the next day: what crossed midnight counts where it happened", async () => {
    const next = { from: D1, to: D2, now: D2 + 3600 * S };
    const totals = await reportTotals(env.DB, next, sl(20));
    // C12 only: a voicemail, not answered in time (0 of 1); C11 started the day before.
    expect(totals).toMatchObject({ offered: 1, answered: 0, voicemail: 1, missedRings: 1, serviceLevel: 0, averageSpeedOfAnswer: null, p90SpeedOfAnswer: null, averageHandleTime: null, outbound: 0 });
    const rows = mine(await agentFigures(env.DB, next));
    // A: C11 from midnight to 00:04:30 (270 s), its wrap-up, Training while online 00:00–00:10 (600 s).
    expect(rows.find((r) => r.agentId === A.id)).toMatchObject({ answered: 0, talkSeconds: 270, wrapUpSeconds: 30, awaySeconds: { Training: 600 } });
    // B: C10 is still connected (open, "now" is after the day): the whole day, 86,400 s.
    expect(rows.find((r) => r.agentId === B.id)).toMatchObject({ answered: 0, missedRings: 1, talkSeconds: 86_400, awaySeconds: {} });
  });
});

describe("abandoned in every phase (Wednesday 2030-06-19, from 10:00 in Paris)", () => {
  it("before an agent: ringing, a claim still connecting, at the voicemail prompt; after one: transferred, recalled, reconnecting", async () => {
    const day0 = Date.UTC(2030, 5, 18, 22);
    const t = (s: number) => day0 + 10 * 3600 * S + s * S;
    const rows: CallRow[] = [];
    const segments: (typeof talkSegments.$inferInsert)[] = [];
    const p = (start: number, ended: number, outcome: "missed" | "abandoned", answered?: { at: number; by: TestAgent; talk: number }) => {
      const callSid = "CA" + crypto.randomUUID().replaceAll("-", "");
      rows.push({ callSid, from: "+15551230004", to: "+15559990000", status: "ended", outcome, answeredBy: answered?.by.id ?? null, startedAt: t(start), answeredAt: answered ? t(answered.at) : null, endedAt: t(ended), seq: 1 });
      if (answered) segments.push({ callSid, agentId: answered.by.id, purpose: "inbound", startedAt: t(answered.at), endedAt: t(answered.at + answered.talk) });
    };
    p(0, 45, "missed"); // P1: hangs up while ringing everyone, after 45 s
    p(100, 108, "missed"); // P2: A won the claim at 105, the caller hangs up at 108 before A's phone joins
    p(200, 280, "abandoned", { at: 204, by: A, talk: 60 }); // P3: A transfers to B at 264; hangs up while B rings
    p(300, 570, "abandoned", { at: 325, by: A, talk: 60 }); // P4: A parks at 385; the recall rings A at 565; hangs up at 570
    p(600, 700, "abandoned", { at: 612, by: B, talk: 60 }); // P5: B's leg drops at 672; hangs up while the others ring again
    p(800, 870, "missed"); // P6: sent to voicemail at 860, hangs up at the prompt without a message
    await insertAll(calls, rows);
    await insertAll(talkSegments, segments);
    const span = { from: day0, to: day0 + 24 * 3600 * S, now: day0 + 25 * 3600 * S };
    expect(await reportTotals(env.DB, span, sl(20))).toEqual({
      offered: 6,
      answered: 0,
      abandonedWaiting: 3, // P1, P2, P6
      abandonedParked: 3, // P3, P4, P5
      voicemail: 0,
      missedRings: 0,
      serviceLevel: 2 / 6, // P3 (4 s) and P5 (12 s); P4 took 25 s
      serviceLevelSeconds: 20,
      shortAbandonSeconds: 0,
      averageSpeedOfAnswer: 13.7, // (4 + 25 + 12) / 3
      p90SpeedOfAnswer: 25, // the 3rd of 3
      averageHandleTime: 136.3, // (76 + 245 + 88) / 3: the lot and the rings after the agent count
      outbound: 0,
    });
    // With SHORT_ABANDON_SECONDS at 10, P2 (gave up waiting after 8 s) is left out of the service level:
    // 2 of 5. P1 (45 s) and P6 (70 s) waited longer; P3 was answered in 4 s, then abandoned in the lot.
    expect((await reportTotals(env.DB, span, sl(20, 10))).serviceLevel).toBe(2 / 5);
    expect((await reportTotals(env.DB, span, sl(20, 8))).serviceLevel).toBe(2 / 6); // under 8 s, not 8 s itself
    // P3 4, P2 8 · P5 12 · P4 25 · P1 45 · P6 70 (a hang-up at the prompt is a hang-up, not a voicemail).
    expect((await waitDistribution(env.DB, span)).map((b) => b.count)).toEqual([2, 1, 1, 1, 1, 0, 0]);
    const [buckets] = [periodBuckets(resolvePeriod({ period: "custom", from: "2030-06-19", to: "2030-06-19" }, PARIS, 0))];
    expect((await bucketFigures(env.DB, buckets, sl(20)))[10]).toEqual({ counts: { answered: 0, abandoned_waiting: 3, abandoned_parked: 3, voicemail: 0 }, serviceLevel: 2 / 6 });
    expect((await bucketFigures(env.DB, buckets, sl(20, 10)))[10]!.serviceLevel).toBe(2 / 5);
    const agentRows = mine(await agentFigures(env.DB, span));
    expect(agentRows.map((r) => [r.answered, r.talkSeconds])).toEqual([
      [2, 120], // A: P3 and P4
      // B: P5 (the transfer to B never connected); talk 60 s, and the whole day of C10, still open since the 12th.
      [1, 60 + 86_400],
    ]);
  });
});

describe("the same figures through the API", () => {
  const custom = "period=custom&from=2030-06-12&to=2030-06-12";

  it("GET /api/reports/summary: the period in Paris, totals, 24 hour buckets, the wait distribution", async () => {
    const res = await api(`/api/reports/summary?${custom}`, boss.cookie);
    expect(res.status).toBe(200);
    const s = (await res.json()) as ReportSummary;
    expect(s.period).toEqual({ kind: "custom", from: D0, to: D1, timeZone: PARIS, bucket: "hour" });
    expect(s.totals).toMatchObject({ offered: 10, answered: 6, abandonedWaiting: 1, abandonedParked: 1, voicemail: 1, missedRings: 2, serviceLevel: 5 / 9, p90SpeedOfAnswer: 30, outbound: 1 });
    expect(s.buckets).toHaveLength(24);
    expect(s.buckets[10]).toEqual({ start: at(0), label: "10:00", counts: { answered: 3, abandoned_waiting: 1, abandoned_parked: 1, voicemail: 1 }, serviceLevel: 0.5 });
    expect(s.waitDistribution.map((b) => b.count)).toEqual([4, 1, 2, 2, 0, 0, 0]);
  });

  it("GET /api/reports/agents: with the real clock (before 2030), open intervals add nothing", async () => {
    const res = await api(`/api/reports/agents?${custom}`, admin.cookie);
    expect(res.status).toBe(200);
    const r = (await res.json()) as AgentReport;
    const [a, b] = mine(r.agents);
    expect(a).toMatchObject({ answered: 5, talkSeconds: 390, wrapUpSeconds: 30, awaySeconds: { "(no reason)": 1800, Lunch: 3600 } });
    expect(a!.awaySeconds.Training).toBeUndefined();
    expect(b).toMatchObject({ answered: 5, declines: 1, talkSeconds: 300, wrapUpSeconds: 90, awaySeconds: { Break: 600 } });
    // An idle agent is listed with zeros; supervisors and admins only when they have a figure.
    expect(r.agents.find((x) => x.agentId === agentOnly.id)).toMatchObject({ answered: 0, talkSeconds: 0, awaySeconds: {} });
    expect(r.agents.find((x) => x.agentId === boss.id)).toBeUndefined();
  });

  it("the summary and agents as CSV: a header and a line per bucket or agent", async () => {
    const res = await api(`/api/reports/summary?${custom}&format=csv`, boss.cookie);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
    expect(res.headers.get("Content-Disposition")).toBe('attachment; filename="ringall-summary-2030-06-12.csv"');
    const lines = (await res.text()).split("\r\n");
    expect(lines[0]).toBe("start,label,answered,abandoned_waiting,abandoned_parked,voicemail,offered,service_level");
    expect(lines).toHaveLength(1 + 24 + 1); // and the final CRLF
    expect(lines[11]).toBe(`${new Date(at(0)).toISOString()},10:00,3,1,1,1,6,0.5`);
    const agents = await api(`/api/reports/agents?${custom}&format=csv`, boss.cookie);
    const text = await agents.text();
    expect(text.split("\r\n")[0]).toBe("agent_id,name,answered,missed_rings,declines,talk_seconds,wrap_up_seconds,away_seconds,away_seconds: (no reason),away_seconds: Break,away_seconds: Lunch");
    expect(text).toContain(`\r\n${A.id},Agent ${A.id.replace(/_0$/, "")} 0,5,2,1,390,30,5400,1800,0,3600\r\n`);
  });

  it("GET /api/reports/calls: newest first, filtered, in keyset pages", async () => {
    const day = "from=2030-06-12&to=2030-06-12";
    const all = (await (await api(`/api/reports/calls?${day}&limit=200`, boss.cookie)).json()) as CallLogPage;
    // C1–C11 started that day (C12 the next), newest first.
    expect(all.calls.map((c) => c.callSid)).toEqual(["C11", "C10", "C9", "C8", "C7", "C6", "C5", "C4", "C3", "C2", "C1"].map((n) => sid[n]));
    expect(all.next).toBeNull();
    expect(all.calls.find((c) => c.callSid === sid.C2)).toEqual({
      callSid: sid.C2,
      direction: "inbound",
      from: "+15551230001",
      to: "+15559990000",
      startedAt: at(600),
      answeredAt: at(625),
      endedAt: at(865),
      outcome: "answered",
      answeredBy: A.id,
      dialedBy: null,
      waitSeconds: 25,
      talkSeconds: 180, // B 60 s + A 120 s
      noteOutcome: null,
    });
    expect(all.total).toBe(11);
    // Three pages of four, then the rest; the first says how many there are in all, the others do not.
    const seen: string[] = [];
    const totals: (number | undefined)[] = [];
    let next: string | null = null;
    do {
      const page = (await (await api(`/api/reports/calls?${day}&limit=4${next ? `&before=${encodeURIComponent(next)}` : ""}`, boss.cookie)).json()) as CallLogPage;
      seen.push(...page.calls.map((c) => c.callSid));
      totals.push(page.total);
      next = page.next;
    } while (next);
    expect(totals).toEqual([11, undefined, undefined]);
    expect(seen).toEqual(all.calls.map((c) => c.callSid));
    // Each search's total counts what it finds, with the same filters as its rows.
    const q = async (query: string) => {
      const page = (await (await api(`/api/reports/calls?${day}&${query}`, boss.cookie)).json()) as CallLogPage;
      expect(page.total).toBe(page.calls.length);
      return page.calls.map((c) => c.callSid);
    };
    expect(await q("q=" + encodeURIComponent("+33 1 42"))).toEqual([sid.C10]);
    expect(await q("outcome=abandoned")).toEqual([sid.C5]);
    expect(await q("direction=outbound")).toEqual([sid.C8]);
    // B took part in C2, C3, C5, C7 and C10 (answered, retrieved or transferred to).
    expect(await q(`agent=${B.id}`)).toEqual(["C10", "C7", "C5", "C3", "C2"].map((n) => sid[n]));
    // The next day, in Paris, begins at 00:00 local: C12 only.
    const nextDay = (await (await api(`/api/reports/calls?from=2030-06-13&to=2030-06-13`, boss.cookie)).json()) as CallLogPage;
    expect(nextDay.calls.map((c) => c.callSid)).toEqual([sid.C12]);
  });

  it("the call log as CSV: a header and one line per call, numbers neutralised", async () => {
    const res = await api(`/api/reports/calls?from=2030-06-12&to=2030-06-12&format=csv`, boss.cookie);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Disposition")).toMatch(/^attachment; filename="ringall-calls-\d{4}-\d{2}-\d{2}\.csv"$/);
    const lines = (await res.text()).split("\r\n").slice(0, -1);
    expect(lines[0]).toBe("call_sid,direction,from,to,started_at,answered_at,ended_at,outcome,answered_by,dialed_by,wait_seconds,talk_seconds,note_outcome");
    expect(lines).toHaveLength(1 + 11);
    expect(lines[1]).toBe(`${sid.C11},inbound,'+15551230001,'+15559990000,${new Date(at(50340)).toISOString()},${new Date(at(50370)).toISOString()},${new Date(at(50670)).toISOString()},answered,${A.id},,30,300,`);
  });

  it("the call log CSV reads D1 in chunks: 4,000 calls, three to a second, in two full chunks of 2,000, each once", async () => {
    // 2030-08-01 in Paris from 12:00 local: call i starts at second ⌊i / 3⌋, so ties cross the chunk boundary.
    const base = Date.UTC(2030, 7, 1, 10);
    const { meta } = await env.DB.prepare(
      `INSERT INTO calls (call_sid, from_number, to_number, status, outcome, started_at, ended_at, seq, direction)
       WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 3999)
       SELECT printf('CA%032x', 3000000 + i), '+15551230003', '+15559990000', 'ended', 'missed', ?1 + (i / 3) * 1000, ?1 + (i / 3) * 1000 + 5000, 1, 'inbound' FROM n`,
    )
      .bind(base)
      .run();
    expect(meta.changes).toBe(4000);
    const res = await api(`/api/reports/calls?from=2030-08-01&to=2030-08-01&format=csv`, boss.cookie);
    const lines = (await res.text()).split("\r\n").slice(1, -1);
    expect(lines).toHaveLength(4000);
    const sids = lines.map((l) => l.split(",")[0]!);
    expect(new Set(sids).size).toBe(4000);
    // Newest first; among calls of the same second, the higher CallSid first.
    const expected = Array.from({ length: 4000 }, (_, i) => i)
      .sort((a, b) => Math.floor(b / 3) - Math.floor(a / 3) || b - a)
      .map((i) => "CA" + (3000000 + i).toString(16).padStart(32, "0"));
    expect(sids).toEqual(expected);
  });

  it("GET /api/reports/calls/{sid}: the call's trail in order, with agent names", async () => {
    const res = await api(`/api/reports/calls/${sid.C1}`, boss.cookie);
    expect(res.status).toBe(200);
    const t = (await res.json()) as CallTimeline;
    expect(t.call.callSid).toBe(sid.C1);
    expect(t.note).toBeNull();
    expect(t.entries.map((e) => [e.type, e.at, e.agentId])).toEqual([
      ["ring_start", at(0), null],
      ["answered", at(4), A.id],
      ["connected", at(5), A.id],
      ["call_ended", at(65), A.id],
    ]);
    expect(t.entries[1]!.agentName).toMatch(/^Agent /);
    expect(t.entries[0]!.detail).toEqual({ agents: [A.id, B.id], purpose: "inbound", agentNames: [expect.stringMatching(/^Agent /), expect.stringMatching(/^Agent /)] });
    expect((await api(`/api/reports/calls/CA${"0".repeat(32)}`, boss.cookie)).status).toBe(404);
  });
});

describe("a daylight-saving day in Paris (2030-10-27, 25 hours)", () => {
  it("buckets the repeated hour apart, and the day is 25 hours long", async () => {
    // 01:30 CEST, 02:30 CEST, 02:30 CET, 23:30 CET.
    const times = [Date.UTC(2030, 9, 26, 23, 30), Date.UTC(2030, 9, 27, 0, 30), Date.UTC(2030, 9, 27, 1, 30), Date.UTC(2030, 9, 27, 22, 30)];
    await insertAll(
      calls,
      times.map((t) => ({ callSid: "CA" + crypto.randomUUID().replaceAll("-", ""), from: "+15551230002", to: "+15559990000", status: "ended" as const, outcome: "missed" as const, startedAt: t, endedAt: t + 5 * S, seq: 1 })),
    );
    const res = await api(`/api/reports/summary?period=custom&from=2030-10-27&to=2030-10-27`, boss.cookie);
    const s = (await res.json()) as ReportSummary;
    expect(s.period.to - s.period.from).toBe(25 * 3600 * S);
    expect(s.buckets).toHaveLength(25);
    const missedAt = s.buckets.filter((b) => b.counts.abandoned_waiting > 0).map((b) => `${b.label}: ${b.counts.abandoned_waiting}`);
    expect(missedAt).toEqual(["01:00: 1", "02:00 GMT+2: 1", "02:00 GMT+1: 1", "23:00: 1"]);
    expect(s.totals).toMatchObject({ offered: 4, abandonedWaiting: 4, serviceLevel: 0 });
    // Three days around it: days of 24, 25 and 24 hours, the four calls on the 27th.
    const days = (await (await api(`/api/reports/summary?period=custom&from=2030-10-26&to=2030-10-28`, boss.cookie)).json()) as ReportSummary;
    expect(days.period.bucket).toBe("day");
    expect(days.buckets.map((b) => [b.label, b.counts.abandoned_waiting])).toEqual([
      ["Sat 26 Oct", 0],
      ["Sun 27 Oct", 4],
      ["Mon 28 Oct", 0],
    ]);
    expect(days.buckets[2]!.start - days.buckets[1]!.start).toBe(25 * 3600 * S);
  });
});
