// Part 7: the reports (GET /api/reports/*) over a seeded history: `calls` calls spread over `days`
// days up to now, with what a real history has beside them: talk segments (a tenth of the answered
// calls handed from one agent to another), five ring events a call, wrap-up after every connection,
// each agent's online and status intervals every day, three missed rings per voicemail, notes.
// The seed is SQL (recursive CTEs) run into the server's local D1 by bench/server.ts prepareState,
// as the sign-in part seeds its throttle table: nothing of it is in the product's code.
//
// Standalone: `node bench/reports.ts [--calls 100000] [--days 30] [--runs 5]` starts its own server.
import { performance } from "node:perf_hooks";
import { seed as seedAgents } from "./product.ts";
import { prepareState, startServer } from "./server.ts";
import { ms, summarize, table } from "./stats.ts";

const DAY = 86_400_000;
/** What every report must answer within (issue 14): p50 of the runs. */
export const REPORT_TARGET_MS = 1000;

export interface ReportsPlan {
  calls: number;
  days: number;
  /** Agents bench_0000 … (seeded by product.ts seed()) who took the calls. */
  agents: number;
  runs: number;
}

const agent = (expr: string, agents: number) => `'bench_' || printf('%04d', (${expr}) % ${agents})`;

/** The history, as SQL for `wrangler d1 execute`; `now` is its end. */
export function reportsSeedSql(plan: ReportsPlan, now: number): string {
  const { calls, days, agents } = plan;
  const start = now - days * DAY;
  const step = Math.floor((days * DAY) / calls);
  // k: 0–69 answered, 70–79 abandoned while waiting, 80–84 abandoned while parked, 85–94 voicemail, 95–99 outbound.
  const answeredLike = "(k < 70 OR (k >= 80 AND k < 85) OR k >= 95)";
  return `
INSERT INTO calls (call_sid, from_number, to_number, status, outcome, answered_by, started_at, answered_at, ended_at, seq, direction, dialed_by, recorded)
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${calls}),
g AS (SELECT i, (i * 37) % 100 AS k, ${start} + (i - 1) * ${step} + (i * 7919) % ${step} AS t, (i * 104729) % 90000 + 1000 AS w,
        (i * 15485863) % 600000 + 30000 AS talk, ${agent("i", agents)} AS ag FROM n)
SELECT printf('CA%032x', i), '+1555' || printf('%07d', (i * 7919) % 10000000), '+15550100000', 'ended',
  CASE WHEN k < 70 OR k >= 95 THEN 'answered' WHEN k < 80 THEN 'missed' WHEN k < 85 THEN 'abandoned' ELSE 'voicemail' END,
  CASE WHEN ${answeredLike} THEN ag END,
  t,
  CASE WHEN ${answeredLike} THEN t + w END,
  CASE WHEN k < 70 OR k >= 95 THEN t + w + talk WHEN k < 80 THEN t + w WHEN k < 85 THEN t + w + talk + 60000 ELSE t + 105000 END,
  1, CASE WHEN k >= 95 THEN 'outbound' ELSE 'inbound' END, CASE WHEN k >= 95 THEN ag END, 0
FROM g;
-- One segment a connected call; a tenth of the answered inbound ones parked halfway and retrieved by a colleague.
INSERT INTO talk_segments (call_sid, agent_id, purpose, started_at, ended_at)
SELECT call_sid, answered_by, CASE direction WHEN 'outbound' THEN 'outbound' ELSE 'inbound' END, answered_at,
  CASE WHEN outcome = 'abandoned' THEN ended_at - 60000 WHEN started_at % 10 = 0 AND direction = 'inbound' THEN (answered_at + ended_at) / 2 - 10000 ELSE ended_at END
FROM calls WHERE answered_at IS NOT NULL;
INSERT INTO talk_segments (call_sid, agent_id, purpose, started_at, ended_at)
SELECT call_sid, ${agent("(started_at / 1000) + 1", agents)}, 'retrieve', (answered_at + ended_at) / 2, ended_at
FROM calls WHERE answered_at IS NOT NULL AND outcome = 'answered' AND direction = 'inbound' AND started_at % 10 = 0;
INSERT INTO ring_events (call_sid, seq, type, agent_id, detail, at)
WITH s(seq) AS (VALUES (1), (2), (3), (4), (5))
SELECT c.call_sid, s.seq,
  CASE s.seq WHEN 1 THEN 'ring_start'
    WHEN 2 THEN CASE WHEN c.answered_at IS NULL THEN 'declined' ELSE 'answered' END
    WHEN 3 THEN CASE WHEN c.answered_at IS NULL THEN 'no_answer' ELSE 'connected' END
    WHEN 4 THEN CASE c.outcome WHEN 'voicemail' THEN 'voicemail' WHEN 'abandoned' THEN 'parked' ELSE 'ticket_used' END
    ELSE 'call_ended' END,
  CASE WHEN s.seq IN (2, 3) THEN COALESCE(c.answered_by, ${agent("c.started_at / 1000", agents)}) END,
  CASE s.seq WHEN 1 THEN '{"agents":["bench_0000","bench_0001","bench_0002"],"purpose":"inbound"}' END,
  CASE s.seq WHEN 1 THEN c.started_at WHEN 5 THEN c.ended_at ELSE MIN(COALESCE(c.answered_at, c.started_at + 60000) + (s.seq - 3) * 1000, c.ended_at) END
FROM calls c, s;
-- Wrap-up after every connection.
INSERT INTO agent_state_log (agent_id, kind, state, reason, started_at, ended_at)
SELECT agent_id, 'wrap-up', 'wrap-up', NULL, ended_at, ended_at + 30000 FROM talk_segments;
-- Every agent's day: online 08:00–17:00 UTC; available, Lunch 12–13, available, Break 15:00–15:15, available; away (no reason) overnight.
INSERT INTO agent_state_log (agent_id, kind, state, reason, started_at, ended_at)
WITH RECURSIVE d(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM d WHERE j < ${days}),
a(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM a WHERE x < ${agents - 1}),
p(kind, state, reason, s, e) AS (VALUES ('online', 'online', NULL, 8, 17), ('status', 'available', NULL, 8, 12), ('status', 'away', 'Lunch', 12, 13),
  ('status', 'available', NULL, 13, 15), ('status', 'away', 'Break', 15, 15.25), ('status', 'available', NULL, 15.25, 17), ('status', 'away', NULL, 17, 32))
SELECT ${agent("x", agents)}, p.kind, p.state, p.reason,
  ${Math.floor(start / DAY) * DAY} + j * ${DAY} + CAST(p.s * 3600000 AS INTEGER), ${Math.floor(start / DAY) * DAY} + j * ${DAY} + CAST(p.e * 3600000 AS INTEGER)
FROM d, a, p;
-- What is still going on now is open.
UPDATE agent_state_log SET ended_at = NULL WHERE started_at <= ${now} AND ended_at > ${now};
DELETE FROM agent_state_log WHERE started_at > ${now};
UPDATE talk_segments SET ended_at = NULL WHERE started_at <= ${now} AND ended_at > ${now};
INSERT INTO missed_rings (call_sid, agent_id, at)
WITH s(j) AS (VALUES (0), (1), (2))
SELECT c.call_sid, ${agent("(c.started_at / 1000) + s.j", agents)}, c.started_at + 60000 FROM calls c, s WHERE c.outcome = 'voicemail';
INSERT INTO call_notes (call_sid, author_id, note, outcome, created_at, updated_at)
SELECT call_sid, answered_by, 'Bench note', 'Resolved', ended_at, ended_at FROM calls WHERE answered_by IS NOT NULL AND started_at % 5 = 0;
`;
}

