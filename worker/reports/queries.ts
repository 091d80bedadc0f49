// The reports' figures, computed in D1 (docs/reports.md defines each one exactly as written here).
// Every query reads a period's rows through an index on their time (calls_started, ring_events_type_at,
// missed_rings_at, talk_segments_started/_ended, agent_state_log_started/_kind_ended): nothing loads
// every row into the worker. Times are epoch ms; the period is [from, to).
import type { AgentReportRow, CallLogRow, CallOutcome, ReportOutcome, ReportTotals, TimelineEntry } from "../protocol";
import type { Bucket } from "./periods";

export interface Span {
  from: number;
  to: number;
  /** The clock: open intervals (talk, wrap-up, away) count up to it. */
  now: number;
}

/** The wait distribution's upper bounds in seconds (a wait w falls in the first bin with w ≤ bound); then "> 300 s". */
export const WAIT_BOUNDS = [10, 20, 30, 60, 120, 300] as const;

// An inbound call's category, for the stacks and the totals (each offered call is in at most one).
const ANSWERED = "(c.outcome = 'answered' OR (c.outcome IS NULL AND c.answered_at IS NOT NULL))";
const OFFERED = "c.direction = 'inbound'";
/** Service level: answered within the threshold (the parameter `p`, ms), over calls answered or ended (calls still waiting are left out). */
const inService = (p: string) => `(c.answered_at IS NOT NULL AND c.answered_at - c.started_at <= ${p})`;
const DONE = "(c.answered_at IS NOT NULL OR c.ended_at IS NOT NULL)";
/** The service level's denominator: calls answered or ended, but for callers who gave up waiting in under `short` ms (a parameter; 0: none left out). */
const slBase = (short: string) => `(${DONE} AND NOT (c.answered_at IS NULL AND c.outcome = 'missed' AND c.ended_at - c.started_at < ${short}))`;

const stacks = (threshold: string, short: string) => `
  SUM(CASE WHEN ${ANSWERED} THEN 1 ELSE 0 END) AS answered,
  SUM(CASE WHEN c.outcome = 'missed' THEN 1 ELSE 0 END) AS abandoned_waiting,
  SUM(CASE WHEN c.outcome = 'abandoned' THEN 1 ELSE 0 END) AS abandoned_parked,
  SUM(CASE WHEN c.outcome = 'voicemail' THEN 1 ELSE 0 END) AS voicemail,
  SUM(CASE WHEN ${inService(threshold)} THEN 1 ELSE 0 END) AS in_service,
  SUM(CASE WHEN ${slBase(short)} THEN 1 ELSE 0 END) AS sl_base`;

// ?1 from, ?2 to, ?3 service level threshold (ms), ?4 short abandons (ms)
const TOTALS_SQL = `
SELECT
  SUM(CASE WHEN ${OFFERED} THEN 1 ELSE 0 END) AS offered,
  SUM(CASE WHEN ${OFFERED} AND ${ANSWERED} THEN 1 ELSE 0 END) AS answered,
  SUM(CASE WHEN ${OFFERED} AND c.outcome = 'missed' THEN 1 ELSE 0 END) AS abandoned_waiting,
  SUM(CASE WHEN ${OFFERED} AND c.outcome = 'abandoned' THEN 1 ELSE 0 END) AS abandoned_parked,
  SUM(CASE WHEN ${OFFERED} AND c.outcome = 'voicemail' THEN 1 ELSE 0 END) AS voicemail,
  SUM(CASE WHEN ${OFFERED} AND ${inService("?3")} THEN 1 ELSE 0 END) AS in_service,
  SUM(CASE WHEN ${OFFERED} AND ${slBase("?4")} THEN 1 ELSE 0 END) AS sl_base,
  AVG(CASE WHEN ${OFFERED} AND c.answered_at IS NOT NULL THEN c.answered_at - c.started_at END) AS asa_ms,
  AVG(CASE WHEN ${OFFERED} AND c.answered_at IS NOT NULL AND c.ended_at IS NOT NULL THEN c.ended_at - c.answered_at END) AS aht_ms,
  SUM(CASE WHEN c.direction = 'outbound' THEN 1 ELSE 0 END) AS outbound
FROM calls c
WHERE c.started_at >= ?1 AND c.started_at < ?2`;

