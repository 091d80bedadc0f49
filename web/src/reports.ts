// The reports page and the call log: the queries they send (GET /api/reports/*), the CSV links, and
// the figures in words. Pure, unit-tested (test/web/reports-unit.test.ts); the components
// (components/Reports.tsx, CallLog.tsx, Chart.tsx) only draw them.
import {
  CALL_OUTCOMES,
  type AgentReportRow,
  type CallDirection,
  type CallLogRow,
  type CallOutcome,
  type ReportBucket,
  type ReportOutcome,
  type ReportPeriod,
  REPORT_OUTCOMES,
  type TimelineEntry,
} from "../../worker/protocol";

/** The period picker's choice: a preset, or a custom range of local dates (YYYY-MM-DD, both included). */
export interface PeriodChoice {
  kind: ReportPeriod;
  from: string;
  to: string;
}

export const PERIOD_LABELS: Record<ReportPeriod, string> = { today: "Today", yesterday: "Yesterday", last7: "Last 7 days", custom: "Custom" };

const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Why a custom range cannot be asked for yet, or null when it can (presets always can). */
export function periodProblem(p: PeriodChoice): string | null {
  if (p.kind !== "custom") return null;
  if (!DATE.test(p.from) || !DATE.test(p.to)) return "Pick both dates.";
  if (p.from > p.to) return "The first date is after the last.";
  return null;
}

/** The query string of GET /api/reports/summary and /agents for a period ("period=today", "period=custom&from=…&to=…"). */
export function periodQuery(p: PeriodChoice): string {
  const q = new URLSearchParams({ period: p.kind });
  if (p.kind === "custom") {
    q.set("from", p.from);
    q.set("to", p.to);
  }
  return q.toString();
}

/** A report's CSV download: the same route and query, with format=csv. */
export function csvUrl(path: string, query: string): string {
  return `${path}?${query ? `${query}&` : ""}format=csv`;
}

/** The call log's search form. Empty strings are "any". */
export interface CallLogFilter {
  /** A number, or part of one (the caller's or the callee's). */
  q: string;
  agent: string;
  outcome: "" | CallOutcome;
  direction: "" | CallDirection;
  /** Local dates, YYYY-MM-DD, both included. */
  from: string;
  to: string;
}

export const EMPTY_FILTER: CallLogFilter = { q: "", agent: "", outcome: "", direction: "", from: "", to: "" };

export const CALL_LOG_PAGE = 50;

/** GET /api/reports/calls's query for a filter: only the fields set, then the page's `before` cursor and `limit`. */
export function callLogQuery(f: CallLogFilter, page: { before?: string | null; limit?: number } = {}): string {
  const q = new URLSearchParams();
  const q1 = f.q.trim();
  if (q1) q.set("q", q1);
  if (f.agent) q.set("agent", f.agent);
  if (f.outcome) q.set("outcome", f.outcome);
  if (f.direction) q.set("direction", f.direction);
  if (DATE.test(f.from)) q.set("from", f.from);
  if (DATE.test(f.to)) q.set("to", f.to);
  if (page.before) q.set("before", page.before);
  if (page.limit !== undefined) q.set("limit", String(page.limit));
  return q.toString();
}

/**
 * What the call log says of a search: how many calls it found in all (the first page's `total`), and
 * how many are shown while more are a press of "Older" away.
 */
export function logCountText(shown: number, total: number | null, more: boolean): string {
  const calls = (n: number) => `${n.toLocaleString("en")} ${n === 1 ? "call" : "calls"}`;
  if (total === null) return `${calls(shown)}${more ? " shown, newest first" : ""}`;
  return shown < total ? `${calls(total)} · ${shown.toLocaleString("en")} shown, newest first` : calls(total);
}

