// The reports' periods and buckets (worker/reports/periods.ts) and their CSV (worker/reports/csv.ts),
// pure: local days in the team's time zone, correct across daylight-saving changes.
import { describe, expect, it } from "vitest";
import { csvCell, csvLine } from "../../worker/reports/csv";
import { canonicalTimeZone, localDateOf, PeriodError, periodBuckets, resolvePeriod, startOfLocalDay } from "../../worker/reports/periods";

const H = 3_600_000;
const PARIS = "Europe/Paris";

describe("periods in the team's time zone", () => {
  it("today, yesterday and last7 are whole local days ending today", () => {
    // 2026-11-27 00:30 in Paris (UTC+1) is 2026-11-26 23:30 UTC: "today" is the 27th there, the 26th in UTC.
    const now = Date.UTC(2026, 10, 26, 23, 30);
    const today = resolvePeriod({ period: "today" }, PARIS, now);
    expect(today).toMatchObject({ kind: "today", from: Date.UTC(2026, 10, 26, 23), to: Date.UTC(2026, 10, 27, 23), bucket: "hour", firstDate: "2026-11-27", lastDate: "2026-11-27", timeZone: PARIS });
    expect(resolvePeriod({ period: "today" }, "UTC", now)).toMatchObject({ from: Date.UTC(2026, 10, 26), to: Date.UTC(2026, 10, 27) });
    expect(resolvePeriod({}, PARIS, now).kind).toBe("today");
    const yesterday = resolvePeriod({ period: "yesterday" }, PARIS, now);
    expect([yesterday.from, yesterday.to]).toEqual([Date.UTC(2026, 10, 25, 23), Date.UTC(2026, 10, 26, 23)]);
    const week = resolvePeriod({ period: "last7" }, PARIS, now);
    expect(week).toMatchObject({ from: Date.UTC(2026, 10, 20, 23), to: Date.UTC(2026, 10, 27, 23), bucket: "day", firstDate: "2026-11-21", lastDate: "2026-11-27" });
    expect(periodBuckets(week).map((b) => b.label)).toEqual(["Sat 21 Nov", "Sun 22 Nov", "Mon 23 Nov", "Tue 24 Nov", "Wed 25 Nov", "Thu 26 Nov", "Fri 27 Nov"]);
  });

  it("a spring-forward day has 23 hours, without 02:00 (Paris, 2026-03-29)", () => {
    const p = resolvePeriod({ period: "custom", from: "2026-03-29", to: "2026-03-29" }, PARIS, 0);
    expect(p.from).toBe(Date.UTC(2026, 2, 28, 23)); // midnight CET (UTC+1)
    expect(p.to).toBe(Date.UTC(2026, 2, 29, 22)); // next midnight CEST (UTC+2)
    expect((p.to - p.from) / H).toBe(23);
    const b = periodBuckets(p);
    expect(b).toHaveLength(23);
    expect(b.slice(0, 4).map((x) => x.label)).toEqual(["00:00", "01:00", "03:00", "04:00"]);
    expect(b.every((x) => x.end - x.start === H)).toBe(true);
    expect(b[b.length - 1]!.end).toBe(p.to);
  });

  it("a fall-back day has 25 hours, its repeated 02:00 told apart by offset (Paris, 2026-10-25)", () => {
    const p = resolvePeriod({ period: "custom", from: "2026-10-25", to: "2026-10-25" }, PARIS, 0);
    expect(p.from).toBe(Date.UTC(2026, 9, 24, 22));
    expect(p.to).toBe(Date.UTC(2026, 9, 25, 23));
    const b = periodBuckets(p);
    expect(b).toHaveLength(25);
    expect(b.slice(0, 5).map((x) => x.label)).toEqual(["00:00", "01:00", "02:00 GMT+2", "02:00 GMT+1", "03:00"]);
    expect(b[2]!.start).toBe(Date.UTC(2026, 9, 25, 0));
    expect(b[3]!.start).toBe(Date.UTC(2026, 9, 25, 1));
  });

  it("day buckets are local days of 23, 24 and 25 hours", () => {
    const spring = periodBuckets(resolvePeriod({ period: "custom", from: "2026-03-28", to: "2026-03-30" }, PARIS, 0));
    expect(spring.map((b) => [b.label, (b.end - b.start) / H])).toEqual([
      ["Sat 28 Mar", 24],
      ["Sun 29 Mar", 23],
      ["Mon 30 Mar", 24],
    ]);
    const fall = periodBuckets(resolvePeriod({ period: "last7" }, PARIS, Date.UTC(2026, 9, 27, 12)));
    expect(fall.map((b) => (b.end - b.start) / H)).toEqual([24, 24, 24, 24, 25, 24, 24]);
    expect(fall[4]!.label).toBe("Sun 25 Oct");
  });

  it("two days are hours labelled with their day; three are days", () => {
    const two = resolvePeriod({ period: "custom", from: "2026-11-26", to: "2026-11-27" }, "America/New_York", 0);
    expect(two.bucket).toBe("hour");
    const b = periodBuckets(two);
    expect(b).toHaveLength(48);
    expect([b[0]!.label, b[47]!.label]).toEqual(["Thu 26 Nov 00:00", "Fri 27 Nov 23:00"]);
    expect(resolvePeriod({ period: "custom", from: "2026-11-25", to: "2026-11-27" }, "UTC", 0).bucket).toBe("day");
  });

  it("a day whose midnight does not exist starts when the clocks land (America/Santiago, 2026-09-06)", () => {
    expect(startOfLocalDay("America/Santiago", "2026-09-06")).toBe(Date.UTC(2026, 8, 6, 4)); // 01:00 at UTC−3
    expect(localDateOf("America/Santiago", Date.UTC(2026, 8, 6, 4))).toBe("2026-09-06");
  });

  it("refuses what is not a period, with the reason", () => {
    const bad = (q: Record<string, string>) => {
      try {
        resolvePeriod(q, "UTC", 0);
        return "accepted";
      } catch (err) {
        expect(err).toBeInstanceOf(PeriodError);
        return (err as Error).message;
      }
    };
    expect(bad({ period: "month" })).toMatch(/period must be one of/);
    expect(bad({ period: "custom", from: "2026-01-01" })).toMatch(/needs from and to/);
    expect(bad({ period: "custom", from: "2026-02-30", to: "2026-03-01" })).toMatch(/from must be a date/);
    expect(bad({ period: "custom", from: "2026-03-02", to: "2026-03-01" })).toMatch(/not be after/);
    expect(bad({ period: "custom", from: "2026-01-01", to: "2026-04-03" })).toBe("accepted"); // 93 days
    expect(bad({ period: "custom", from: "2026-01-01", to: "2026-04-04" })).toMatch(/at most 93 days/);
    expect(bad({ period: "today", from: "2026-01-01" })).toMatch(/only for period=custom/);
  });

  it("knows a time zone by its IANA name, and nothing else", () => {
    expect(canonicalTimeZone("Europe/Paris")).toBe("Europe/Paris");
    expect(canonicalTimeZone("UTC")).toBe("UTC");
    expect(canonicalTimeZone("Mars/Olympus_Mons")).toBeNull();
    expect(canonicalTimeZone("")).toBeNull();
  });
});

describe("CSV cells", () => {
  it("quotes per RFC 4180 and neutralises formulas", () => {
    expect(csvCell("plain")).toBe("plain");
    expect(csvCell('say "hi", then go')).toBe('"say ""hi"", then go"');
    expect(csvCell("two\nlines")).toBe('"two\nlines"');
    expect(csvCell("=HYPERLINK(\"http://x\")")).toBe("\"'=HYPERLINK(\"\"http://x\"\")\"");
    expect(csvCell("+15551230001")).toBe("'+15551230001");
    expect(csvCell("-2")).toBe("'-2");
    expect(csvCell("@SUM(A1)")).toBe("'@SUM(A1)");
    expect(csvCell(-2)).toBe("-2");
    expect(csvCell(null)).toBe("");
    expect(csvLine(["a", 1, null])).toBe("a,1,\r\n");
  });
});
