// Shared by the browser tests: Chromium, the three demo agents signed in each in their own browser
// context, calls placed through the carrier simulator, what the carrier says of them, screenshots.
//
// The lobby model: a caller waits alone in a conference of their own at the (simulated) carrier; the
// consoles ring from the switchboard's board, not from the phone; Answer claims the call and only the
// winner's phone connects, with the ticket the claim gave. So a ring is seen on the board, and who is
// talking to the caller is asked of the carrier (which phone's leg joined the caller's conference).
import { mkdirSync } from "node:fs";
import { chromium, type Browser, type BrowserContext, type Locator, type Page, type Route, type WebSocketRoute } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect, inject } from "vitest";
import type { RecordingSettingBody } from "../../worker/protocol";
import { CHROMIUM } from "./server";

export const baseUrl = inject("baseUrl");
const SHOTS = "test-results/screenshots";
export const AGENTS = ["alice", "bob", "carol"] as const;
export type Who = (typeof AGENTS)[number];
export const NAMES: Record<Who, string> = { alice: "Alice Adams", bob: "Bob Brown", carol: "Carol Clark" };

let browser: Browser;
const contexts: BrowserContext[] = [];
/** Each console's call and phone requests, its sockets' messages and its browser errors, printed when a test fails. */
const journals = new WeakMap<Page, string[]>();
/** The calls this test placed. */
const placed: string[] = [];

function keepJournal(page: Page): void {
  const journal: string[] = [];
  journals.set(page, journal);
  const t0 = Date.now();
  page.on("response", async (r) => {
    if (!r.url().includes("/api/calls/") && !r.url().endsWith("/api/me/phone")) return;
    const body = await r.text().catch(() => "");
    journal.push(`${Date.now() - t0} ms ${r.request().method()} ${new URL(r.url()).pathname} → ${r.status()} ${body.slice(0, 200)}`);
  });
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") journal.push(`${Date.now() - t0} ms console.${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => journal.push(`${Date.now() - t0} ms page error: ${e.message}`));
  // What the switchboard told the board, and what the phone and the carrier said to each other.
  page.on("websocket", (ws) => {
    const path = new URL(ws.url()).pathname;
    const frame = (dir: string) => (f: { payload: string | Buffer }) => {
      const text = typeof f.payload === "string" ? f.payload : "";
      if (text !== "ping" && text !== "pong") journal.push(`${Date.now() - t0} ms ${path} ${dir} ${text.slice(0, 300)}`);
    };
    journal.push(`${Date.now() - t0} ms ${path} opened`);
    ws.on("framereceived", frame("←"));
    if (path === "/sim/phone") ws.on("framesent", frame("→"));
    ws.on("close", () => journal.push(`${Date.now() - t0} ms ${path} closed`));
  });
}

/**
 * One of a console's WebSockets (the switchboard's, or the simulated phone's), proxied by Playwright
 * so that the test can cut it as a flaky network would (setOffline does not close sockets). Cutting
 * closes both ends (the server sees the socket go too) and refuses new connections until restored.
 */
export class Cable {
  private live: WebSocketRoute[] = [];
  private isUp: boolean;

  /** `down`: refused from the start. */
  constructor(opts: { down?: boolean } = {}) {
    this.isUp = !opts.down;
  }

  get up(): boolean {
    return this.isUp;
  }

  cut(): void {
    this.isUp = false;
    for (const ws of this.live.splice(0)) void ws.close({ code: 4001, reason: "network down" });
  }

  restore(): void {
    this.isUp = true;
  }

  async attach(page: Page, url: RegExp): Promise<void> {
    await page.routeWebSocket(url, (ws) => {
      if (!this.isUp) return void ws.close({ code: 4001, reason: "network down" });
      ws.connectToServer();
      this.live.push(ws);
    });
  }
}

