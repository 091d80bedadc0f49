// The reports' periods and buckets (docs/reports.md): pure, from the team's time zone and a clock.
// A period is a run of whole local days, [from, to) in epoch milliseconds, resolved in the team's time
// zone, so a day is 23, 24 or 25 hours long across a daylight-saving change. Buckets are real hours
// (a period of at most two days) or local days.
import type { ReportPeriod } from "../protocol";

export const REPORT_PERIODS = ["today", "yesterday", "last7", "custom"] as const satisfies readonly ReportPeriod[];
/** The longest custom period, in local days (both ends included). */
export const MAX_CUSTOM_DAYS = 93;
/** A period of at most this many local days is bucketed by hour; a longer one by day. */
export const HOURLY_UP_TO_DAYS = 2;
const HOUR_MS = 3_600_000;

/** A local calendar date, YYYY-MM-DD. */
export type LocalDate = string;

export interface ResolvedPeriod {
  kind: ReportPeriod;
  /** Epoch ms: the start of the first local day, and the start of the day after the last. */
  from: number;
  to: number;
  timeZone: string;
  bucket: "hour" | "day";
  /** The first and last local dates the period covers (both included). */
  firstDate: LocalDate;
  lastDate: LocalDate;
}

export interface Bucket {
  start: number;
  end: number;
  label: string;
}

/** Thrown for a period the caller asked wrongly; the route answers 400 with its message. */
export class PeriodError extends Error {}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(key: string, make: () => Intl.DateTimeFormat): Intl.DateTimeFormat {
  let f = formatters.get(key);
  if (!f) {
    f = make();
    formatters.set(key, f);
  }
  return f;
}