export interface ReportsResult {
  rows: (string | number)[][];
  /** Routes whose p50 missed REPORT_TARGET_MS, and wrong answers. */
  misses: string[];
  errors: string[];
}

/** Times each report route `runs` times, one request at a time, as the admin (who may see reports). */
export async function reportsBench(url: string, adminToken: string, plan: ReportsPlan, now: number): Promise<ReportsResult> {
  const headers = { Cookie: `ringall_session=${adminToken}` };
  const errors: string[] = [];
  const get = async (path: string) => {
    const t0 = performance.now();
    try {
      const res = await fetch(url + path, { headers });
      const first = performance.now() - t0;
      const body = await res.text();
      const took = performance.now() - t0;
      if (res.status !== 200) errors.push(`${path}: ${res.status} ${body.slice(0, 200)}`);
      return { took, first, body };
    } catch (err) {
      errors.push(`${path}: ${String(err)} ${String((err as Error).cause ?? "")}`);
      return { took: performance.now() - t0, first: NaN, body: "" };
    }
  };
  const day = (t: number) => new Date(t).toISOString().slice(0, 10);
  const all = `period=custom&from=${day(now - plan.days * DAY)}&to=${day(now)}`;
  // A cursor in the middle of the log, and a call to open.
  const mid = JSON.parse((await get(`/api/reports/calls?limit=200&${all.replace("period=custom&", "")}`)).body) as { calls: { callSid: string }[]; next: string };
  const someCall = mid.calls[17]?.callSid ?? "";
  const deep = `${now - Math.floor((plan.days * DAY) / 2)}.CA${"f".repeat(32)}`;
  const routes: [string, string][] = [
    ["today (the wallboard)", "/api/reports/today"],
    ["summary, today (hours)", "/api/reports/summary?period=today"],
    ["summary, last 7 days", "/api/reports/summary?period=last7"],
    [`summary, ${plan.days + 1} days (every call)`, `/api/reports/summary?${all}`],
    ["summary CSV, last 7 days", "/api/reports/summary?period=last7&format=csv"],
    ["agents, today", "/api/reports/agents?period=today"],
    ["agents, last 7 days", "/api/reports/agents?period=last7"],
    [`agents, ${plan.days + 1} days`, `/api/reports/agents?${all}`],
    ["agents CSV, last 7 days", "/api/reports/agents?period=last7&format=csv"],
    ["call log, first page (50)", "/api/reports/calls"],
    ["call log, a page halfway back", `/api/reports/calls?before=${encodeURIComponent(deep)}`],
    ["call log, number search", "/api/reports/calls?q=555123"],
    ["call log, one agent's calls", "/api/reports/calls?agent=bench_0007&limit=200"],
    ["call log, abandoned, 7 days", `/api/reports/calls?outcome=abandoned&from=${day(now - 6 * DAY)}&to=${day(now)}`],
    ["a call's timeline", `/api/reports/calls/${someCall}`],
    ["call log CSV, last 7 days", `/api/reports/calls?format=csv&from=${day(now - 6 * DAY)}&to=${day(now)}`],
    [`call log CSV, every call (${plan.calls.toLocaleString("en")})`, `/api/reports/calls?format=csv`],
  ];
  const rows: (string | number)[][] = [];
  const misses: string[] = [];
  for (const [name, path] of routes) {
    await get(path); // warm: the first request of a kind compiles and fills caches
    const times: number[] = [];
    const firsts: number[] = [];
    let bytes = 0;
    let lines = 0;
    for (let r = 0; r < plan.runs; r++) {
      const { took, first, body } = await get(path);
      times.push(took);
      firsts.push(first);
      bytes = body.length;
      lines = path.includes("format=csv") ? body.split("\r\n").length - 2 : 0;
    }
    const s = summarize(times);
    const met = s.p50 < REPORT_TARGET_MS;
    if (!met) misses.push(`${name}: p50 ${ms(s.p50)} ms`);
    rows.push([name, lines ? `${lines.toLocaleString("en")} lines, ${(bytes / 2 ** 20).toFixed(1)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`, ms(summarize(firsts).p50), ms(s.p50), ms(s.max), met ? "met" : "missed"]);
  }
  // Every seeded call is in the long period: a figure that lost or doubled calls is a failure.
  const text = (await get(`/api/reports/summary?${all}`)).body;
  const summary = (text ? JSON.parse(text) : { totals: { offered: NaN, outbound: NaN } }) as { totals: { offered: number; outbound: number } };
  if (summary.totals.offered + summary.totals.outbound !== plan.calls) errors.push(`the ${plan.days + 1}-day summary counts ${summary.totals.offered} offered + ${summary.totals.outbound} outbound, not the ${plan.calls} seeded calls`);
  return { rows, misses, errors };
}

