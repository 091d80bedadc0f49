// The console in a real Chromium, three agents in three browser contexts, calls from the simulator.
// The lobby model: the caller waits alone at the carrier, the consoles ring from the board, Answer
// claims the call and only the winner's phone connects (with the claim's ticket); the carrier's own
// view (who is bridged with the caller, which phones placed a leg) is checked next to the screens.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import {
  AGENTS,
  baseUrl,
  bridgedWith,
  Cable,
  card,
  carrierCall,
  endCall,
  legsFor,
  NAMES,
  placeCall,
  pressAtOnce,
  shoot,
  signIn,
  talkingTo,
  team,
  useChromium,
  waitingRow,
  type Who,
} from "./team";

const CLOCK = /^\d+:\d\d$/;
const ring = (page: Page, who: Who) => card(page, who).getByTestId("ring");

/** `who` is talking to this caller: on their own card, on every console, and at the carrier. */
async function connected(p: Partial<Record<Who, Page>>, who: Who, callSid: string): Promise<void> {
  const mine = p[who]!;
  await card(mine, who).locator(`[data-testid=active-call][data-call-sid="${callSid}"]`).filter({ hasText: "Talking to" }).waitFor();
  for (const page of Object.values(p)) await expect.poll(() => card(page, who).getAttribute("data-state")).toBe("on-call");
  await expect.poll(() => talkingTo(callSid)).toEqual([who]);
}

/** Every console shows this many agents rung by the caller, on the waiting panel. */
async function ringingCount(p: Partial<Record<Who, Page>>, from: string, count: number): Promise<void> {
  for (const page of Object.values(p)) await expect.poll(() => waitingRow(page, from).getByTestId("ringing-count").getAttribute("data-count")).toBe(String(count));
}