// The 90th percentile by nearest rank: the ⌈0.9 n⌉-th smallest speed of answer, (9n + 9) / 10 in
// integers (ORDER BY … LIMIT 1 OFFSET, the count in the same statement).
const ANSWERED_IN_PERIOD = `FROM calls c WHERE c.started_at >= ?1 AND c.started_at < ?2 AND ${OFFERED} AND c.answered_at IS NOT NULL`;
const P90_SQL = `
SELECT c.answered_at - c.started_at AS w ${ANSWERED_IN_PERIOD}
ORDER BY w LIMIT 1 OFFSET (SELECT (9 * COUNT(*) + 9) / 10 - 1 ${ANSWERED_IN_PERIOD})`;

const MISSED_RINGS_SQL = `SELECT COUNT(*) AS n FROM missed_rings WHERE at >= ?1 AND at < ?2`;

// ?1 the buckets as a JSON array of [start, end] pairs, ?2 the threshold (ms), ?3 short abandons (ms).
const BUCKETS_SQL = `
SELECT CAST(b.key AS INTEGER) AS i, ${stacks("?2", "?3")}
FROM json_each(?1) b
JOIN calls c ON c.started_at >= json_extract(b.value, '$[0]') AND c.started_at < json_extract(b.value, '$[1]')
WHERE ${OFFERED}
GROUP BY b.key`;

// The wait of every offered call answered or ended: to its first connection, or to the moment it went
// to voicemail (the trail's first "voicemail" event; the call's end if the trail is gone), or to the
// caller's hang-up. One pass, a sum per bin (no GROUP BY sort). The voicemail moments are read once,
// through ring_events_type_at from the period's start on (a call's events come after its start), and
// joined: cheaper than a lookup per call through ring_events_call_seq, which reads every event row.
const WAIT_SQL = `
SELECT ${[...WAIT_BOUNDS, null]
  .map((b, i) => {
    const lower = i === 0 ? null : WAIT_BOUNDS[i - 1]! * 1000;
    const upper = b === null ? null : b * 1000;
    const test = [lower === null ? null : `w > ${lower}`, upper === null ? null : `w <= ${upper}`].filter(Boolean).join(" AND ");
    return `SUM(CASE WHEN ${test} THEN 1 ELSE 0 END) AS b${i}`;
  })
  .join(", ")}
FROM (
  SELECT CASE
    WHEN c.answered_at IS NOT NULL THEN c.answered_at - c.started_at
    WHEN c.outcome = 'voicemail' THEN COALESCE(v.at, c.ended_at) - c.started_at
    ELSE c.ended_at - c.started_at END AS w
  FROM calls c
  LEFT JOIN (SELECT call_sid, MIN(at) AS at FROM ring_events WHERE type = 'voicemail' AND at >= ?1 GROUP BY call_sid) v ON v.call_sid = c.call_sid
  WHERE c.started_at >= ?1 AND c.started_at < ?2 AND ${OFFERED} AND ${DONE}
)`;

/**
 * The intervals of `table` (with `where`) that overlap [?1, ?2), each clipped to it as s and e; an open
 * one ends at ?3 (now). Three index ranges: those that start in the period (by started_at; `where`
 * with its columns prefixed by + so SQLite does not pick the kind index and read every row of the kind
 * ever), those that started before and end in it or after (by ended_at), and those still open.
 */
function clipped(table: string, columns: string, where: string): string {
  const base = `SELECT ${columns}, started_at, ended_at FROM ${table}`;
  const unindexed = where.replace(/\b(kind|state) =/g, "+$1 =");
  return `
  SELECT ${columns}, MAX(started_at, ?1) AS s, MIN(COALESCE(ended_at, ?3), ?2) AS e FROM (
    ${base} WHERE ${unindexed} AND started_at >= ?1 AND started_at < ?2
    UNION ALL ${base} WHERE ${where} AND started_at < ?1 AND ended_at > ?1
    UNION ALL ${base} WHERE ${where} AND started_at < ?1 AND ended_at IS NULL
  )`;
}