/** Which of a console's sockets the test holds: the switchboard's (`board`) and the simulated phone's. */
export interface Wires {
  board?: Cable;
  phone?: Cable;
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
      for (const sid of placed) console.log(await whatTheCarrierHas(sid).catch((e) => `simulated call ${sid}: unreadable (${e})`));
      for (const c of contexts) {
        for (const page of c.pages()) {
          console.log(await whatItShows(page).catch((e) => `(console unreadable: ${e})`));
          console.log((journals.get(page) ?? []).map((l) => `  ${l}`).join("\n"));
        }
      }
    }
    placed.length = 0;
    // Whatever a failed test left, every caller hangs up, so the next test starts with idle agents.
    // Callers first, consoles after: a console closed under a connected call would drop the agent's
    // leg and ring the others again for nothing.
    await hangUpEveryCaller();
    for (const c of contexts.splice(0)) await c.close();
  });
  afterAll(async () => {
    await browser?.close();
  });
}

/** A placed call as the carrier has it, and the phone legs that joined it, in a few lines. */
async function whatTheCarrierHas(callSid: string): Promise<string> {
  const describe = (c: CarrierCall & { playing?: string | null; conference?: { started: boolean; participants: string[] } | null; errors?: unknown[]; events?: { at: number; what: string }[] }) =>
    [
      `${c.kind} ${c.identity ?? ""} ${c.callSid}: ${c.status}, hears ${c.hears ?? "-"}${c.playing ? ` (${c.playing})` : ""}${c.muted ? ", muted" : ""}`,
      `  conference: ${c.conference ? `${c.conference.started ? "started" : "not started"}, ${c.conference.participants.join(" ")}` : "none"}`,
      ...(c.errors?.length ? [`  errors: ${JSON.stringify(c.errors)}`] : []),
      ...(c.events ?? []).slice(-12).map((e) => `  ${new Date(e.at).toISOString().slice(11, 23)} ${e.what.slice(0, 200)}`),
    ].join("\n");
  const caller = await carrierCall(callSid);
  const legs = (await simCalls()).filter((c) => c.kind === "agent" && c.startedAt >= caller.startedAt);
  const mine = (await Promise.all(legs.map((l) => carrierCall(l.callSid)))).filter((l) => l.customParameters.callerSid === callSid);
  return [describe(caller), ...mine.map(describe)].join("\n");
}

async function whatItShows(page: Page): Promise<string> {
  return page.evaluate(() => {
    const text = (el: Element | null) => (el?.textContent ?? "").replace(/\s+/g, " ").trim();
    const cards = [...document.querySelectorAll("[data-testid^=agent-card-]")].map((c) => `  ${c.getAttribute("data-testid")} [${c.getAttribute("data-state")}] ${text(c)}`);
    const notices = [...document.querySelectorAll("[data-testid=notice]")].map((n) => `  notice: ${text(n)}`);
    const panel = (id: string) => `  ${text(document.querySelector(`[aria-labelledby=${id}]`))}`;
    const banner = document.querySelector("[data-testid=phone-banner]");
    const link = text(document.querySelector("[data-testid=connection-status]"));
    return [
      `${text(document.querySelector(".me"))} (${link || "no board"}):`,
      ...(banner ? [`  phone banner: ${text(banner)}`] : []),
      ...cards,
      panel("lot-title"),
      panel("waiting-title"),
      panel("history-title"),
      ...notices,
    ].join("\n");
  });
}

export async function hangUpEveryCaller(): Promise<void> {
  const calls = await simCalls();
  const live = calls.filter((c) => c.status !== "completed" && c.status !== "canceled");
  for (const c of live.filter((c) => c.kind === "caller")) await callerHangsUp(c.callSid);
}

export async function callerHangsUp(callSid: string): Promise<void> {
  await fetch(`${baseUrl}/sim/calls/${callSid}/hangup`, { method: "POST" });
}

export async function signIn(who: Who | "admin" | "sam", wires: Wires = {}): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 760 } });
  contexts.push(context);
  const page = await context.newPage();
  keepJournal(page);
  await wires.board?.attach(page, /\/api\/console$/);
  await wires.phone?.attach(page, /\/sim\/phone$/);
  await page.goto(baseUrl!);
  // "admin": Ada Admin, the demo admin; "sam": Sam Supervisor, the demo supervisor (neither available: never rung).
  await page.getByLabel("E-mail").fill(`${who}@example.com`);
  await page.getByLabel("Password").fill(`${who}-demo-password`);
  // Signed in means the board is connected and the phone has said whether it is ready (PUT
  // /api/me/phone, ready or not): until then the agent is not rung, and that request is still to come.
  const phoneSaid = page.waitForResponse((r) => r.request().method() === "PUT" && new URL(r.url()).pathname === "/api/me/phone");
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByTestId("connection-status").filter({ hasText: "Connected" }).waitFor();
  await phoneSaid;
  return page;
}

