// The reports page and the call log in Chromium, as the demo admin: today's charts draw with their
// tables, the call log finds a call and opens its timeline, and the calls' CSV has a header row and
// one line per call, as many as the call log's API counts for the same search.
import { readFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import type { CallLogPage } from "../../worker/protocol";
import { baseUrl, callerHangsUp, card, endCall, placeCall, shoot, signIn, team, useChromium } from "./team";

async function openReports(page: Page): Promise<void> {
  await page.getByTestId("nav-reports").click();
  await page.getByTestId("reports").waitFor();
}

/** Every call the log's API lists for this query, page after page. */
async function countCalls(page: Page, query: string): Promise<number> {
  let n = 0;
  let before: string | null = null;
  do {
    const res = await page.request.get(`${baseUrl}/api/reports/calls?${query}${query ? "&" : ""}limit=200${before ? `&before=${encodeURIComponent(before)}` : ""}`);
    expect(res.status()).toBe(200);
    const body = (await res.json()) as CallLogPage;
    n += body.calls.length;
    before = body.next;
  } while (before);
  return n;
}

/** Clicks a Download CSV link and reads the file the browser saved. */
async function download(page: Page, testId: string): Promise<{ name: string; lines: string[] }> {
  const [file] = await Promise.all([page.waitForEvent("download"), page.getByTestId(testId).click()]);
  const path = await file.path();
  const text = readFileSync(path, "utf8");
  return { name: file.suggestedFilename(), lines: text.split(/\r?\n/).filter((l) => l !== "") };
}

describe.skipIf(!baseUrl)("the reports page", () => {
  useChromium();

  it("draws today's charts with a table of the same numbers beside each", async () => {
    // One answered call today, so that the charts have something to draw.
    const p = await team();
    const { callSid } = await placeCall();
    await card(p.alice, "alice").getByTestId("ring").getByTestId("answer").click();
    await card(p.alice, "alice").locator(`[data-testid=active-call][data-call-sid="${callSid}"]`).filter({ hasText: "Talking to" }).waitFor();
    await endCall(p.alice);

    const admin = await signIn("admin");
    // The charting library works under the console's CSP (style-src 'self': no inline style sheet).
    const refused: string[] = [];
    admin.on("console", (m) => {
      if (m.text().includes("Content Security Policy")) refused.push(m.text());
    });
    await openReports(admin);
    expect(await admin.getByTestId("period-today").isChecked()).toBe(true);
    for (const id of ["chart-calls", "chart-service-level", "chart-wait"]) {
      const chart = admin.getByTestId(id);
      const canvas = chart.getByTestId("chart-canvas").locator("canvas");
      await canvas.waitFor();
      const box = await canvas.boundingBox();
      expect(box?.width, id).toBeGreaterThan(100);
      expect(box?.height, id).toBeGreaterThan(100);
      // The canvas is an image named by the chart's caption, and described.
      expect(await canvas.getAttribute("role")).toBe("img");
      const name = await admin.locator(`#${await canvas.getAttribute("aria-labelledby")}`).textContent();
      expect(name, id).toBeTruthy();
      expect(await admin.locator(`#${await canvas.getAttribute("aria-describedby")}`).textContent(), id).toBeTruthy();
      expect(await chart.getByTestId("chart-table").locator("tbody tr").count(), id).toBeGreaterThan(0);
    }
    // Today's answered calls in the table add up to the totals' tile.
    const answered = Number((await admin.getByTestId("report-tile-answered").locator("dd").textContent())?.trim());
    expect(answered).toBeGreaterThanOrEqual(1);
    const column = await admin.getByTestId("chart-calls").getByTestId("chart-table").locator("tbody tr td:nth-of-type(1)").allTextContents();
    expect(column.reduce((n, t) => n + Number(t), 0)).toBe(answered);
    // Alice's row in the agents' table, durations as h:mm:ss.
    const alice = admin.getByTestId("agent-row-alice");
    await alice.waitFor();
    expect(Number(await alice.locator("td").first().textContent())).toBeGreaterThanOrEqual(1);
    expect(await alice.locator("td").nth(3).textContent()).toMatch(/^\d+:\d\d:\d\d$/);

    await shoot("reports-today", { alice: admin });
    // Another period: the last 7 days, by day.
    await admin.getByTestId("period-last7").check();
    await expect.poll(() => admin.getByTestId("chart-calls").getByTestId("chart-table").locator("tbody tr").count()).toBe(7);
    expect(refused).toEqual([]);
  });

  it("an admin sets the team's time zone and the reports count in it; an agent may not", async () => {
    const [admin, alice] = await Promise.all([signIn("admin"), signIn("alice")]);
    await openReports(admin);
    const select = admin.getByTestId("time-zone-select");
    const before = await select.inputValue();
    await select.selectOption("Europe/Paris");
    await admin.getByTestId("time-zone-save").click();
    await expect.poll(() => admin.getByTestId("period-range").textContent()).toContain("(Europe/Paris)");
    expect(((await (await admin.request.get(`${baseUrl}/api/settings/time-zone`)).json()) as { timeZone: string }).timeZone).toBe("Europe/Paris");
    // Only an admin changes it.
    expect((await alice.request.put(`${baseUrl}/api/settings/time-zone`, { data: { timeZone: "Asia/Tokyo" } })).status()).toBe(403);
    // Back as it was, for the tests after this one.
    await select.selectOption(before);
    await admin.getByTestId("time-zone-save").click();
    await expect.poll(() => admin.getByTestId("period-range").textContent()).toContain(`(${before})`);
  });

  it("finds a call in the log, opens its timeline, and downloads the calls' CSV: a header and one line per call", async () => {
    const p = await team();
    // A caller who gives up while ringing, and one Alice answers.
    const gone = await placeCall();
    await card(p.alice, "alice").getByTestId("ring").waitFor();
    await callerHangsUp(gone.callSid);
    await card(p.alice, "alice").getByTestId("ring").waitFor({ state: "detached" });
    const { callSid, from } = await placeCall();
    await card(p.alice, "alice").getByTestId("ring").getByTestId("answer").click();
    await card(p.alice, "alice").locator(`[data-testid=active-call][data-call-sid="${callSid}"]`).filter({ hasText: "Talking to" }).waitFor();
    await endCall(p.alice);

    const admin = await signIn("admin");
    await openReports(admin);
    const log = admin.getByTestId("call-log");
    // Newest first: the answered call, then the one that gave up.
    await expect.poll(() => log.getByTestId("log-row").first().getAttribute("data-call-sid")).toBe(callSid);
    expect(await log.getByTestId("log-row").nth(1).getAttribute("data-call-sid")).toBe(gone.callSid);

    // Search by the number: only that call.
    await log.getByTestId("log-q").fill(from);
    await log.getByTestId("log-search").click();
    await expect.poll(() => log.getByTestId("log-row").count()).toBe(1);
    await expect.poll(() => log.getByTestId("log-count").textContent()).toMatch(/^1 call( ·|$)/);
    const row = log.getByTestId("log-row").first();
    expect(await row.getAttribute("data-call-sid")).toBe(callSid);
    expect(await row.getAttribute("data-outcome")).toBe("answered");
    expect(await row.textContent()).toContain("Alice Adams");

    // Its timeline: the ring, Alice's answer, the end, with who and when.
    await row.getByTestId("log-open").click();
    const steps = admin.getByTestId("timeline").getByTestId("timeline-step");
    await steps.first().waitFor();
    const types = await steps.evaluateAll((els) => els.map((e) => e.getAttribute("data-type")));
    expect(types).toContain("ring_start");
    expect(types).toContain("answered");
    expect(types).toContain("call_ended");
    expect(await steps.filter({ hasText: "Alice Adams" }).count()).toBeGreaterThan(0);

    await shoot("call-log-timeline", { alice: admin });
    // The search's CSV: the header and this one call.
    const one = await download(admin, "calls-csv");
    expect(one.name).toMatch(/\.csv$/);
    expect(one.lines[0]).toMatch(/^call_sid,/);
    expect(one.lines.slice(1).map((l) => l.split(",")[0])).toEqual([callSid]);

    // Every call: as many lines as the log's API counts.
    await log.getByTestId("log-q").fill("");
    await log.getByTestId("log-search").click();
    await expect.poll(() => log.getByTestId("log-row").count()).toBeGreaterThan(1);
    const all = await download(admin, "calls-csv");
    expect(all.lines.length - 1).toBe(await countCalls(admin, ""));
    expect(all.lines.slice(1).some((l) => l.startsWith(`${gone.callSid},`))).toBe(true);
  });
});