export const REPORTS_HEAD = ["report", "answer", "headers p50 ms", "whole answer p50 ms", "max ms", `target: p50 < ${REPORT_TARGET_MS} ms`];

export function reportsTitle(plan: ReportsPlan): string {
  return `### 7. Reports over ${plan.calls.toLocaleString("en")} calls in ${plan.days} days (${plan.agents} agents; with talk segments, ~5 ring events a call, wrap-up and status intervals, missed rings, notes), ${plan.runs} runs each after a warm-up, one at a time`;
}

// Standalone.
if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string, fallback: number) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? Number(process.argv[i + 1]) : fallback;
  };
  const plan: ReportsPlan = { calls: arg("calls", 100_000), days: arg("days", 30), agents: 50, runs: arg("runs", 5) };
  const now = Date.now();
  const agents = seedAgents(plan.agents);
  const t0 = performance.now();
  const state = await prepareState("wrangler.toml", `${agents.sql}\n${reportsSeedSql(plan, now)}`);
  console.error(`bench reports: seeded ${plan.calls} calls in ${((performance.now() - t0) / 1000).toFixed(1)} s; starting the server…`);
  const server = await startServer("wrangler.toml", state, {});
  try {
    const result = await reportsBench(server.directUrl, agents.adminToken, plan, now);
    console.log(reportsTitle(plan) + "\n");
    console.log(table(REPORTS_HEAD, result.rows));
    for (const e of result.errors) console.error(`bench reports: WRONG: ${e}`);
    if (result.errors.length) console.error(server.tail().slice(-4000));
    for (const m of result.misses) console.error(`bench reports: target missed: ${m}`);
    process.exitCode = result.errors.length ? 1 : 0;
  } finally {
    await server.stop();
  }
  process.exit();
}
