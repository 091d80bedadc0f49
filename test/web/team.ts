// Shared by the browser tests: Chromium, the three demo agents signed in each in their own browser
// context, calls placed through the carrier simulator, screenshots.
import { mkdirSync } from "node:fs";
import { chromium, type Browser, type BrowserContext, type Locator, type Page, type WebSocketRoute } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, inject } from "vitest";
import { CHROMIUM } from "./server";

export const baseUrl = inject("baseUrl");
const SHOTS = "test-results/screenshots";
export const AGENTS = ["alice", "bob", "carol"] as const;
export type Who = (typeof AGENTS)[number];
export const NAMES: Record<Who, string> = { alice: "Alice Adams", bob: "Bob Brown", carol: "Carol Clark" };

let browser: Browser;
const contexts: BrowserContext[] = [];
/** Each console's call requests and browser errors, printed when a test fails. */
const journals = new WeakMap<Page, string[]>();
/** The calls this test placed. */
const placed: string[] = [];

function keepJournal(page: Page): void {
  const journal: string[] = [];
  journals.set(page, journal);
  const t0 = Date.now();
  page.on("response", async (r) => {
    if (!r.url().includes("/api/calls/")) return;
    const body = await r.text().catch(() => "");
    journal.push(`${Date.now() - t0} ms ${r.request().method()} ${new URL(r.url()).pathname} → ${r.status()} ${body.slice(0, 200)}`);
  });
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") journal.push(`${Date.now() - t0} ms console.${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => journal.push(`${Date.now() - t0} ms page error: ${e.message}`));
  // The switchboard's messages to this console, in order: what the board was told, and when.
  page.on("websocket", (ws) => {
    const path = new URL(ws.url()).pathname;
    journal.push(`${Date.now() - t0} ms ${path} opened`);
    ws.on("framereceived", (f) => {
      const text = typeof f.payload === "string" ? f.payload : "";
      if (text !== "pong") journal.push(`${Date.now() - t0} ms ${path} ← ${text.slice(0, 300)}`);
    });
    ws.on("close", () => journal.push(`${Date.now() - t0} ms ${path} closed`));
  });
}

/** Cuts and restores a console's switchboard connection, as a flaky network would. */
export interface Cable {
  cut(): void;
  restore(): void;
}

/** Call inside a describe: one Chromium for its tests, and a clean slate (no context, no live call) after each. */
export function useChromium(): void {
  beforeAll(async () => {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--autoplay-policy=no-user-gesture-required"],
    });
  });
  afterEach(async (ctx) => {
    // A failed test says what each console showed, which the assertion alone does not.
    if (ctx.task.result?.state === "fail") {
      for (const sid of placed) {
        const state = await (await fetch(`${baseUrl}/sim/calls/${sid}`)).text().catch((e) => String(e));
        console.log(`simulated call ${sid}: ${state.slice(0, 1500)}`);
      }
      for (const c of contexts) {
        for (const page of c.pages()) {
          console.log(await whatItShows(page).catch((e) => `(console unreadable: ${e})`));
          console.log((journals.get(page) ?? []).map((l) => `  ${l}`).join("\n"));
        }
      }
    }
    placed.length = 0;
    for (const c of contexts.splice(0)) await c.close();
    // Whatever a failed test left, every caller hangs up, so the next test starts with idle agents.
    await hangUpEveryCaller();
  });
  afterAll(async () => {
    await browser?.close();
  });
}

async function whatItShows(page: Page): Promise<string> {
  return page.evaluate(() => {
    const text = (el: Element | null) => (el?.textContent ?? "").replace(/\s+/g, " ").trim();
    const cards = [...document.querySelectorAll("[data-testid^=agent-card-]")].map((c) => `  ${c.getAttribute("data-testid")} [${c.getAttribute("data-state")}] ${text(c)}`);
    const notices = [...document.querySelectorAll("[data-testid=notice]")].map((n) => `  notice: ${text(n)}`);
    const panel = (id: string) => `  ${text(document.querySelector(`[aria-labelledby=${id}]`))}`;
    return [`${text(document.querySelector(".me"))}:`, ...cards, panel("lot-title"), panel("waiting-title"), panel("history-title"), ...notices].join("\n");
  });
}