describe.skipIf(!baseUrl)("the agent console in Chromium", () => {
  useChromium();

  it("rings all three consoles with the caller; A answers and is connected; B and C stop ringing and say who took it; Hang up ends it everywhere", async () => {
    const p = await team();
    const { callSid, from } = await placeCall();
    for (const who of AGENTS) {
      await ring(p[who], who).getByTestId("answer").waitFor();
      expect(await ring(p[who], who).getByTestId("caller").textContent()).toBe(from);
      // Each console shows the call ringing on every card it rings, and how many agents it rings.
      for (const w of AGENTS) await expect.poll(() => card(p[who], w).getAttribute("data-state")).toBe("ringing");
      await expect.poll(() => ring(p[who], who).getByTestId("ringing-count").textContent()).toBe("ringing 3 agents");
      await expect.poll(() => waitingRow(p[who], from).getByTestId("ringing-count").textContent()).toBe("ringing 3 agents");
      expect(await waitingRow(p[who], from).getByTestId("wait-time").textContent()).toMatch(CLOCK);
    }
    // The caller waits alone in the lobby (the wait music, or their place in line said), and no phone was rung.
    await expect.poll(async () => (await carrierCall(callSid)).hears).toMatch(/^(wait-music|announcement)$/);
    expect(await legsFor(callSid)).toEqual([]);
    // The wait shown is the caller's, and it goes on.
    const wait = ring(p.bob, "bob").getByTestId("wait-time");
    const waited = await wait.textContent();
    expect(waited).toMatch(CLOCK);
    await expect.poll(() => wait.textContent()).not.toBe(waited);
    await shoot("ringing", p);

    await ring(p.alice, "alice").getByTestId("answer").click();
    await connected(p, "alice", callSid);
    for (const who of ["bob", "carol"] as const) {
      await p[who].getByTestId("notice").filter({ hasText: "Answered by Alice Adams" }).waitFor();
      await expect.poll(() => ring(p[who], who).count()).toBe(0);
      await expect(p[who].locator(".notice.problem").count()).resolves.toBe(0);
    }
    for (const who of AGENTS) await p[who].getByTestId("waiting-call").waitFor({ state: "detached" });
    await expect(card(p.alice, "alice").getByTestId("call-timer").textContent()).resolves.toMatch(CLOCK);
    // Only the winner's phone connected: one leg, Alice's.
    expect(await legsFor(callSid)).toEqual(["alice in-progress"]);
    await shoot("answered", p);

    await endCall(p.alice);
    // The call ends for the caller too, and Alice is available again on every console.
    for (const who of AGENTS) await expect.poll(() => card(p[who], "alice").getAttribute("data-state")).toBe("available");
    await expect.poll(async () => (await carrierCall(callSid)).status).toBe("completed");
    await expect.poll(() => legsFor(callSid)).toEqual(["alice completed"]);
    for (const who of AGENTS) await p[who].getByTestId("history-item").filter({ hasText: from }).filter({ hasText: "Answered by Alice Adams" }).waitFor();
  });

  it("B and C click Answer in the same instant: exactly one is connected, the other is told calmly", async () => {
    const p = await team();
    await card(p.alice, "alice").getByTestId("status-picker").selectOption("away:Break");
    await expect.poll(() => card(p.bob, "alice").getAttribute("data-state")).toBe("unavailable");
    const { callSid } = await placeCall();
    await pressAtOnce(ring(p.bob, "bob").getByTestId("answer"), ring(p.carol, "carol").getByTestId("answer"));
    const hangups = async () => (await card(p.bob, "bob").getByTestId("hangup").count()) + (await card(p.carol, "carol").getByTestId("hangup").count());
    await expect.poll(hangups).toBe(1);
    const winner: Who = (await card(p.bob, "bob").getByTestId("hangup").count()) ? "bob" : "carol";
    const loser: Who = winner === "bob" ? "carol" : "bob";
    await connected(p, winner, callSid);
    await p[loser].getByTestId("notice").filter({ hasText: `Answered by ${NAMES[winner]}` }).waitFor();
    await expect(p[loser].locator(".notice.problem").count()).resolves.toBe(0);
    expect(await card(p[loser], loser).getAttribute("data-state")).toBe("available");
    // The loser's claim was refused before any phone moved: one leg only, the winner's.
    expect(await legsFor(callSid)).toEqual([`${winner} in-progress`]);
    await shoot("race", p);
    await endCall(p[winner]);
  });

  it("one declines, the others are still rung (one fewer), and another answers", async () => {
    const p = await team();
    await card(p.carol, "carol").getByTestId("status-picker").selectOption("away:Break");
    await expect.poll(() => card(p.alice, "carol").getAttribute("data-state")).toBe("unavailable");
    const { callSid, from } = await placeCall();
    await ring(p.alice, "alice").getByTestId("answer").waitFor();
    await ringingCount(p, from, 2);
    await ring(p.alice, "alice").getByTestId("decline").click();
    // Declined: Alice's ring stops, on every console; Bob's goes on, and the call rings one agent.
    await expect.poll(() => ring(p.alice, "alice").count()).toBe(0);
    for (const who of AGENTS) {
      await expect.poll(() => card(p[who], "alice").getAttribute("data-state")).toBe("available");
      await expect.poll(() => card(p[who], "bob").getAttribute("data-state")).toBe("ringing");
    }
    await ringingCount(p, from, 1);
    expect(await waitingRow(p.alice, from).getByTestId("ringing-count").textContent()).toBe("ringing 1 agent");
    await ring(p.bob, "bob").getByTestId("answer").click();
    await connected(p, "bob", callSid);
    // Declining placed no leg: there was none to refuse.
    expect(await legsFor(callSid)).toEqual(["bob in-progress"]);
    await shoot("declined-then-answered", p);
    await endCall(p.bob);
  });

  it("all decline: the caller leaves a voicemail, listed and playable in every console", async () => {
    const p = await team();
    const { callSid, from } = await placeCall({ speed: 20, message: 4 });
    for (const who of AGENTS) {
      await ring(p[who], who).getByTestId("answer").waitFor();
      await ring(p[who], who).getByTestId("decline").click();
      await expect.poll(() => ring(p[who], who).count()).toBe(0);
    }
    const item = p.alice.getByTestId("voicemail-item").filter({ hasText: from });
    await item.waitFor({ timeout: 30_000 });
    await item.getByText(/simulated transcription/).waitFor({ timeout: 30_000 });
    const duration = await item.locator("audio").evaluate(
      (a: HTMLAudioElement) =>
        new Promise<number>((resolve, reject) => {
          if (a.readyState >= 1) return resolve(a.duration);
          a.addEventListener("loadedmetadata", () => resolve(a.duration));
          a.addEventListener("error", () => reject(new Error("audio failed to load")));
          a.load();
        }),
    );
    expect(duration).toBeGreaterThan(3);
    for (const who of AGENTS) await p[who].getByTestId("history-item").filter({ hasText: from }).filter({ hasText: "Voicemail" }).waitFor();
    await p.carol.getByTestId("voicemail-item").filter({ hasText: from }).waitFor();
    // Nobody's phone ever joined the caller.
    expect(await legsFor(callSid)).toEqual([]);
    await shoot("voicemail", p);
  });

  it("does not ring an unavailable agent", async () => {
    const p = await team();
    await card(p.carol, "carol").getByTestId("status-picker").selectOption("away:Break");
    await expect.poll(() => card(p.alice, "carol").getAttribute("data-state")).toBe("unavailable");
    const { callSid, from } = await placeCall();
    await ring(p.alice, "alice").getByTestId("answer").waitFor();
    await ring(p.bob, "bob").getByTestId("answer").waitFor();
    await ringingCount(p, from, 2);
    expect(await ring(p.carol, "carol").count()).toBe(0);
    expect(await card(p.carol, "carol").getAttribute("data-state")).toBe("unavailable");
    await shoot("unavailable-not-rung", p);
    await ring(p.alice, "alice").getByTestId("answer").click();
    await connected(p, "alice", callSid);
    await endCall(p.alice);
  });

  it("a console whose phone is not ready says why and is not rung; once the phone is back, the waiting caller rings it too", async () => {
    // Carol's simulated phone cannot reach the carrier: its socket is refused.
    const phone = new Cable({ down: true });
    const p = await team({ carol: { phone } });
    await p.carol.getByTestId("phone-banner").filter({ hasText: "Your phone is not ready, so calls will not ring here" }).waitFor();
    for (const who of ["alice", "bob"] as const) {
      await card(p[who], "carol").getByTestId("card-phone").filter({ hasText: "Phone not ready: not rung" }).waitFor();
      expect(await p[who].getByTestId("phone-banner").count()).toBe(0);
    }
    const { callSid, from } = await placeCall();
    await ring(p.alice, "alice").getByTestId("answer").waitFor();
    await ring(p.bob, "bob").getByTestId("answer").waitFor();
    await ringingCount(p, from, 2);
    // Carol sees the caller waiting, but nothing rings her.
    expect(await ring(p.carol, "carol").count()).toBe(0);
    for (const who of AGENTS) expect(await card(p[who], "carol").getAttribute("data-state")).toBe("available");
    await shoot("phone-not-ready", p);

    // The phone's network comes back and Carol presses "Try again": the caller rings her as well.
    phone.restore();
    await p.carol.getByTestId("phone-retry").click();
    await p.carol.getByTestId("phone-banner").waitFor({ state: "detached" });
    for (const who of ["alice", "bob"] as const) await card(p[who], "carol").getByTestId("card-phone").waitFor({ state: "detached" });
    await ring(p.carol, "carol").getByTestId("answer").waitFor();
    await ringingCount(p, from, 3);
    await ring(p.carol, "carol").getByTestId("answer").click();
    await connected(p, "carol", callSid);
    await endCall(p.carol);
  });

  it("three callers and two free agents: Answer and Alt+Shift+A take the oldest first; the third waits in line until an agent is free", async () => {
    const p = await team();
    await card(p.carol, "carol").getByTestId("status-picker").selectOption("away:Break");
    await expect.poll(() => card(p.alice, "carol").getAttribute("data-state")).toBe("unavailable");
    // One after the other, each seen ringing before the next calls: their order is known.
    const callers: { callSid: string; from: string }[] = [];
    for (let i = 0; i < 3; i++) {
      const call = await placeCall();
      callers.push(call);
      for (const who of ["alice", "bob"] as const) await ring(p[who], who).filter({ hasText: call.from }).waitFor();
    }
    const [first, second, third] = callers as [(typeof callers)[0], (typeof callers)[0], (typeof callers)[0]];
    const froms = callers.map((c) => c.from);
    for (const who of AGENTS) {
      // Every console lists the three waiting callers oldest first, each with its wait and its count.
      await expect.poll(() => p[who].getByTestId("waiting-call").evaluateAll((rows) => rows.map((r) => r.querySelector("strong")?.textContent))).toEqual(froms);
      for (const from of froms) {
        await expect.poll(() => waitingRow(p[who], from).getByTestId("ringing-count").textContent()).toBe("ringing 2 agents");
        expect(await waitingRow(p[who], from).getByTestId("wait-time").textContent()).toMatch(CLOCK);
      }
    }
    // The agents' cards ring oldest first.
    for (const who of ["alice", "bob"] as const) {
      expect(await ring(p[who], who).getByTestId("caller").allTextContents()).toEqual(froms);
      for (const n of await ring(p[who], who).getByTestId("ringing-count").allTextContents()) expect(n).toBe("ringing 2 agents");
    }
    await shoot("three-waiting", p);

    // Alice answers from the keyboard: the caller who waited longest.
    await p.alice.keyboard.press("Alt+Shift+A");
    await connected(p, "alice", first.callSid);
    // Bob's first Answer is now the second caller's.
    await expect.poll(() => ring(p.bob, "bob").getByTestId("caller").allTextContents()).toEqual([second.from, third.from]);
    await ring(p.bob, "bob").first().getByTestId("answer").click();
    await connected(p, "bob", second.callSid);
    // Nobody is free: the third caller waits in line, and every console says so.
    await ringingCount(p, third.from, 0);
    for (const who of AGENTS) {
      await expect.poll(() => waitingRow(p[who], third.from).getByTestId("ringing-count").textContent()).toBe("waiting in line: every agent is busy");
      expect(await waitingRow(p[who], third.from).getByTestId("wait-time").textContent()).toMatch(CLOCK);
    }
    await shoot("third-in-line", p);

    // Alice is free again: the third caller rings her, and she takes it.
    await endCall(p.alice);
    await ring(p.alice, "alice").filter({ hasText: third.from }).waitFor();
    await ringingCount(p, third.from, 1);
    await p.alice.keyboard.press("Alt+Shift+A");
    await connected(p, "alice", third.callSid);
    await endCall(p.alice);
    await endCall(p.bob);
  });

  it("answers and declines from the keyboard alone, and mutes (at the carrier too)", async () => {
    const p = await team();
    await card(p.carol, "carol").getByTestId("status-picker").selectOption("away:Break");
    await expect.poll(() => card(p.bob, "carol").getAttribute("data-state")).toBe("unavailable");
    const { callSid } = await placeCall();
    await ring(p.alice, "alice").getByTestId("answer").waitFor();
    await ring(p.bob, "bob").getByTestId("answer").waitFor();
    await p.alice.keyboard.press("Alt+Shift+D");
    await expect.poll(() => ring(p.alice, "alice").count()).toBe(0);
    // Tab reaches the Answer button; Enter presses it.
    const answer = ring(p.bob, "bob").getByTestId("answer");
    for (let i = 0; i < 20 && !(await answer.evaluate((el) => el === document.activeElement)); i++) await p.bob.keyboard.press("Tab");
    await p.bob.keyboard.press("Enter");
    // Mute as soon as the call shows on the card, which may be before the phone has joined.
    await card(p.bob, "bob").getByTestId("mute").click();
    await expect(card(p.bob, "bob").getByTestId("mute").getAttribute("aria-pressed")).resolves.toBe("true");
    await connected(p, "bob", callSid);
    await expect.poll(async () => (await bridgedWith(callSid)).map((a) => `${a.identity} muted=${a.muted}`)).toEqual(["bob muted=true"]);
    expect(await card(p.bob, "bob").getByTestId("mute").getAttribute("aria-pressed")).toBe("true");
    await card(p.bob, "bob").getByTestId("mute").click();
    await expect.poll(async () => (await bridgedWith(callSid)).map((a) => `${a.identity} muted=${a.muted}`)).toEqual(["bob muted=false"]);
    await endCall(p.bob);
  });

  it("an agent's phone that drops mid-call (its socket closed) gives the caller back: the others are rung to reconnect them", async () => {
    const phone = new Cable();
    const p = await team({ alice: { phone } });
    const { callSid, from } = await placeCall();
    await ring(p.alice, "alice").getByTestId("answer").click();
    await connected(p, "alice", callSid);

    phone.cut();
    // Alice's console says her phone is gone, and she is not rung while it is.
    await p.alice.getByTestId("phone-banner").waitFor();
    for (const who of ["bob", "carol"] as const) {
      const again = ring(p[who], who).and(p[who].locator("[data-purpose=reconnect]"));
      await again.getByText("Reconnecting caller (their agent's line dropped)").waitFor();
      expect(await again.getByTestId("caller").textContent()).toBe(from);
      await card(p[who], "alice").getByTestId("card-phone").waitFor();
    }
    await ringingCount(p, from, 2);
    for (const who of AGENTS) {
      await expect.poll(() => waitingRow(p[who], from).getByTestId("ringing-count").textContent()).toBe("reconnecting caller, ringing 2 agents");
      await expect.poll(() => card(p[who], "alice").getAttribute("data-state")).toBe("available");
    }
    expect(await ring(p.alice, "alice").count()).toBe(0);
    await expect.poll(() => talkingTo(callSid)).toEqual([]);
    await shoot("reconnect-ringing", p);

    await ring(p.carol, "carol").getByTestId("answer").click();
    await connected(p, "carol", callSid);
    await p.bob.getByTestId("notice").filter({ hasText: "Answered by Carol Clark" }).waitFor();
    await endCall(p.carol);
    await expect.poll(async () => (await carrierCall(callSid)).status).toBe("completed");
  });

  it("an agent's leg the carrier drops mid-call gives the caller back: the others are rung to reconnect them", async () => {
    const p = await team();
    const { callSid, from } = await placeCall();
    await ring(p.bob, "bob").getByTestId("answer").click();
    await connected(p, "bob", callSid);
    const [leg] = await bridgedWith(callSid);
    // The leg ends at the carrier (Bob's network lost the media), not by Hang up.
    await fetch(`${baseUrl}/sim/calls/${leg!.legSid}/hangup`, { method: "POST" });
    for (const who of ["alice", "carol"] as const) {
      const again = ring(p[who], who).and(p[who].locator("[data-purpose=reconnect]"));
      await again.getByText("Reconnecting caller (their agent's line dropped)").waitFor();
      expect(await again.getByTestId("caller").textContent()).toBe(from);
    }
    for (const who of AGENTS) await expect.poll(() => waitingRow(p[who], from).getByTestId("ringing-count").textContent()).toMatch(/^reconnecting caller, ringing \d agents?$/);
    await expect.poll(() => card(p.bob, "bob").getByTestId("active-call").count()).toBe(0);
    await ring(p.alice, "alice").getByTestId("answer").click();
    await connected(p, "alice", callSid);
    for (const who of ["bob", "carol"] as const) await expect.poll(() => ring(p[who], who).count()).toBe(0);
    await endCall(p.alice);
  });

  it("signs out, and an expired session brings the sign-in page back rather than a broken board", async () => {
    const alice = await signIn("alice");
    await alice.getByRole("button", { name: "Sign out" }).click();
    await alice.getByRole("button", { name: "Sign in" }).waitFor();
    const bob = await signIn("bob");
    await bob.context().clearCookies(); // as if the session expired
    // The console's next request finds the session gone: Bob's status picker, changed at once if the board is
    // still there (the phone's readiness report, sent again when the board's snapshot comes after the
    // phone registered, may have found out first).
    await bob.evaluate(() => {
      const picker = document.querySelector<HTMLSelectElement>("[data-testid=agent-card-bob] [data-testid=status-picker]");
      if (!picker) return;
      picker.value = "away:Break";
      picker.dispatchEvent(new Event("change", { bubbles: true }));
    });
    await bob.getByRole("button", { name: "Sign in" }).waitFor();
    expect(await bob.getByTestId("connection-status").count()).toBe(0);
    await expect(bob.locator(".notice.problem").count()).resolves.toBe(0);
  });

  it("a console that lost its connection shows the truth after reconnecting, with no ghost ring", async () => {
    const board = new Cable();
    const { alice, bob, carol } = await team({ carol: { board } });
    const { callSid } = await placeCall();
    await ring(carol, "carol").getByTestId("answer").waitFor();
    board.cut();
    await carol.getByTestId("connection-status").filter({ hasText: "Offline" }).waitFor();
    await shoot("offline", { carol });
    await ring(alice, "alice").getByTestId("answer").click();
    await connected({ alice, bob }, "alice", callSid);
    // Still offline, Carol's board cannot know yet; once reconnected it must show the truth.
    board.restore();
    await carol.getByTestId("connection-status").filter({ hasText: "Connected" }).waitFor({ timeout: 30_000 });
    await expect.poll(() => card(carol, "alice").getAttribute("data-state")).toBe("on-call");
    expect(await ring(carol, "carol").count()).toBe(0);
    await shoot("reconnected", { carol, bob });
    await endCall(alice);
  });
});