// Per agent. ?1 from, ?2 to, and ?3 now for the intervals.
const AGENT_ANSWERED_SQL = `
SELECT agent_id AS agent, COUNT(DISTINCT call_sid) AS n FROM talk_segments
WHERE started_at >= ?1 AND started_at < ?2 AND purpose <> 'outbound'
GROUP BY agent_id`;
const AGENT_MISSED_SQL = `SELECT agent_id AS agent, COUNT(*) AS n FROM missed_rings WHERE at >= ?1 AND at < ?2 GROUP BY agent_id`;
const AGENT_DECLINES_SQL = `
SELECT agent_id AS agent, COUNT(*) AS n FROM ring_events
WHERE type = 'declined' AND at >= ?1 AND at < ?2 AND agent_id IS NOT NULL
GROUP BY agent_id`;
const AGENT_TALK_SQL = `
SELECT agent_id AS agent, SUM(MAX(0, e - s)) AS ms FROM (${clipped("talk_segments", "agent_id", "1 = 1")}) GROUP BY agent_id`;
const AGENT_WRAP_UP_SQL = `
SELECT agent_id AS agent, SUM(MAX(0, e - s)) AS ms FROM (${clipped("agent_state_log", "agent_id", "kind = 'wrap-up'")}) GROUP BY agent_id`;
// Away: a status "away" interval, counted only while the agent was online (a console open).
const AGENT_AWAY_SQL = `
WITH away AS (${clipped("agent_state_log", "agent_id, reason", "kind = 'status' AND state = 'away'")}),
     online AS (${clipped("agent_state_log", "agent_id", "kind = 'online'")})
SELECT away.agent_id AS agent, COALESCE(away.reason, '') AS reason, SUM(MAX(0, MIN(away.e, online.e) - MAX(away.s, online.s))) AS ms
FROM away JOIN online ON online.agent_id = away.agent_id AND online.s < away.e AND online.e > away.s
GROUP BY away.agent_id, COALESCE(away.reason, '')`;

const AGENTS_SQL = `SELECT id, name, role, disabled FROM agents`;

/** The key of away time with no reason (an admin's change, or a status set without one). */
export const NO_REASON = "(no reason)";

type Row = Record<string, unknown>;
const num = (v: unknown): number => (typeof v === "number" ? v : v === null || v === undefined ? 0 : Number(v));
const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);
/** Seconds from ms, to a tenth. */
const tenths = (ms: unknown): number | null => (typeof ms === "number" ? Math.round(ms / 100) / 10 : null);
const seconds = (ms: number): number => Math.round(ms / 1000);

/** How the service level is counted: the threshold, and callers who gave up sooner than this left out (SHORT_ABANDON_SECONDS; 0: none). */
export interface ServiceLevelRule {
  seconds: number;
  shortAbandonSeconds: number;
}

export async function reportTotals(db: D1Database, span: Span, rule: ServiceLevelRule): Promise<ReportTotals> {
  const [totals, p90, missed] = await db.batch<Row>([
    db.prepare(TOTALS_SQL).bind(span.from, span.to, rule.seconds * 1000, rule.shortAbandonSeconds * 1000),
    db.prepare(P90_SQL).bind(span.from, span.to),
    db.prepare(MISSED_RINGS_SQL).bind(span.from, span.to),
  ]);
  const t = totals!.results[0] ?? {};
  return {
    offered: num(t.offered),
    answered: num(t.answered),
    abandonedWaiting: num(t.abandoned_waiting),
    abandonedParked: num(t.abandoned_parked),
    voicemail: num(t.voicemail),
    missedRings: num(missed!.results[0]?.n),
    serviceLevel: ratio(num(t.in_service), num(t.sl_base)),
    serviceLevelSeconds: rule.seconds,
    shortAbandonSeconds: rule.shortAbandonSeconds,
    averageSpeedOfAnswer: tenths(t.asa_ms),
    p90SpeedOfAnswer: tenths(p90!.results[0]?.w),
    averageHandleTime: tenths(t.aht_ms),
    outbound: num(t.outbound),
  };
}

export interface BucketFigures {
  counts: Record<ReportOutcome, number>;
  serviceLevel: number | null;
}

export async function bucketFigures(db: D1Database, buckets: Bucket[], rule: ServiceLevelRule): Promise<BucketFigures[]> {
  const { results } = await db
    .prepare(BUCKETS_SQL)
    .bind(JSON.stringify(buckets.map((b) => [b.start, b.end])), rule.seconds * 1000, rule.shortAbandonSeconds * 1000)
    .all<Row>();
  const byIndex = new Map(results.map((r) => [num(r.i), r]));
  return buckets.map((_, i) => {
    const r = byIndex.get(i) ?? {};
    return {
      counts: { answered: num(r.answered), abandoned_waiting: num(r.abandoned_waiting), abandoned_parked: num(r.abandoned_parked), voicemail: num(r.voicemail) },
      serviceLevel: ratio(num(r.in_service), num(r.sl_base)),
    };
  });
}

