// The board of a big team in a real Chromium: 200 more agents (seeded through the admin API, never
// signed in), Alice's console on a laptop screen (1366×768) while a caller rings her. Her own card
// and the call's Answer button must be on screen without scrolling, the offline agents counted
// behind a toggle rather than drawn, and the search must narrow the list.
//
// The seeded agents have no console, so they are offline and never rung: the tests that run after
// this file on the same server still ring exactly Alice, Bob and Carol. They are deleted at the end.
import { mkdirSync } from "node:fs";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { baseUrl, card, placeCall, team, useChromium } from "./team";

const SEEDED = 200;
const SCREENSHOT = "docs/images/board-200.png";
const FIRST = ["Zoë", "Élodie", "José", "Søren", "Amara", "Bruno", "Chen", "Dalia", "Emeka", "Fatima", "Gustav", "Hana", "Ines", "Jonas", "Kofi", "Leila", "Mateo", "Nora", "Omar", "Priya"];
const LAST = ["Novák", "Okafor", "Lindqvist", "García", "Tanaka", "Müller", "Haddad", "Kowalski", "Silva", "Nguyen"];

/** The seeded team: every first name with every last name, 200 distinct, some with accents. */
const seeded = Array.from({ length: SEEDED }, (_, i) => ({
  id: `big_${String(i).padStart(3, "0")}`,
  name: `${FIRST[i % FIRST.length]} ${LAST[Math.floor(i / FIRST.length)]}`,
}));

let adminCookie = "";

/** An admin API request, as the console would send it (same Origin: writes are refused without it). */
async function admin(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(baseUrl + path, { ...init, headers: { "Content-Type": "application/json", Origin: baseUrl!, Cookie: adminCookie, ...init.headers } });
}

/** Runs `fn` over `items`, `width` at a time: 200 password hashes at once would only queue in workerd. */
async function inBatches<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(fn));
}

const seededCards = (page: Page) => page.locator("[data-testid^=agent-card-big_]");

describe.skipIf(!baseUrl)("the board with 200 agents", () => {
  useChromium();

  beforeAll(async () => {
    const res = await admin("/api/session", { method: "POST", body: JSON.stringify({ email: "admin@example.com", password: "admin-demo-password" }) });
    expect(res.status).toBe(200);
    adminCookie = (res.headers.get("set-cookie") ?? "").split(";")[0]!;
    await inBatches(seeded, 10, async (a) => {
      const r = await admin("/api/agents", {
        method: "POST",
        // Not available either: even if one of them ever opened a console, it would not be rung.
        body: JSON.stringify({ id: a.id, name: a.name, email: `${a.id}@board.test`, password: `${a.id}-password`, available: false }),
      });
      expect(r.status, await r.clone().text()).toBe(201);
    });
  });

  afterAll(async () => {
    if (!adminCookie) return;
    await inBatches(seeded, 20, async (a) => {
      const r = await admin(`/api/agents/${a.id}`, { method: "DELETE" });
      expect([204, 404]).toContain(r.status);
    });
    await admin("/api/session", { method: "DELETE" });
  });

  it("shows my card and the ringing call without scrolling, the offline agents collapsed, and a search", async () => {
    const p = await team();
    const alice = p.alice;
    await alice.setViewportSize({ width: 1366, height: 768 });
    const { from } = await placeCall();
    const answer = card(alice, "alice").getByTestId("answer");
    await answer.waitFor();
    expect(await card(alice, "alice").getByTestId("caller").textContent()).toBe(from);
    // The colleagues being rung come first, before anyone else.
    await expect.poll(() => alice.locator("[data-testid=colleagues] [data-testid^=agent-card-]").evaluateAll((cards) => cards.map((c) => c.getAttribute("data-testid")))).toEqual([
      "agent-card-bob",
      "agent-card-carol",
    ]);

    // Without scrolling: the page is at its top, and my card and its Answer button are inside the window.
    expect(await alice.evaluate(() => window.scrollY)).toBe(0);
    const inView = async (box: { y: number; height: number } | null) => !!box && box.y >= 0 && box.y + box.height <= 768;
    expect(await inView(await card(alice, "alice").boundingBox())).toBe(true);
    expect(await inView(await answer.boundingBox())).toBe(true);

    // The offline agents (the 200, the admin) are counted, not drawn.
    const toggle = alice.getByTestId("offline-toggle");
    expect(await toggle.getAttribute("aria-expanded")).toBe("false");
    const offline = Number(/(\d+) offline/.exec((await toggle.textContent()) ?? "")?.[1]);
    expect(offline).toBeGreaterThanOrEqual(SEEDED);
    expect(await seededCards(alice).count()).toBe(0);
    expect(await inView(await toggle.boundingBox())).toBe(true);

    // Opened, they are compact cards, many to a row, in name order.
    await toggle.click();
    expect(await toggle.getAttribute("aria-expanded")).toBe("true");
    await expect.poll(() => seededCards(alice).count()).toBe(SEEDED);
    const first = await seededCards(alice).first().boundingBox();
    expect(first!.height).toBeLessThan(60);
    // A long name is cut, never pushing its state out of the card (the first screenshots had that).
    const overflowing = await seededCards(alice).evaluateAll((cards) => cards.filter((c) => c.scrollWidth > c.clientWidth).length);
    expect(overflowing).toBe(0);
    const columns = await alice.getByTestId("offline-agents").evaluate((el) => getComputedStyle(el).gridTemplateColumns.split(" ").length);
    expect(columns).toBeGreaterThanOrEqual(4);
    // The whole team of 204 fits in a few screens, not a five-metre wall.
    expect(await alice.evaluate(() => document.documentElement.scrollHeight)).toBeLessThan(768 * 4);
    // Still ringing, still at the top.
    expect(await inView(await answer.boundingBox())).toBe(true);
    // The README's picture is redrawn only when asked (SCREENSHOTS=1), like readme-screenshot-e2e's.
    if (process.env.SCREENSHOTS) {
      mkdirSync("docs/images", { recursive: true });
      await alice.screenshot({ path: SCREENSHOT });
    }

    // The search narrows the list, by name, whatever the case and the accents; my card stays.
    const search = alice.getByTestId("agent-search");
    await search.fill("zoe");
    const zoes = seeded.filter((a) => a.name.startsWith("Zoë")).length;
    await expect.poll(() => seededCards(alice).count()).toBe(zoes);
    expect(await card(alice, "bob").count()).toBe(0);
    expect(await card(alice, "alice").count()).toBe(1);
    expect(await alice.getByTestId("agent-count").textContent()).toMatch(new RegExp(`^${zoes} of \\d+ colleagues$`));
    await search.fill("SØREN garcia");
    await expect.poll(() => seededCards(alice).evaluateAll((cards) => cards.map((c) => c.getAttribute("data-testid")))).toEqual([
      `agent-card-${seeded.find((a) => a.name === "Søren García")!.id}`,
    ]);
    await search.fill("bob");
    await expect.poll(() => alice.locator("[data-testid^=agent-card-]").evaluateAll((cards) => cards.map((c) => c.getAttribute("data-testid")))).toEqual([
      "agent-card-alice",
      "agent-card-bob",
    ]);
    expect(await toggle.count()).toBe(0);
    await search.fill("nobody by that name");
    await alice.getByTestId("no-match").waitFor();
    await search.fill("");
    await expect.poll(() => seededCards(alice).count()).toBe(SEEDED);
    // The call still rings Alice, and Answer still works from the top of a 200-agent board.
    await answer.click();
    await expect.poll(() => card(alice, "alice").getAttribute("data-state")).toBe("on-call");
  });
});
