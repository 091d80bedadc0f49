// Auto-pause in Chromium: an agent who lets AUTO_PAUSE_AFTER (3) rings in a row run out is set Away,
// "Missed 3 calls", on every console, and their own console says so; a ring stopped because a
// colleague answered does not count. The "short-ring" project's server (short-ring-server.ts) lets a
// ring run out after RING_TIMEOUT_SECONDS, in real time: the tests wait on what the consoles show.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { AUTO_PAUSE_AFTER, RING_TIMEOUT_SECONDS } from "./short-ring-server";
import { baseUrl, card, endCall, NAMES, placeCall, shoot, signIn, talkingTo, useChromium, waitingRow } from "./team";

const PAIR = ["alice", "bob"] as const;
type Pair = Record<(typeof PAIR)[number], Page>;
const PAUSED = `Missed ${AUTO_PAUSE_AFTER} calls`;
/** A ring's wait, with room for the carrier's callbacks and the consoles on a busy machine. */
const RUNS_OUT = RING_TIMEOUT_SECONDS * 1000 + 20_000;

/** Alice and Bob signed in (Carol stays offline, so she is never rung), each seen available with a ready phone. */
async function aliceAndBob(): Promise<Pair> {
  const [alice, bob] = await Promise.all(PAIR.map((who) => signIn(who)));
  const p: Pair = { alice: alice!, bob: bob! };
  for (const who of PAIR) {
    const picker = card(p[who], who).getByTestId("status-picker");
    if ((await picker.inputValue()) !== "available") await picker.selectOption("available");
  }
  for (const who of PAIR) {
    for (const w of PAIR) {
      await card(p[w], who).and(p[w].locator("[data-state=available]")).waitFor();
      if (w !== who) await card(p[w], who).getByTestId("card-phone").waitFor({ state: "detached" });
    }
  }
  return p;
}

/** Alice is Available on both consoles: no status line on her card, and her picker says so. */
async function aliceAvailable(p: Pair): Promise<void> {
  expect(await card(p.alice, "alice").getByTestId("status-picker").inputValue()).toBe("available");
  for (const w of PAIR) {
    expect(await card(p[w], "alice").getAttribute("data-state")).not.toBe("unavailable");
    expect(await card(p[w], "alice").getByTestId("card-status").count()).toBe(0);
  }
  expect(await p.alice.getByTestId("notice").filter({ hasText: "missed" }).count()).toBe(0);
}

/** A caller who rings Alice alone, nobody answers, and the wait runs out: voicemail. */
async function ringsAliceOut(p: Pair, during?: () => Promise<void>): Promise<void> {
  const { from } = await placeCall({ speed: 20, message: 1 });
  const ring = card(p.alice, "alice").getByTestId("ring").filter({ hasText: from });
  await ring.waitFor();
  await expect.poll(() => waitingRow(p.bob, from).getByTestId("ringing-count").getAttribute("data-count")).toBe("1");
  // Alice was rung, so she was still available when this caller came: whatever came before did not pause her.
  await during?.();
  await ring.waitFor({ state: "detached", timeout: RUNS_OUT });
  for (const w of PAIR) await p[w].getByTestId("history-item").filter({ hasText: from }).filter({ hasText: "Voicemail" }).waitFor({ timeout: 30_000 });
}

describe.skipIf(!baseUrl)("auto-pause in the console", () => {
  useChromium();

  it(`${AUTO_PAUSE_AFTER} unanswered rings auto-pause an agent; a ring answered by a colleague does not count`, async () => {
    const p = await aliceAndBob();

    // 1. A caller rings both; Bob answers. Alice's ring stopped because of him: not a missed ring.
    const taken = await placeCall();
    for (const who of PAIR) await card(p[who], who).getByTestId("ring").waitFor();
    await card(p.bob, "bob").getByTestId("ring").getByTestId("answer").click();
    await expect.poll(() => talkingTo(taken.callSid)).toEqual(["bob"]);
    await card(p.alice, "alice").getByTestId("ring").waitFor({ state: "detached" });
    await p.alice.getByTestId("notice").filter({ hasText: `Answered by ${NAMES.bob}` }).waitFor();
    await endCall(p.bob);
    await p.alice.getByTestId("history-item").filter({ hasText: taken.from }).filter({ hasText: `Answered by ${NAMES.bob}` }).waitFor();
    await aliceAvailable(p);

    // 2. Bob goes to lunch (from his wrap-up): the next callers ring Alice alone.
    await card(p.bob, "bob").getByTestId("status-picker").selectOption("away:Lunch");
    for (const w of PAIR) await expect.poll(() => card(p[w], "bob").getAttribute("data-state")).toBe("unavailable");

    // Two run out: with the colleague-answered ring that makes three rings, two missed. Still
    // available: the third caller rings her (checked in ringsAliceOut before its wait runs out).
    await ringsAliceOut(p);
    await ringsAliceOut(p);
    await ringsAliceOut(p, async () => {
      await aliceAvailable(p);
      await shoot("auto-pause-before", { alice: p.alice });
    });

    // 3. The third in a row ran out: Alice is Away, "Missed 3 calls", on both consoles, and told why.
    // (Started together: the notice goes after NOTICE_MS, the cards do not.)
    await Promise.all([
      p.alice.getByTestId("notice").filter({ hasText: `You missed ${AUTO_PAUSE_AFTER} calls in a row and are now Away (${PAUSED})` }).waitFor(),
      ...PAIR.map((w) => card(p[w], "alice").and(p[w].locator("[data-state=unavailable]")).waitFor()),
    ]);
    for (const w of PAIR) await expect.poll(() => card(p[w], "alice").getByTestId("card-status").textContent()).toBe(`Away · ${PAUSED} · 1 min`);
    const picker = card(p.alice, "alice").getByTestId("status-picker");
    expect(await picker.inputValue()).toBe(`away:${PAUSED}`);
    await shoot("auto-paused", p);

    // Away means not rung: the next caller finds nobody available and goes to voicemail at once.
    const next = await placeCall({ speed: 20, message: 1 });
    await p.alice.getByTestId("history-item").filter({ hasText: next.from }).filter({ hasText: "Voicemail" }).waitFor({ timeout: 30_000 });
    expect(await card(p.alice, "alice").getByTestId("ring").count()).toBe(0);

    // Back to Available by hand: she rings again.
    await picker.selectOption("available");
    // Once the server has it (the card shows it), not as soon as the picker changed.
    await card(p.alice, "alice").and(p.alice.locator("[data-state=available]")).waitFor();
    const again = await placeCall();
    await card(p.alice, "alice").getByTestId("ring").filter({ hasText: again.from }).waitFor();
    for (const w of PAIR) await expect.poll(() => card(p[w], "alice").getByTestId("card-status").count()).toBe(0);
  });
});