export async function waitDistribution(db: D1Database, span: Span): Promise<{ upTo: number | null; label: string; count: number }[]> {
  const { results } = await db.prepare(WAIT_SQL).bind(span.from, span.to).all<Row>();
  const r = results[0] ?? {};
  return [...WAIT_BOUNDS, null].map((upTo, i) => ({
    upTo,
    label: upTo === null ? `> ${WAIT_BOUNDS[WAIT_BOUNDS.length - 1]} s` : `${i === 0 ? 0 : WAIT_BOUNDS[i - 1]}–${upTo} s`,
    count: num(r[`b${i}`]),
  }));
}

export async function agentFigures(db: D1Database, span: Span): Promise<AgentReportRow[]> {
  const period = [span.from, span.to];
  const clock = [span.from, span.to, span.now];
  const [agents, answered, missed, declines, talk, wrapUp, away] = await db.batch<Row>([
    db.prepare(AGENTS_SQL),
    ...[AGENT_ANSWERED_SQL, AGENT_MISSED_SQL, AGENT_DECLINES_SQL].map((q) => db.prepare(q).bind(...period)),
    ...[AGENT_TALK_SQL, AGENT_WRAP_UP_SQL, AGENT_AWAY_SQL].map((q) => db.prepare(q).bind(...clock)),
  ]);
  const rows = new Map<string, AgentReportRow>();
  const names = new Map<string, { name: string; listed: boolean }>();
  for (const a of agents!.results) names.set(String(a.id), { name: String(a.name), listed: !num(a.disabled) && a.role === "agent" });
  const row = (id: string) => {
    let r = rows.get(id);
    if (!r) {
      r = { agentId: id, name: names.get(id)?.name ?? id, answered: 0, missedRings: 0, declines: 0, talkSeconds: 0, wrapUpSeconds: 0, awaySeconds: {} };
      rows.set(id, r);
    }
    return r;
  };
  // Every enabled agent (role agent) is listed, with zeros if idle; anybody else with a figure too.
  for (const [id, a] of names) if (a.listed) row(id);
  const add = (result: D1Result<Row> | undefined, apply: (r: AgentReportRow, x: Row) => void) => {
    for (const x of result?.results ?? []) {
      const r = row(String(x.agent));
      apply(r, x);
    }
  };
  add(answered, (r, x) => (r.answered = num(x.n)));
  add(missed, (r, x) => (r.missedRings = num(x.n)));
  add(declines, (r, x) => (r.declines = num(x.n)));
  add(talk, (r, x) => (r.talkSeconds = seconds(num(x.ms))));
  add(wrapUp, (r, x) => (r.wrapUpSeconds = seconds(num(x.ms))));
  add(away, (r, x) => {
    const s = seconds(num(x.ms));
    if (s > 0) r.awaySeconds[String(x.reason) || NO_REASON] = s;
  });
  return [...rows.values()]
    .filter((r) => names.get(r.agentId)?.listed || r.answered || r.missedRings || r.declines || r.talkSeconds || r.wrapUpSeconds || Object.keys(r.awaySeconds).length)
    .sort((a, b) => a.name.localeCompare(b.name) || a.agentId.localeCompare(b.agentId));
}

// ---- The call log ----

export interface CallLogFilter {
  /** Digits a number contains (the caller's or the callee's). */
  digits?: string;
  agent?: string;
  outcome?: CallOutcome;
  direction?: "inbound" | "outbound";
  /** Calls that started in [from, to). */
  from?: number;
  to?: number;
  /** Keyset: calls older than this (started_at, call_sid), newest first. */
  before?: { startedAt: number; callSid: string };
  callSid?: string;
}

const LOG_COLUMNS = `
  c.call_sid, c.direction, c.from_number, c.to_number, c.started_at, c.answered_at, c.ended_at, c.outcome, c.answered_by, c.dialed_by,
  (SELECT SUM(MAX(0, COALESCE(t.ended_at, ?1) - t.started_at)) FROM talk_segments t WHERE t.call_sid = c.call_sid) AS talk_ms,
  n.outcome AS note_outcome`;