/** The zone's canonical name (as Intl spells it), or null when Intl does not know it. */
export function canonicalTimeZone(name: string): string | null {
  if (typeof name !== "string" || name.trim() === "" || name.length > 64) return null;
  try {
    return new Intl.DateTimeFormat("en-US", { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return null;
  }
}

function partsOf(tz: string, at: number): Record<string, number> {
  const f = formatter(`parts ${tz}`, () =>
    new Intl.DateTimeFormat("en-US", { timeZone: tz, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" }),
  );
  const out: Record<string, number> = {};
  for (const p of f.formatToParts(at)) if (p.type !== "literal") out[p.type] = Number(p.value);
  return out;
}

/** The zone's offset from UTC at `at`, in ms (Paris in summer: +7,200,000). */
export function offsetAt(tz: string, at: number): number {
  const whole = Math.floor(at / 1000) * 1000;
  const p = partsOf(tz, whole);
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour! % 24, p.minute!, p.second!) - whole;
}

/** The local date at `at` in the zone. */
export function localDateOf(tz: string, at: number): LocalDate {
  const p = partsOf(tz, at);
  return `${String(p.year).padStart(4, "0")}-${String(p.month).padStart(2, "0")}-${String(p.day).padStart(2, "0")}`;
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Whether `s` is a real calendar date written YYYY-MM-DD. */
export function isLocalDate(s: string): boolean {
  const m = DATE.exec(s);
  if (!m) return false;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Number(m[1]) >= 1970 && new Date(t).toISOString().slice(0, 10) === s;
}

export function addDays(date: LocalDate, n: number): LocalDate {
  const m = DATE.exec(date)!;
  return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + n)).toISOString().slice(0, 10);
}

/** Whole days from `a` to `b` (b − a). */
export function daysBetween(a: LocalDate, b: LocalDate): number {
  const t = (d: LocalDate) => {
    const m = DATE.exec(d)!;
    return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  };
  return Math.round((t(b) - t(a)) / 86_400_000);
}

/**
 * The first instant of a local day: its midnight, or, where the clocks jump over midnight
 * (America/Santiago in September), the first local time the day has.
 */
export function startOfLocalDay(tz: string, date: LocalDate): number {
  const m = DATE.exec(date)!;
  const guess = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const first = offsetAt(tz, guess);
  let t = guess - first;
  const second = offsetAt(tz, t);
  if (second !== first) t = guess - second;
  // Midnight did not exist: t fell on the day before; the day begins where the jump lands.
  if (localDateOf(tz, t) < date) {
    while (localDateOf(tz, t) < date) t += 15 * 60_000;
  }
  return t;
}

export interface PeriodQuery {
  period?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

/** The period asked for, resolved in `tz` at `now`; a PeriodError says what is wrong. */
export function resolvePeriod(q: PeriodQuery, tz: string, now: number): ResolvedPeriod {
  const kind = (q.period ?? "today") as ReportPeriod;
  if (!REPORT_PERIODS.includes(kind)) throw new PeriodError(`period must be one of ${REPORT_PERIODS.join(", ")}`);
  const today = localDateOf(tz, now);
  let first: LocalDate;
  let last: LocalDate;
  if (kind === "custom") {
    if (q.from === undefined || q.to === undefined) throw new PeriodError("period=custom needs from and to, local dates YYYY-MM-DD");
    if (!isLocalDate(q.from)) throw new PeriodError("from must be a date YYYY-MM-DD");
    if (!isLocalDate(q.to)) throw new PeriodError("to must be a date YYYY-MM-DD");
    if (q.from > q.to) throw new PeriodError("from must not be after to");
    if (daysBetween(q.from, q.to) + 1 > MAX_CUSTOM_DAYS) throw new PeriodError(`a custom period is at most ${MAX_CUSTOM_DAYS} days`);
    first = q.from;
    last = q.to;
  } else {
    if (q.from !== undefined || q.to !== undefined) throw new PeriodError("from and to are only for period=custom");
    if (kind === "today") first = last = today;
    else if (kind === "yesterday") first = last = addDays(today, -1);
    else {
      first = addDays(today, -6);
      last = today;
    }
  }
  const days = daysBetween(first, last) + 1;
  return {
    kind,
    from: startOfLocalDay(tz, first),
    to: startOfLocalDay(tz, addDays(last, 1)),
    timeZone: tz,
    bucket: days <= HOURLY_UP_TO_DAYS ? "hour" : "day",
    firstDate: first,
    lastDate: last,
  };
}

/** "Mon 24 Nov" */
export function dayLabel(tz: string, at: number): string {
  return formatter(`day ${tz}`, () => new Intl.DateTimeFormat("en-GB", { timeZone: tz, weekday: "short", day: "numeric", month: "short" })).format(at);
}

/** "14:00" */
export function timeLabel(tz: string, at: number): string {
  return formatter(`time ${tz}`, () => new Intl.DateTimeFormat("en-GB", { timeZone: tz, hour: "2-digit", minute: "2-digit", hourCycle: "h23" })).format(at);
}

/** "GMT+2" */
function offsetLabel(tz: string, at: number): string {
  const f = formatter(`offset ${tz}`, () => new Intl.DateTimeFormat("en-GB", { timeZone: tz, timeZoneName: "shortOffset" }));
  return f.formatToParts(at).find((p) => p.type === "timeZoneName")?.value ?? "";
}

/**
 * The period's buckets, in order, covering [from, to) exactly. Hours are real hours: a spring-forward
 * day has 23, a fall-back day 25, the repeated local hour labelled with its offset ("02:00 GMT+2",
 * "02:00 GMT+1"). Over two days an hour's label starts with its day.
 */
export function periodBuckets(p: ResolvedPeriod): Bucket[] {
  const tz = p.timeZone;
  const out: Bucket[] = [];
  if (p.bucket === "day") {
    for (let d = p.firstDate; d <= p.lastDate; d = addDays(d, 1)) {
      const start = startOfLocalDay(tz, d);
      out.push({ start, end: startOfLocalDay(tz, addDays(d, 1)), label: dayLabel(tz, start) });
    }
    return out;
  }
  const multiDay = p.firstDate !== p.lastDate;
  for (let t = p.from; t < p.to; ) {
    // The next whole local hour (a zone whose change is half an hour cuts one bucket short).
    let end = Math.min(t + HOUR_MS, p.to);
    const next = Math.floor((t + offsetAt(tz, t)) / HOUR_MS + 1) * HOUR_MS;
    const aligned = next - offsetAt(tz, t);
    if (aligned > t && aligned < end) end = aligned;
    out.push({ start: t, end, label: (multiDay ? `${dayLabel(tz, t)} ` : "") + timeLabel(tz, t) });
    t = end;
  }
  const seen = new Map<string, number>();
  for (const b of out) seen.set(b.label, (seen.get(b.label) ?? 0) + 1);
  for (const b of out) if ((seen.get(b.label) ?? 0) > 1) b.label = `${b.label} ${offsetLabel(tz, b.start)}`;
  return out;
}