export async function hangUpEveryCaller(): Promise<void> {
  const { calls } = (await (await fetch(baseUrl + "/sim/calls")).json()) as { calls: { callSid: string; status: string }[] };
  for (const c of calls.filter((c) => c.status !== "completed")) await callerHangsUp(c.callSid);
}

export async function callerHangsUp(callSid: string): Promise<void> {
  await fetch(`${baseUrl}/sim/calls/${callSid}/hangup`, { method: "POST" });
}

export async function signIn(who: Who, cable?: (c: Cable) => void): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 760 } });
  contexts.push(context);
  const page = await context.newPage();
  keepJournal(page);
  if (cable) {
    // Playwright proxies the console's WebSocket, so the test can drop it (setOffline does not close sockets).
    let connected = true;
    const live: WebSocketRoute[] = [];
    await page.routeWebSocket(/\/api\/console$/, (ws) => {
      if (!connected) return void ws.close({ code: 4001, reason: "network down" });
      ws.connectToServer();
      live.push(ws);
    });
    cable({
      cut: () => {
        connected = false;
        for (const ws of live.splice(0)) void ws.close({ code: 4001, reason: "network down" });
      },
      restore: () => {
        connected = true;
      },
    });
  }
  await page.goto(baseUrl!);
  await page.getByLabel("E-mail").fill(`${who}@example.com`);
  await page.getByLabel("Password").fill(`${who}-demo-password`);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByTestId("connection-status").filter({ hasText: "Connected" }).waitFor();
  return page;
}

/** Signs the three demo agents in, each available, each in their own browser context. */
export async function team(cabled?: { who: Who; cable: (c: Cable) => void }): Promise<Record<Who, Page>> {
  const pages = await Promise.all(AGENTS.map((who) => signIn(who, cabled?.who === who ? cabled.cable : undefined)));
  const byName = Object.fromEntries(AGENTS.map((w, i) => [w, pages[i]!])) as Record<Who, Page>;
  for (const [who, page] of Object.entries(byName)) {
    const toggle = page.getByTestId(`agent-card-${who}`).getByTestId("availability-toggle");
    if (!(await toggle.isChecked())) await toggle.check();
  }
  // Every console sees every agent online and available before a call comes in.
  for (const page of pages) for (const w of AGENTS) await card(page, w).and(page.locator("[data-state=available]")).waitFor();
  return byName;
}

export const card = (page: Page, who: Who) => page.getByTestId(`agent-card-${who}`);

export async function placeCall(opts: { speed?: number; message?: number } = {}): Promise<{ callSid: string; from: string }> {
  const from = "+1555" + String(Math.floor(1e6 + Math.random() * 8e6));
  const res = await fetch(baseUrl + "/sim/calls", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ from, ...opts }),
  });
  expect(res.status).toBe(201);
  const { callSid } = (await res.json()) as { callSid: string };
  placed.push(callSid);
  return { callSid, from };
}

export async function shoot(name: string, pages: Partial<Record<Who, Page>>): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  for (const [who, page] of Object.entries(pages)) await page.screenshot({ path: `${SHOTS}/${name}-${who}.png` });
}

export async function endCall(page: Page): Promise<void> {
  await page.getByTestId("hangup").click();
  await page.getByTestId("hangup").waitFor({ state: "detached" });
}

/**
 * Presses buttons on several consoles in the same instant. Playwright's click() waits until its button
 * is enabled and attached, but the first press to reach the server removes or disables the others, so
 * a loser's click() would wait out its timeout: the buttons are found first, then all pressed at once.
 */
export async function pressAtOnce(...buttons: Locator[]): Promise<void> {
  await Promise.all(buttons.map((b) => b.waitFor()));
  const handles = await Promise.all(buttons.map((b) => b.elementHandle()));
  await Promise.all(handles.map((h) => h!.evaluate((el: HTMLElement) => el.click())));
}
