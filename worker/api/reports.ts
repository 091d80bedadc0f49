import { Hono } from "hono";
import type { Config } from "../config";
import { callNote, noteView } from "../db/callNotes";
import { type AppEnv, type Ctx, HttpError } from "../http";
import {
  AGENT_ID_PATTERN,
  type AgentReport,
  CALL_OUTCOMES,
  type CallLogPage,
  type CallLogRow,
  type CallOutcome,
  type CallTimeline,
  REPORT_OUTCOMES,
  type ReportSummary,
  type ReportTotals,
} from "../protocol";
import { csvHeaders, csvLine } from "../reports/csv";
import { addDays, isLocalDate, localDateOf, PeriodError, periodBuckets, type ResolvedPeriod, resolvePeriod, startOfLocalDay } from "../reports/periods";
import { agentFigures, bucketFigures, callCount, type CallLogFilter, callLog, reportTotals, type ServiceLevelRule, type Span, timelineEntries, waitDistribution } from "../reports/queries";
import { teamTimeZone } from "../reports/timeZone";
import { requireSession, requireSupervisor } from "./middleware";

// The reports (docs/reports.md, docs/api.md#reports): supervisors and admins only, GET only. Every
// figure is computed in D1 (worker/reports/queries.ts) over a period resolved in the team's time zone.
export const reportRoutes = new Hono<AppEnv>();
reportRoutes.use("/reports/*", requireSession, requireSupervisor);

/** The call log's page size: default and most. */
const PAGE = { default: 50, max: 200 } as const;
/**
 * The most rows a CSV of the call log holds, and how many it reads from D1 at a time: each read is
 * one round trip, so fewer is faster, but a D1 answer must stay well under its message size limit
 * (5,000 rows of about 300 bytes failed locally: "incoming RPC message exceeds size limit").
 */
export const CSV_MAX_CALLS = 100_000;
const CSV_CHUNK = 2000;

function format(c: Ctx): "json" | "csv" {
  const f = c.req.query("format");
  if (f === undefined || f === "json") return "json";
  if (f === "csv") return "csv";
  throw new HttpError(400, 'format must be "json" or "csv"');
}

async function periodOf(c: Ctx): Promise<{ period: ResolvedPeriod; span: Span }> {
  const tz = await teamTimeZone(c.var.db);
  const now = Date.now();
  try {
    // An empty parameter is an absent one (a form's blank field).
    const q = (name: string) => c.req.query(name) || undefined;
    const period = resolvePeriod({ period: q("period"), from: q("from"), to: q("to") }, tz, now);
    return { period, span: { from: period.from, to: period.to, now } };
  } catch (err) {
    if (err instanceof PeriodError) throw new HttpError(400, err.message);
    throw err;
  }
}

const serviceLevelRule = (config: Config): ServiceLevelRule => ({ seconds: config.serviceLevelSeconds, shortAbandonSeconds: config.shortAbandonSeconds });
const periodView = (p: ResolvedPeriod): ReportSummary["period"] => ({ kind: p.kind, from: p.from, to: p.to, timeZone: p.timeZone, bucket: p.bucket });
const fileDates = (p: ResolvedPeriod) => (p.firstDate === p.lastDate ? p.firstDate : `${p.firstDate}_${p.lastDate}`);

reportRoutes.get("/reports/today", async (c) => {
  const tz = await teamTimeZone(c.var.db);
  const now = Date.now();
  const period = resolvePeriod({ period: "today" }, tz, now);
  return c.json((await reportTotals(c.env.DB, { from: period.from, to: period.to, now }, serviceLevelRule(c.var.config))) satisfies ReportTotals);
});

