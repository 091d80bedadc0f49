// The console when the server closes its socket for good: the session ended (the sign-in page, saying
// why) or a newer console of the agent took over (closed, saying so, and not reconnecting by itself).
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { baseUrl, signIn, useChromium } from "./team";

/** The console's WebSockets to /api/console, counted as the page opens them. */
function countConsoleSockets(page: Page): () => number {
  let n = 0;
  page.on("websocket", (ws) => {
    if (new URL(ws.url()).pathname === "/api/console") n++;
  });
  return () => n;
}

async function openAnother(first: Page): Promise<Page> {
  const page = await first.context().newPage();
  await page.goto(baseUrl!);
  await page.getByTestId("connection-status").filter({ hasText: "Connected" }).waitFor();
  return page;
}

async function admin(path: string, method: string, body: unknown): Promise<number> {
  const signIn = await fetch(`${baseUrl}/api/session`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ email: "admin@example.com", password: "admin-demo-password" }) });
  const cookie = (signIn.headers.get("Set-Cookie") ?? "").split(";")[0]!;
  const res = await fetch(`${baseUrl}${path}`, { method, headers: { Cookie: cookie, "Content-Type": "application/json" }, body: JSON.stringify(body) });
  return res.status;
}

describe("a console closed by the server", () => {
  useChromium();

  it("shows the sign-in page, saying why, in every tab of a session signed out in one of them", async () => {
    const first = await signIn("alice");
    const second = await openAnother(first);
    await first.getByRole("button", { name: "Sign out" }).click();
    await second.getByRole("button", { name: "Sign in" }).waitFor();
    await expect(second.getByTestId("signed-out-notice").textContent()).resolves.toMatch(/signed out/);
  });

  it("shows the sign-in page saying the account was disabled, when an admin disables it", async () => {
    const carol = await signIn("carol");
    try {
      expect(await admin("/api/agents/carol", "PATCH", { disabled: true })).toBe(200);
      await carol.getByRole("button", { name: "Sign in" }).waitFor();
      await expect(carol.getByTestId("signed-out-notice").textContent()).resolves.toMatch(/disabled/);
    } finally {
      expect(await admin("/api/agents/carol", "PATCH", { disabled: false })).toBe(200);
    }
  });

  it("pushed out by the agent's newest console, says so and stays closed until asked back", async () => {
    const oldest = await signIn("bob");
    const sockets = countConsoleSockets(oldest);
    const others: Page[] = [];
    // The cap is five consoles per agent: the sixth pushes the oldest out.
    for (let i = 0; i < 5; i++) others.push(await openAnother(oldest));
    await oldest.getByTestId("closed-banner").waitFor();
    await oldest.getByTestId("connection-status").filter({ hasText: "Closed" }).waitFor();
    for (const p of others) await p.getByTestId("connection-status").filter({ hasText: "Connected" }).waitFor();

    // Asked back, it connects, and the oldest of the others is pushed out in turn.
    await oldest.getByTestId("reopen-console").click();
    await oldest.getByTestId("connection-status").filter({ hasText: "Connected" }).waitFor();
    await others[0]!.getByTestId("closed-banner").waitFor();
    // Counted since its first connect: only the one it was asked for. It never reconnected by itself.
    expect(sockets()).toBe(1);
  });
});