/**
 * Signs the three demo agents in, each available, each in their own browser context, and waits until
 * every console sees every agent available and every phone ready (or, for a phone whose cable starts
 * cut, not ready: its own console says why, the others that it is not rung).
 */
export async function team(wires: Partial<Record<Who, Wires>> = {}): Promise<Record<Who, Page>> {
  const pages = await Promise.all(AGENTS.map((who) => signIn(who, wires[who])));
  const byName = Object.fromEntries(AGENTS.map((w, i) => [w, pages[i]!])) as Record<Who, Page>;
  for (const [who, page] of Object.entries(byName)) {
    // Available, whatever status the previous test left (Away with a reason, or auto-paused).
    const picker = page.getByTestId(`agent-card-${who}`).getByTestId("status-picker");
    if ((await picker.inputValue()) !== "available") await picker.selectOption("available");
  }
  // A wrap-up left by the previous test's hang-up (WRAP_UP_SECONDS) ends now: everyone rings from the start.
  for (const [who, page] of Object.entries(byName)) {
    const ready = page.getByTestId(`agent-card-${who}`).getByTestId("wrap-up-ready");
    if ((await ready.count()) > 0) {
      await ready.click();
      await ready.waitFor({ state: "detached" });
    }
  }
  for (const who of AGENTS) {
    const phoneUp = wires[who]?.phone?.up ?? true;
    if (!phoneUp) await byName[who].getByTestId("phone-banner").waitFor();
    for (const w of AGENTS) {
      const page = byName[w];
      await card(page, who).and(page.locator("[data-state=available]")).waitFor();
      if (w !== who) await card(page, who).getByTestId("card-phone").waitFor({ state: phoneUp ? "detached" : "visible" });
    }
  }
  return byName;
}

export const card = (page: Page, who: Who) => page.getByTestId(`agent-card-${who}`);

/** A voicemail item of the inbox, by its caller's number. */
export const voicemailItem = (page: Page, from: string) => page.getByTestId("voicemail-item").filter({ hasText: from });

/** Away with a reason, on the agent's own card, once the server has it: nobody available means voicemail at once. */
export async function away(page: Page, who: Who): Promise<void> {
  await card(page, who).getByTestId("status-picker").selectOption("away:Break");
  await card(page, who).and(page.locator("[data-state=unavailable]")).waitFor();
}

/** Sets the team's recording setting from an admin's console (same origin, the session's cookie); the answer's status. */
export async function setRecording(admin: Page, setting: RecordingSettingBody): Promise<number> {
  return admin.evaluate(
    async (body) => (await fetch("/api/settings/recording", { method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })).status,
    setting,
  );
}

/** `from`: the caller's number (a random +1555 number below +15559000000 unless given). */
export async function placeCall(opts: { speed?: number; message?: number; from?: string } = {}): Promise<{ callSid: string; from: string }> {
  const from = opts.from ?? "+1555" + String(Math.floor(1e6 + Math.random() * 8e6));
  const res = await fetch(baseUrl + "/sim/calls", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ ...opts, from }),
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

/** Presses Hang up on `page`'s own card: the call ends there (the board says so, not just the button). */
export async function endCall(page: Page): Promise<void> {
  await page.getByTestId("hangup").click();
  await page.getByTestId("hangup").waitFor({ state: "detached" });
}

/** The waiting panel's row of this caller on `page`. */
export const waitingRow = (page: Page, from: string) => page.getByTestId("waiting-call").filter({ hasText: from });

// ---- what the carrier says (the simulator's own routes) ----

interface SimCallSummary {
  callSid: string;
  kind: "caller" | "agent";
  identity: string | null;
  status: string;
  startedAt: number;
}