reportRoutes.get("/reports/summary", async (c) => {
  const as = format(c);
  const { period, span } = await periodOf(c);
  const buckets = periodBuckets(period);
  const sl = serviceLevelRule(c.var.config);
  const [totals, figures, waits] = await Promise.all([reportTotals(c.env.DB, span, sl), bucketFigures(c.env.DB, buckets, sl), waitDistribution(c.env.DB, span)]);
  const summary: ReportSummary = {
    period: periodView(period),
    totals,
    buckets: buckets.map((b, i) => ({ start: b.start, label: b.label, counts: figures[i]!.counts, serviceLevel: figures[i]!.serviceLevel })),
    waitDistribution: waits,
  };
  if (as === "json") return c.json(summary);
  let text = csvLine(["start", "label", ...REPORT_OUTCOMES, "offered", "service_level"]);
  for (const b of summary.buckets) {
    const offered = REPORT_OUTCOMES.reduce((n, o) => n + b.counts[o], 0);
    text += csvLine([new Date(b.start).toISOString(), b.label, ...REPORT_OUTCOMES.map((o) => b.counts[o]), offered, b.serviceLevel === null ? null : Math.round(b.serviceLevel * 10_000) / 10_000]);
  }
  return c.body(text, 200, csvHeaders(`ringall-summary-${fileDates(period)}.csv`));
});

reportRoutes.get("/reports/agents", async (c) => {
  const as = format(c);
  const { period, span } = await periodOf(c);
  const report: AgentReport = { period: periodView(period), agents: await agentFigures(c.env.DB, span) };
  if (as === "json") return c.json(report);
  const reasons = [...new Set(report.agents.flatMap((a) => Object.keys(a.awaySeconds)))].sort();
  let text = csvLine(["agent_id", "name", "answered", "missed_rings", "declines", "talk_seconds", "wrap_up_seconds", "away_seconds", ...reasons.map((r) => `away_seconds: ${r}`)]);
  for (const a of report.agents) {
    const away = Object.values(a.awaySeconds).reduce((n, s) => n + s, 0);
    text += csvLine([a.agentId, a.name, a.answered, a.missedRings, a.declines, a.talkSeconds, a.wrapUpSeconds, away, ...reasons.map((r) => a.awaySeconds[r] ?? 0)]);
  }
  return c.body(text, 200, csvHeaders(`ringall-agents-${fileDates(period)}.csv`));
});

/** The call log's filters from the query; a 400 names the first one that is wrong. */
async function logFilter(c: Ctx): Promise<CallLogFilter> {
  const f: CallLogFilter = {};
  const q = c.req.query("q");
  if (q !== undefined && q.trim() !== "") {
    if (q.length > 32 || !/^[0-9+\-().\s]+$/.test(q)) throw new HttpError(400, "q must be part of a phone number: digits, with + - ( ) . or spaces, at most 32 characters");
    const digits = q.replace(/\D/g, "");
    if (digits === "") throw new HttpError(400, "q must contain at least one digit");
    f.digits = digits;
  }
  const agent = c.req.query("agent");
  if (agent !== undefined && agent !== "") {
    if (!AGENT_ID_PATTERN.test(agent)) throw new HttpError(400, "agent must be an agent id (letters, digits or _)");
    f.agent = agent;
  }
  const outcome = c.req.query("outcome");
  if (outcome !== undefined && outcome !== "") {
    if (!(CALL_OUTCOMES as readonly string[]).includes(outcome)) throw new HttpError(400, `outcome must be one of ${CALL_OUTCOMES.join(", ")}`);
    f.outcome = outcome as CallOutcome;
  }
  const direction = c.req.query("direction");
  if (direction !== undefined && direction !== "") {
    if (direction !== "inbound" && direction !== "outbound") throw new HttpError(400, 'direction must be "inbound" or "outbound"');
    f.direction = direction;
  }
  const from = c.req.query("from");
  const to = c.req.query("to");
  if ((from !== undefined && from !== "") || (to !== undefined && to !== "")) {
    const tz = await teamTimeZone(c.var.db);
    if (from) {
      if (!isLocalDate(from)) throw new HttpError(400, "from must be a date YYYY-MM-DD (the team's time zone)");
      f.from = startOfLocalDay(tz, from);
    }
    if (to) {
      if (!isLocalDate(to)) throw new HttpError(400, "to must be a date YYYY-MM-DD (the team's time zone)");
      f.to = startOfLocalDay(tz, addDays(to, 1));
    }
    if (from && to && from > to) throw new HttpError(400, "from must not be after to");
  }
  const before = c.req.query("before");
  if (before !== undefined && before !== "") f.before = parseCursor(before);
  return f;
}