/** The WHERE of a call-log search over `calls c`, its arguments appended to `args` (numbered ?n). */
function logWhere(f: CallLogFilter, args: unknown[]): string {
  const where: string[] = [];
  const arg = (v: unknown) => {
    args.push(v);
    return `?${args.length}`;
  };
  if (f.callSid !== undefined) where.push(`c.call_sid = ${arg(f.callSid)}`);
  if (f.digits !== undefined) {
    const like = arg(`%${f.digits}%`);
    where.push(`(c.from_number LIKE ${like} OR c.to_number LIKE ${like})`);
  }
  if (f.agent !== undefined) {
    const a = arg(f.agent);
    where.push(`(c.answered_by = ${a} OR c.dialed_by = ${a} OR EXISTS (SELECT 1 FROM talk_segments t WHERE t.call_sid = c.call_sid AND t.agent_id = ${a}))`);
  }
  if (f.outcome !== undefined) where.push(`c.outcome = ${arg(f.outcome)}`);
  if (f.direction !== undefined) where.push(`c.direction = ${arg(f.direction)}`);
  if (f.from !== undefined) where.push(`c.started_at >= ${arg(f.from)}`);
  if (f.to !== undefined) where.push(`c.started_at < ${arg(f.to)}`);
  if (f.before !== undefined) {
    const at = arg(f.before.startedAt);
    where.push(`(c.started_at < ${at} OR (c.started_at = ${at} AND c.call_sid < ${arg(f.before.callSid)}))`);
  }
  return where.length ? `WHERE ${where.join(" AND ")}` : "";
}

/** Newest first, at most `limit` rows. */
export async function callLog(db: D1Database, f: CallLogFilter, limit: number, now: number): Promise<CallLogRow[]> {
  const args: unknown[] = [now];
  const where = logWhere(f, args);
  args.push(limit);
  const sql = `SELECT ${LOG_COLUMNS} FROM calls c LEFT JOIN call_notes n ON n.call_sid = c.call_sid
    ${where} ORDER BY c.started_at DESC, c.call_sid DESC LIMIT ?${args.length}`;
  const { results } = await db
    .prepare(sql)
    .bind(...args)
    .all<Row>();
  return results.map(logRow);
}

/** How many calls a search finds in all. */
export async function callCount(db: D1Database, f: CallLogFilter): Promise<number> {
  const args: unknown[] = [];
  const row = await db
    .prepare(`SELECT COUNT(*) AS n FROM calls c ${logWhere(f, args)}`)
    .bind(...args)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

function logRow(r: Row): CallLogRow {
  const startedAt = num(r.started_at);
  const answeredAt = r.answered_at === null ? null : num(r.answered_at);
  return {
    callSid: String(r.call_sid),
    direction: r.direction === "outbound" ? "outbound" : "inbound",
    from: String(r.from_number),
    to: String(r.to_number),
    startedAt,
    answeredAt,
    endedAt: r.ended_at === null ? null : num(r.ended_at),
    outcome: (r.outcome as CallOutcome | null) ?? null,
    answeredBy: (r.answered_by as string | null) ?? null,
    dialedBy: (r.dialed_by as string | null) ?? null,
    waitSeconds: answeredAt === null ? null : seconds(answeredAt - startedAt),
    talkSeconds: r.talk_ms === null || r.talk_ms === undefined ? null : seconds(num(r.talk_ms)),
    noteOutcome: (r.note_outcome as string | null) ?? null,
  };
}

/** A call's trail in order, with each event's agent's name (null for an agent since deleted, or none). */
export async function timelineEntries(db: D1Database, callSid: string): Promise<TimelineEntry[]> {
  const { results } = await db
    .prepare(`SELECT r.at, r.type, r.agent_id, a.name, r.detail FROM ring_events r LEFT JOIN agents a ON a.id = r.agent_id WHERE r.call_sid = ?1 ORDER BY r.seq`)
    .bind(callSid)
    .all<Row>();
  const ids = new Set<string>();
  const entries = results.map((r) => {
    let detail: Record<string, unknown> | null = null;
    if (typeof r.detail === "string") {
      try {
        const parsed = JSON.parse(r.detail) as unknown;
        detail = parsed && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : { value: parsed };
      } catch {
        detail = { raw: r.detail };
      }
    }
    const agents = detail?.agents;
    if (Array.isArray(agents)) for (const a of agents) if (typeof a === "string") ids.add(a);
    return { at: num(r.at), type: String(r.type), agentId: (r.agent_id as string | null) ?? null, agentName: (r.name as string | null) ?? null, detail };
  });
  // A ring reaches many agents (detail.agents, ids): their names beside them, as detail.agentNames.
  if (ids.size > 0) {
    const { results: named } = await db
      .prepare(`SELECT id, name FROM agents WHERE id IN (SELECT value FROM json_each(?1))`)
      .bind(JSON.stringify([...ids]))
      .all<Row>();
    const byId = new Map(named.map((n) => [String(n.id), String(n.name)]));
    for (const e of entries) {
      const agents = e.detail?.agents;
      if (Array.isArray(agents)) e.detail = { ...e.detail, agentNames: agents.map((a) => (typeof a === "string" ? (byId.get(a) ?? null) : null)) };
    }
  }
  return entries;
}
