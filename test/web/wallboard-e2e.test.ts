// The wallboard in Chromium: a supervisor (Sam, the demo supervisor) sees a caller waiting appear and
// go when Alice answers, the agents' states live, and today's answered count grow once the call ends;
// an agent sees no Wallboard link and gets 403 from the reports. The README's picture of the wallboard
// (docs/images/wallboard.png) is staged on every run and written only with SCREENSHOTS=1:
//   SCREENSHOTS=1 npx vitest run -c vitest.web.config.ts --project web test/web/wallboard-e2e.test.ts
import { mkdirSync } from "node:fs";
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { baseUrl, card, endCall, placeCall, shoot, signIn, team, useChromium, type Who } from "./team";

const SCREENSHOT = "docs/images/wallboard.png";
/** Fixed callers for the README's picture (random ones are below +15559000000). */
const CALLERS = { talking: "+15559712040", parked: "+15559823318", wrapped: "+15559934452", waiting: "+15559145576" };

/** Opens the wallboard from the header's nav, and waits for today's figures. */
async function openWallboard(page: Page): Promise<void> {
  await page.getByTestId("nav-wallboard").click();
  await page.getByTestId("wallboard").waitFor();
  await page.getByTestId("wall-tile-answered").getByTestId("wall-tile-value").waitFor();
}

/** `who` answers this caller and is connected (their card says "Talking to"). */
async function answer(page: Page, who: Who, callSid: string): Promise<void> {
  await card(page, who).getByTestId("ring").filter({ has: page.locator(`[data-testid=caller]`) }).first().getByTestId("answer").click();
  await card(page, who).locator(`[data-testid=active-call][data-call-sid="${callSid}"]`).filter({ hasText: "Talking to" }).waitFor();
}

/** Elements that run off the right of the screen (none on a wallboard that fits), as "tag.class". */
const offScreen = (page: Page) =>
  page.evaluate(() =>
    [...document.querySelectorAll(".wallboard *")]
      .filter((el) => el.getBoundingClientRect().right > window.innerWidth + 1)
      .map((el) => `${el.tagName.toLowerCase()}.${el.getAttribute("class") ?? ""} in ${el.parentElement?.getAttribute("class") ?? el.parentElement?.tagName}: ${el.textContent}`),
  );

const answeredToday = async (page: Page) => Number(await page.getByTestId("wall-tile-answered").getByTestId("wall-tile-value").textContent());
const wallState = (page: Page, id: string) => page.getByTestId(`wall-agent-${id}`).getAttribute("data-state");