/** h:mm:ss, as the agent table shows durations ("0:00:00" for none). */
export function hms(totalSeconds: number): string {
  const s = Math.max(0, Math.round(totalSeconds));
  return `${Math.floor(s / 3600)}:${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

/** A share 0–1 as a percent with no decimals; "–" for none (nothing offered). */
export function pct(share: number | null): string {
  return share === null ? "–" : `${Math.round(share * 100)} %`;
}

export const OUTCOME_LABELS: Record<ReportOutcome, string> = {
  answered: "Answered",
  abandoned_waiting: "Abandoned while waiting",
  abandoned_parked: "Abandoned while parked",
  voicemail: "Voicemail",
};

/** One colour per outcome, in REPORT_OUTCOMES order: distinct in hue and lightness (readable by the colour-blind too, and the table says the numbers). */
export const OUTCOME_COLORS: Record<ReportOutcome, string> = {
  answered: "#2b8a3e",
  abandoned_waiting: "#e8590c",
  abandoned_parked: "#862e9c",
  voicemail: "#1c7ed6",
};

/**
 * The stacked chart's series: for each outcome, the running total up to and including it, bucket by
 * bucket. Drawn from the top of the stack down, each bar from zero, they make the stack.
 */
export function stackedSeries(buckets: readonly ReportBucket[]): Record<ReportOutcome, number[]> {
  const out = Object.fromEntries(REPORT_OUTCOMES.map((o) => [o, [] as number[]])) as Record<ReportOutcome, number[]>;
  for (const b of buckets) {
    let sum = 0;
    for (const o of REPORT_OUTCOMES) {
      sum += b.counts[o] ?? 0;
      out[o].push(sum);
    }
  }
  return out;
}

/** A bucket's calls, all outcomes together. */
export const bucketTotal = (b: ReportBucket) => REPORT_OUTCOMES.reduce((n, o) => n + (b.counts[o] ?? 0), 0);

/** Service level per bucket as percent (null where nothing was offered: a gap in the line). */
export function serviceLevelSeries(buckets: readonly ReportBucket[]): (number | null)[] {
  return buckets.map((b) => (b.serviceLevel === null ? null : Math.round(b.serviceLevel * 1000) / 10));
}

/** A chart's description for a screen reader: what it shows, in one sentence with the peak. */
export function callsChartSummary(buckets: readonly ReportBucket[], bucket: "hour" | "day"): string {
  const totals = buckets.map(bucketTotal);
  const all = totals.reduce((a, b) => a + b, 0);
  if (all === 0) return `No call in this period.`;
  const peak = totals.indexOf(Math.max(...totals));
  return `${all} calls over ${buckets.length} ${bucket === "hour" ? "hours" : "days"}; the busiest was ${buckets[peak]!.label} with ${totals[peak]}. The table below gives every ${bucket} by outcome.`;
}

/** `rule`: how the service level was counted, in words ("within 20 s", wallboard.ts serviceLevelRuleText). */
export function serviceLevelSummary(buckets: readonly ReportBucket[], rule: string): string {
  const shown = buckets.filter((b) => b.serviceLevel !== null);
  if (shown.length === 0) return "No call offered in this period, so no service level.";
  const low = shown.reduce((a, b) => (b.serviceLevel! < a.serviceLevel! ? b : a));
  return `Share of calls answered ${rule}, per period; the lowest was ${pct(low.serviceLevel)} at ${low.label}. The table below gives each.`;
}

/** The away reasons any agent of the report has, in name order: the table's columns. */
export function awayReasonColumns(rows: readonly AgentReportRow[]): string[] {
  const set = new Set<string>();
  for (const r of rows) for (const [reason, s] of Object.entries(r.awaySeconds)) if (s > 0 || set.has(reason)) set.add(reason);
  return [...set].sort((a, b) => a.localeCompare(b));
}

/** Where a log row's call came from and went, in words: "+1555… → team" or "Alice Adams → +1555…". */
export function callOutcomeText(row: Pick<CallLogRow, "outcome" | "direction">): string {
  if (row.outcome === null) return "In progress";
  if (row.outcome === "abandoned") return row.direction === "outbound" ? "Hung up before an agent joined" : "Abandoned after an answer";
  const words: Record<CallOutcome, string> = { answered: "Answered", missed: "Missed", voicemail: "Voicemail", abandoned: "Abandoned", unanswered: "Not answered" };
  return words[row.outcome];
}

export const OUTCOME_FILTERS: readonly { value: "" | CallOutcome; label: string }[] = [
  { value: "", label: "Any outcome" },
  ...CALL_OUTCOMES.map((o) => ({ value: o, label: callOutcomeText({ outcome: o, direction: "inbound" }) })),
];

/** A local date (YYYY-MM-DD) in a time zone (the team's; the browser's when not given). */
export function localDate(at: number, timeZone?: string): string {
  return new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(at);
}

/**
 * A time of day, or a date and time when not the same day as `now`, as the log and the timeline show
 * them: in the team's time zone (`timeZone`, the one the reports and the log's dates are in), else the browser's.
 */
export function when(at: number, now = Date.now(), timeZone?: string): string {
  const time = new Date(at).toLocaleTimeString([], { timeZone, hour: "2-digit", minute: "2-digit", second: "2-digit" });
  if (localDate(at, timeZone) === localDate(now, timeZone)) return time;
  return `${new Date(at).toLocaleDateString([], { timeZone, day: "numeric", month: "short" })} ${time}`;
}

const STEP_WORDS: Record<string, string> = {
  ring_start: "Rang",
  answered: "Answered (claimed)",
  connected: "Connected",
  declined: "Declined",
  claim_released: "Gave the call back",
  no_answer: "Ring ran out",
  caller_hangup: "Caller hung up",
  voicemail: "Went to voicemail",
  call_ended: "Call ended",
  parked: "Parked",
  retrieve_started: "Retrieving",
  transfer_started: "Transfer started",
  returned_to_lot: "Back to the parking lot",
  park_timeout: "Park timed out: rings again",
  redirect_failed: "Carrier refused a step",
  ticket_used: "Phone joined with its ticket",
  connect_refused: "Connect refused",
  agent_dropped: "Agent's line dropped",
  agent_disabled: "Agent disabled",
  agent_hangup: "Agent hung up",
  reconciled: "Checked with the carrier",
  dial_started: "Dialled out",
  callee_answered: "Callee answered",
  dial_unanswered: "Callee did not answer",
  recording_started: "Recording started",
  recording_failed: "Recording failed",
  note: "Note written",
  missed_ring: "Missed ring",
};

/** A timeline step in words: "Parked", "Declined"; an unknown type is shown as its name. */
export function stepText(type: string): string {
  return STEP_WORDS[type] ?? type.replace(/[_.]/g, " ").replace(/^./, (c) => c.toUpperCase());
}

/**
 * A step's detail, in a short line: "reason: lease_expired · slot: 1" (null and empty values left out).
 * A ring's agents are said by name (the API's detail.agentNames beside detail.agents' ids).
 */
export function stepDetail(entry: Pick<TimelineEntry, "detail">): string {
  if (!entry.detail) return "";
  const d = { ...entry.detail };
  if (Array.isArray(d.agentNames) && Array.isArray(d.agents)) {
    const ids = d.agents as unknown[];
    d.agents = (d.agentNames as unknown[]).map((n, i) => n ?? ids[i]);
    delete d.agentNames;
  }
  const value = (v: unknown) => (Array.isArray(v) ? v.map(String).join(", ") : typeof v === "object" ? JSON.stringify(v) : String(v));
  return Object.entries(d)
    .filter(([, v]) => v !== null && v !== undefined && v !== "" && !(Array.isArray(v) && v.length === 0))
    .map(([k, v]) => `${k.replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase()}: ${value(v)}`)
    .join(" · ");
}