export interface CarrierCall {
  callSid: string;
  kind: "caller" | "agent";
  identity: string | null;
  status: string;
  /** What the party hears: wait-music, hold-music, announcement, silence, bridged; null outside a conference. */
  hears: string | null;
  muted: boolean;
  customParameters: Record<string, string>;
  startedAt: number;
}

async function simCalls(): Promise<SimCallSummary[]> {
  return ((await (await fetch(`${baseUrl}/sim/calls`)).json()) as { calls: SimCallSummary[] }).calls;
}

/** One call (a caller, or an agent's phone leg) as the carrier has it now. */
export async function carrierCall(callSid: string): Promise<CarrierCall> {
  const res = await fetch(`${baseUrl}/sim/calls/${callSid}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { call: CarrierCall }).call;
}

/** Every phone leg that presented a ticket for this caller (device.connect), whatever became of it: `identity status`. */
export async function legsFor(callSid: string): Promise<string[]> {
  const caller = await carrierCall(callSid);
  // Only legs placed since the caller called can be theirs: the others are not fetched.
  const legs = (await simCalls()).filter((c) => c.kind === "agent" && c.startedAt >= caller.startedAt);
  const full = await Promise.all(legs.map((l) => carrierCall(l.callSid)));
  return full.filter((l) => l.customParameters.callerSid === callSid).map((l) => `${l.identity} ${l.status}`);
}

/**
 * The agents whose phone's leg is in the caller's conference now, by the carrier's word: the leg, and
 * whether the phone muted it (the SDK's call.mute(), as the carrier has it on the leg).
 */
export async function bridgedWith(callSid: string): Promise<{ identity: string | null; legSid: string; muted: boolean }[]> {
  const res = await fetch(`${baseUrl}/sim/conferences/${callSid}`);
  const { conference } = (await res.json()) as { conference: { current: { participants: { callSid: string; label: string | null }[] } | null } };
  const agents = (conference.current?.participants ?? []).filter((p) => p.label === "agent");
  return Promise.all(
    agents.map(async (p) => {
      const leg = await carrierCall(p.callSid);
      return { identity: leg.identity, legSid: p.callSid, muted: leg.muted };
    }),
  );
}

/** Who is talking to the caller, by the carrier's word: the identities bridged with them (sorted). */
export async function talkingTo(callSid: string): Promise<string[]> {
  const [caller, agents] = await Promise.all([carrierCall(callSid), bridgedWith(callSid)]);
  return caller.hears === "bridged" ? agents.map((a) => a.identity ?? "?").sort() : [];
}

/**
 * Presses buttons on several consoles in the same instant, so that the server decides between them.
 * Playwright's click() waits until its button is enabled and attached, but the first press to reach
 * the server removes or disables the others, so a loser's click() would wait out its timeout: the
 * buttons are found first, then all pressed at once. And "at once" is one browser round trip per
 * console: on a loaded machine one console could hear of the other's win before its own press landed,
 * and then its button was already gone (a clean-clone CI run lost a retrieve race that way). So each
 * console's claim or retrieve request is held until every console has sent its own.
 */
export async function pressAtOnce(...buttons: Locator[]): Promise<void> {
  await Promise.all(buttons.map((b) => b.waitFor()));
  const handles = await Promise.all(buttons.map((b) => b.elementHandle()));
  let sent = 0;
  let allSent!: () => void;
  const everyoneSent = new Promise<void>((resolve) => (allSent = resolve));
  const hold = async (route: Route) => {
    if (++sent === buttons.length) allSent();
    await everyoneSent;
    await route.continue();
  };
  const pages = buttons.map((b) => b.page());
  await Promise.all(pages.map((page) => page.route(TAKE_REQUEST, hold, { times: 1 })));
  try {
    await Promise.all(handles.map((h) => h!.evaluate((el: HTMLElement) => el.click())));
    await expect.poll(() => sent, { message: "every console pressed sends its request" }).toBe(buttons.length);
  } finally {
    await Promise.all(pages.map((page) => page.unroute(TAKE_REQUEST, hold)));
  }
}

/** A console's claim (Answer) or retrieve: the requests a race is decided by. */
const TAKE_REQUEST = /\/api\/calls\/[^/?]+\/(claim|retrieve)(\?|$)/;