describe.skipIf(!baseUrl)("the wallboard", () => {
  useChromium();

  it("shows a caller waiting until Alice answers, the agents' states, and the answered count growing after the call", async () => {
    const p = await team();
    const sam = await signIn("sam");
    await openWallboard(sam);
    expect(await sam.getByTestId("nav-wallboard").getAttribute("aria-current")).toBe("page");
    for (const who of ["alice", "bob", "carol"]) await expect.poll(() => wallState(sam, who)).toBe("available");
    // Sam takes no calls: a team lead on the floor, not an agent away.
    await expect.poll(() => wallState(sam, "sam")).toBe("lead");
    expect(await sam.getByTestId("wall-state-away").getByTestId("wall-agent-sam").count()).toBe(0);
    const before = await answeredToday(sam);

    const { callSid, from } = await placeCall();
    const row = sam.locator(`[data-testid=wall-caller][data-call-sid="${callSid}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain(from);
    expect(Number(await sam.getByTestId("wall-waiting-count").textContent())).toBeGreaterThanOrEqual(1);
    await expect.poll(() => sam.getByTestId("wall-longest-wait").textContent()).toMatch(/^\d+:\d\d$/);
    for (const who of ["alice", "bob", "carol"]) await expect.poll(() => wallState(sam, who)).toBe("ringing");

    await answer(p.alice, "alice", callSid);
    await row.waitFor({ state: "detached" });
    await expect.poll(() => wallState(sam, "alice")).toBe("on-call");
    await expect.poll(() => sam.getByTestId("wall-agent-alice").textContent()).toContain(from);
    for (const who of ["bob", "carol"]) await expect.poll(() => wallState(sam, who)).toBe("available");

    // The call ends: the wallboard asks for today's figures again, and Alice's call is counted.
    await endCall(p.alice);
    await expect.poll(() => wallState(sam, "alice")).toBe("wrap-up");
    await expect.poll(() => answeredToday(sam), { timeout: 20_000 }).toBe(before + 1);

    // A laptop's screen (1366×768): nothing runs off to the side.
    await sam.setViewportSize({ width: 1366, height: 768 });
    expect(await offScreen(sam)).toEqual([]);
    expect(await sam.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    expect(await sam.getByTestId("wall-queue").isVisible()).toBe(true);
    await shoot("wallboard", { alice: sam });
  });

  it("has a Full screen button that puts the wallboard alone on the screen, and a clock in the team's time zone", async () => {
    const sam = await signIn("sam");
    await openWallboard(sam);
    const teamZone = ((await (await sam.request.get(`${baseUrl}/api/settings/time-zone`)).json()) as { timeZone: string }).timeZone;
    await expect.poll(() => sam.getByTestId("wall-clock").getAttribute("data-time-zone")).toBe(teamZone);
    expect(await sam.getByTestId("wall-clock").textContent()).toMatch(/\d\d:\d\d/);
    await sam.getByTestId("wall-fullscreen").click();
    await expect.poll(() => sam.evaluate(() => document.fullscreenElement?.getAttribute("data-testid") ?? null)).toBe("wallboard");
    // The label follows the fullscreenchange event, which may come just after fullscreenElement is set.
    await expect.poll(() => sam.getByTestId("wall-fullscreen").textContent()).toBe("Exit full screen");
    await sam.getByTestId("wall-fullscreen").click();
    await expect.poll(() => sam.evaluate(() => document.fullscreenElement === null)).toBe(true);
  });

  it("is not for agents: Alice sees no Wallboard link, stays on her console, and the reports answer her 403", async () => {
    const alice = await signIn("alice");
    expect(await alice.getByTestId("views-nav").count()).toBe(0);
    expect(await alice.getByRole("link", { name: "Wallboard" }).count()).toBe(0);
    for (const path of ["/api/reports/today", "/api/reports/summary?period=today", "/api/reports/agents?period=today", "/api/reports/calls"]) {
      expect((await alice.request.get(`${baseUrl}${path}`)).status(), path).toBe(403);
    }
    // The wallboard's address shows her own console.
    await alice.evaluate(() => (location.hash = "#/wallboard"));
    await card(alice, "alice").waitFor();
    expect(await alice.getByTestId("wallboard").count()).toBe(0);
  });

  // The README's picture: agents on a call, in wrap-up and away, a parked call and a caller in line.
  // The staged moment is asserted on every run; the image is written only with SCREENSHOTS=1 (as in
  // readme-screenshot-e2e.test.ts), else it goes to test-results/screenshots/ like the others.
  it("stages the wallboard in use for the README: on a call, wrap-up, away, parked, a caller in line", async () => {
    const p = await team();
    const sam = await signIn("sam");
    await sam.setViewportSize({ width: 1920, height: 1080 });
    await openWallboard(sam);
    const before = await answeredToday(sam);
    // Alice takes one caller; Bob takes another and parks it.
    const first = await placeCall({ from: CALLERS.talking });
    await answer(p.alice, "alice", first.callSid);
    const second = await placeCall({ from: CALLERS.parked });
    await answer(p.bob, "bob", second.callSid);
    await card(p.bob, "bob").getByTestId("park").click();
    await sam.locator(`[data-testid=wall-parked][data-call-sid="${second.callSid}"]`).waitFor();
    // Carol goes to lunch; Bob takes a third caller and hangs up: wrap-up.
    await card(p.carol, "carol").getByTestId("status-picker").selectOption("away:Lunch");
    await expect.poll(() => wallState(sam, "carol")).toBe("away");
    const third = await placeCall({ from: CALLERS.wrapped });
    await answer(p.bob, "bob", third.callSid);
    await endCall(p.bob);
    await expect.poll(() => wallState(sam, "bob")).toBe("wrap-up");
    // A fourth caller finds nobody free: they wait in line.
    const fourth = await placeCall({ from: CALLERS.waiting });
    await sam.locator(`[data-testid=wall-caller][data-call-sid="${fourth.callSid}"]`).filter({ hasText: "in line" }).waitFor();
    await expect.poll(() => sam.getByTestId("wall-agent-alice").textContent()).toContain(first.from);
    expect(await sam.getByTestId("wall-agent-carol").textContent()).toContain("Lunch");
    // Bob's call is counted in today's figures.
    await expect.poll(() => answeredToday(sam), { timeout: 20_000 }).toBeGreaterThanOrEqual(before + 1);
    await shoot("wallboard-1920", { alice: sam });
    // Nothing runs off the screen at 1920×1080.
    expect(await offScreen(sam)).toEqual([]);
    expect(await sam.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    if (process.env.SCREENSHOTS) {
      mkdirSync("docs/images", { recursive: true });
      await sam.screenshot({ path: SCREENSHOT });
    }
    await sam.setViewportSize({ width: 1366, height: 768 });
    await shoot("wallboard-1366", { alice: sam });
  });
});