/** A page's cursor: the last row's start and CallSid, "<startedAt>.<callSid>". */
const cursorOf = (r: CallLogRow) => `${r.startedAt}.${r.callSid}`;
function parseCursor(s: string): { startedAt: number; callSid: string } {
  const m = /^(\d{1,15})\.([A-Za-z0-9_-]{1,64})$/.exec(s);
  if (!m) throw new HttpError(400, "before must be the `next` of a previous page");
  return { startedAt: Number(m[1]), callSid: m[2]! };
}

const LOG_HEADER = ["call_sid", "direction", "from", "to", "started_at", "answered_at", "ended_at", "outcome", "answered_by", "dialed_by", "wait_seconds", "talk_seconds", "note_outcome"];
const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
const logCells = (r: CallLogRow) => [r.callSid, r.direction, r.from, r.to, iso(r.startedAt), iso(r.answeredAt), iso(r.endedAt), r.outcome, r.answeredBy, r.dialedBy, r.waitSeconds, r.talkSeconds, r.noteOutcome];

reportRoutes.get("/reports/calls", async (c) => {
  const as = format(c);
  const filter = await logFilter(c);
  const now = Date.now();
  if (as === "csv") {
    if (c.req.query("limit") !== undefined) throw new HttpError(400, `limit is for JSON pages; a CSV holds every matching call (at most ${CSV_MAX_CALLS.toLocaleString("en")})`);
    const db = c.env.DB;
    const encoder = new TextEncoder();
    let asked = 0;
    let header = true;
    const chunk = (before: CallLogFilter["before"]): Promise<CallLogRow[]> => {
      const want = Math.min(CSV_CHUNK, CSV_MAX_CALLS - asked);
      asked += want;
      const rows = want > 0 ? callLog(db, { ...filter, ...(before ? { before } : {}) }, want, now) : Promise.resolve([]);
      // A read the client never waits for (it went away) must not be an unhandled rejection.
      rows.catch(() => undefined);
      return rows;
    };
    // Pages of CSV_CHUNK rows read one after another as the client reads (never the whole log in
    // memory), the next one asked of D1 while this one is written out.
    let next = chunk(filter.before);
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const rows = await next;
        const last = rows[rows.length - 1];
        const more = last !== undefined && rows.length === CSV_CHUNK && asked < CSV_MAX_CALLS;
        if (more) next = chunk({ startedAt: last.startedAt, callSid: last.callSid });
        let text = header ? csvLine(LOG_HEADER) : "";
        header = false;
        for (const r of rows) text += csvLine(logCells(r));
        if (text) controller.enqueue(encoder.encode(text));
        if (!more) controller.close();
      },
    });
    const tz = await teamTimeZone(c.var.db);
    return c.body(stream, 200, csvHeaders(`ringall-calls-${localDateOf(tz, now)}.csv`));
  }
  const raw = c.req.query("limit");
  let limit: number = PAGE.default;
  if (raw !== undefined && raw !== "") {
    if (!/^\d{1,4}$/.test(raw) || Number(raw) < 1 || Number(raw) > PAGE.max) throw new HttpError(400, `limit must be a whole number from 1 to ${PAGE.max}`);
    limit = Number(raw);
  }
  // One more than asked: whether an older page exists. The count once per search, with its first page.
  const [rows, total] = await Promise.all([callLog(c.env.DB, filter, limit + 1, now), filter.before ? undefined : callCount(c.env.DB, filter)]);
  const page = rows.slice(0, limit);
  return c.json({ calls: page, next: rows.length > limit ? cursorOf(page[page.length - 1]!) : null, ...(total === undefined ? {} : { total }) } satisfies CallLogPage);
});

reportRoutes.get("/reports/calls/:sid", async (c) => {
  const sid = c.req.param("sid");
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(sid)) throw new HttpError(400, "the call id must be a CallSid (CA + 32 hex digits)");
  const [row] = await callLog(c.env.DB, { callSid: sid }, 1, Date.now());
  if (!row) throw new HttpError(404, `no call ${sid}`);
  const [entries, note] = await Promise.all([timelineEntries(c.env.DB, sid), callNote(c.var.db, sid)]);
  return c.json({ call: row, entries, note: note ? noteView(note) : null } satisfies CallTimeline);
});
