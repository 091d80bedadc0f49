// Parking, retrieval and transfers in a real Chromium: three agents, calls from the simulator, the
// platform's own drag-and-drop and the keyboard alternatives. The lobby model: a parked caller waits
// alone at the carrier on hold music; a retrieve is a claim on the parked call, won by one agent
// whose phone then connects with the ticket (nothing rings); a transfer rings its target's console.
// Who is talking to the caller is checked at the carrier as well as on the screens.
import type { Locator, Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { PARK_SLOTS, PARK_TIMEOUT_SECONDS } from "./server";
import { AGENTS, baseUrl, callerHangsUp, card, carrierCall, endCall, legsFor, NAMES, placeCall, pressAtOnce, shoot, talkingTo, team, useChromium, type Who } from "./team";

const lot = (page: Page) => page.getByTestId("parking-lot");
const parked = (page: Page, callSid: string) => lot(page).locator(`[data-testid=parked-call][data-call-sid="${callSid}"]`);

/** A call rings everyone and `who` answers it: connected on their card and at the carrier. */
async function answered(p: Record<Who, Page>, who: Who): Promise<{ callSid: string; from: string }> {
  const call = await placeCall();
  await card(p[who], who).getByTestId("answer").click();
  await card(p[who], who).getByTestId("hangup").waitFor();
  // Connected, not just claimed: only a connected call can be parked or transferred.
  await card(p[who], who).getByTestId("active-call").filter({ hasText: "Talking to" }).waitFor();
  for (const w of AGENTS) await expect.poll(() => card(p[w], w).getAttribute("data-state")).toBe(w === who ? "on-call" : "available");
  await expect.poll(() => talkingTo(call.callSid)).toEqual([who]);
  return call;
}

/**
 * Every console shows `callSid` in the lot, in `slot`, with its caller and who parked it; at the
 * carrier the caller is alone, on hold music. `holdWithin`: how long the hold music may take to start.
 */
async function inEveryLot(p: Record<Who, Page>, call: { callSid: string; from: string }, slot: number, parkedBy: Who, holdWithin?: number): Promise<void> {
  for (const w of AGENTS) {
    const row = parked(p[w], call.callSid);
    await row.and(p[w].locator("[data-phase=parked]")).waitFor();
    expect(await row.getAttribute("data-slot")).toBe(String(slot));
    expect(await row.getByTestId("caller").textContent()).toBe(call.from);
    expect(await row.textContent()).toContain(NAMES[parkedBy]);
    await expect.poll(() => row.getByTestId("park-wait").textContent()).toMatch(/^\d+:\d\d$/);
    await expect.poll(() => row.getByTestId("park-countdown").textContent()).toMatch(/^\d+:\d\d$/);
  }
  // At the carrier the caller is alone again, on hold music: the parker's leg has left.
  await expect.poll(async () => (await carrierCall(call.callSid)).hears, holdWithin ? { timeout: holdWithin } : {}).toBe("hold-music");
  expect(await talkingTo(call.callSid)).toEqual([]);
}

async function moveOnto(page: Page, target: Locator): Promise<void> {
  const box = (await target.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 5 });
}

async function lotEmptyEverywhere(p: Record<Who, Page>): Promise<void> {
  for (const w of AGENTS) {
    await lot(p[w]).getByText("Parking lot is empty").waitFor();
    expect(await lot(p[w]).getByTestId("parked-call").count()).toBe(0);
  }
}

/** `who` is connected to the caller on every console and at the carrier, and their own console has the call's controls. */
async function connectedTo(p: Record<Who, Page>, who: Who, callSid: string): Promise<void> {
  await card(p[who], who).locator(`[data-testid=active-call][data-call-sid="${callSid}"]`).filter({ hasText: "Talking to" }).waitFor();
  await card(p[who], who).getByTestId("hangup").waitFor();
  for (const w of AGENTS) await expect.poll(() => card(p[w], who).getAttribute("data-state")).toBe("on-call");
  await expect.poll(() => talkingTo(callSid)).toEqual([who]);
}

describe.skipIf(!baseUrl)("parking, retrieval and transfers in Chromium", () => {
  useChromium();

  it("A drags her call onto the lot; every console shows it; B drags it onto his own card and is connected", async () => {
    const p = await team();
    await lotEmptyEverywhere(p);
    const call = await answered(p, "alice");
    await card(p.alice, "alice").getByTestId("active-call").dragTo(lot(p.alice));
    await inEveryLot(p, call, 1, "alice");
    // Alice is free as soon as the call is parked, on every console.
    for (const w of AGENTS) await expect.poll(() => card(p[w], "alice").getAttribute("data-state")).toBe("available");
    await shoot("parked", p);

    await parked(p.bob, call.callSid).dragTo(card(p.bob, "bob"));
    // The retrieve is Bob's claim on the parked call: won, his phone connects with its ticket. Nothing
    // rings anywhere, and there is no Answer to press.
    await connectedTo(p, "bob", call.callSid);
    for (const w of AGENTS) expect(await card(p[w], w).getByTestId("ring").count()).toBe(0);
    expect((await legsFor(call.callSid)).sort()).toEqual(["alice completed", "bob in-progress"]);
    await lotEmptyEverywhere(p);
    await expect(p.bob.locator(".notice.problem").count()).resolves.toBe(0);
    await shoot("retrieved", p);
    await endCall(p.bob);
    for (const w of AGENTS) await expect.poll(() => card(p[w], "bob").getAttribute("data-state")).toBe("available");
  });

  it("B and C press Retrieve in the same instant: exactly one gets the caller, the other is told calmly", async () => {
    const p = await team();
    const call = await answered(p, "alice");
    await card(p.alice, "alice").getByTestId("park").click();
    await inEveryLot(p, call, 1, "alice");
    const retrieveB = parked(p.bob, call.callSid).getByTestId("retrieve");
    const retrieveC = parked(p.carol, call.callSid).getByTestId("retrieve");
    await pressAtOnce(retrieveB, retrieveC);
    const connected = async () => (await card(p.bob, "bob").getByTestId("hangup").count()) + (await card(p.carol, "carol").getByTestId("hangup").count());
    await expect.poll(connected).toBe(1);
    const winner: Who = (await card(p.bob, "bob").getByTestId("hangup").count()) ? "bob" : "carol";
    const loser: Who = winner === "bob" ? "carol" : "bob";
    await connectedTo(p, winner, call.callSid);
    await p[loser].getByTestId("notice").filter({ hasText: `Retrieved by ${NAMES[winner]}` }).waitFor();
    await expect(p[loser].locator(".notice.problem").count()).resolves.toBe(0);
    expect(await card(p[loser], loser).getAttribute("data-state")).toBe("available");
    // Only the winner's phone moved: the loser's retrieve was refused before any leg was placed.
    expect((await legsFor(call.callSid)).sort()).toEqual(["alice completed", `${winner} in-progress`]);
    await lotEmptyEverywhere(p);
    await shoot("retrieve-race", p);
    await endCall(p[winner]);
  });

  it("parks, retrieves and transfers from the keyboard alone", async () => {
    const p = await team();
    const call = await answered(p, "alice");
    // The Park button, reached and pressed from the keyboard.
    await card(p.alice, "alice").getByTestId("park").focus();
    await p.alice.keyboard.press("Enter");
    await inEveryLot(p, call, 1, "alice");
    // Carol retrieves with the Retrieve button, pressed from the keyboard.
    const retrieve = parked(p.carol, call.callSid).getByTestId("retrieve");
    await retrieve.focus();
    await p.carol.keyboard.press("Enter");
    await connectedTo(p, "carol", call.callSid);
    await lotEmptyEverywhere(p);
    // And the shortcuts: Alt+Shift+P parks Carol's call, Alt+Shift+R brings it back to Bob.
    await p.carol.keyboard.press("Alt+Shift+P");
    await inEveryLot(p, call, 1, "carol");
    await p.bob.keyboard.press("Alt+Shift+R");
    await connectedTo(p, "bob", call.callSid);
    await lotEmptyEverywhere(p);
    // Bob hands the caller to Alice: the colleague chosen in the list, Transfer pressed with Enter;
    // Alice takes it with Alt+Shift+A.
    await card(p.bob, "bob").getByTestId("transfer-select").focus();
    await card(p.bob, "bob").getByTestId("transfer-select").selectOption("alice");
    await card(p.bob, "bob").getByTestId("transfer").focus();
    await p.bob.keyboard.press("Enter");
    await card(p.alice, "alice").getByTestId("ring").getByText("Transfer from Bob Brown").waitFor();
    await p.alice.keyboard.press("Alt+Shift+A");
    await connectedTo(p, "alice", call.callSid);
    await lotEmptyEverywhere(p);
    await endCall(p.alice);
  });

  it("A drags her call onto C's card: C's ring says who it is from, C answers, A is free", async () => {
    const p = await team();
    const call = await answered(p, "alice");
    // Bob is not free (he is unavailable): his card refuses the drop, Carol's accepts it.
    await card(p.bob, "bob").getByTestId("status-picker").selectOption("away:Break");
    await expect.poll(() => card(p.alice, "bob").getAttribute("data-state")).toBe("unavailable");
    // Picked up, the call outlines where it may land: Carol's card and the lot, not Bob's.
    await card(p.alice, "alice").getByTestId("active-call").hover();
    await p.alice.mouse.down();
    await moveOnto(p.alice, card(p.alice, "bob"));
    await card(p.alice, "carol").and(p.alice.locator(".drop-ok")).waitFor();
    await lot(p.alice).and(p.alice.locator(".drop-ok")).waitFor();
    expect(await card(p.alice, "bob").getAttribute("class")).not.toMatch(/drop-/);
    await moveOnto(p.alice, card(p.alice, "carol"));
    await card(p.alice, "carol").and(p.alice.locator(".drop-over")).waitFor();
    await shoot("transfer-dragging", { alice: p.alice });
    await p.alice.mouse.up();

    const ring = card(p.carol, "carol").getByTestId("ring");
    await ring.getByText("Transfer from Alice Adams").waitFor();
    expect(await ring.getByTestId("caller").textContent()).toBe(call.from);
    // Every console sees it ring Carol alone, and Alice free at once.
    for (const w of AGENTS) {
      await expect.poll(() => card(p[w], "carol").getAttribute("data-state")).toBe("ringing");
      await expect.poll(() => card(p[w], "alice").getAttribute("data-state")).toBe("available");
    }
    expect(await card(p.alice, "alice").getByTestId("ring").count()).toBe(0);
    await shoot("transfer-ringing", p);
    await ring.getByTestId("answer").click();
    await connectedTo(p, "carol", call.callSid);
    await lotEmptyEverywhere(p);
    await shoot("transferred", p);
    await endCall(p.carol);
  });

  it("A drags her call onto C's card and C declines: A is told, and the caller waits in the lot", async () => {
    const p = await team();
    const call = await answered(p, "alice");
    await card(p.alice, "alice").getByTestId("active-call").dragTo(card(p.alice, "carol"));
    const ring = card(p.carol, "carol").getByTestId("ring");
    await ring.getByText("Transfer from Alice Adams").waitFor();
    await ring.getByTestId("decline").click();
    await p.alice.getByTestId("notice").filter({ hasText: "Carol Clark did not take the transfer: the caller is in parking slot 1" }).waitFor();
    // Back in the lot, the caller is not moved by the product: the hold music starts at the wait
    // URL's next loop, once the ringback playing now ends (5 s in the simulator; on Twilio the
    // length of ringback.wav, 18 s). Reported to the lead: the caller hears "ringing" meanwhile.
    await inEveryLot(p, call, 1, "alice", 15_000);
    expect(await card(p.carol, "carol").getByTestId("ring").count()).toBe(0);
    await shoot("transfer-declined", p);
    // Alice takes her caller back.
    await parked(p.alice, call.callSid).getByTestId("retrieve").click();
    await connectedTo(p, "alice", call.callSid);
    await endCall(p.alice);
  });

  it("a parked caller who hangs up leaves every lot, and the history says so", async () => {
    const p = await team();
    const call = await answered(p, "bob");
    await card(p.bob, "bob").getByTestId("park").click();
    await inEveryLot(p, call, 1, "bob");
    await callerHangsUp(call.callSid);
    await lotEmptyEverywhere(p);
    for (const w of AGENTS) {
      await p[w].locator(`[data-testid=history-item][data-outcome=abandoned]`).filter({ hasText: call.from }).getByText("Abandoned while parked").waitFor();
    }
    await shoot("parked-abandoned", p);
  });

  it("a parked call nobody retrieves comes back to the agent who parked it, and rings there until answered", async () => {
    const p = await team();
    const call = await answered(p, "alice");
    await card(p.alice, "alice").getByTestId("park").click();
    await inEveryLot(p, call, 1, "alice");
    const countdown = await parked(p.bob, call.callSid).getByTestId("park-countdown").textContent();
    expect(seconds(countdown!)).toBeLessThanOrEqual(PARK_TIMEOUT_SECONDS);
    const ring = card(p.alice, "alice").getByTestId("ring");
    await ring.getByText("Parked call returning (parked by Alice Adams)").waitFor({ timeout: (PARK_TIMEOUT_SECONDS + 15) * 1000 });
    // Alice is available, so the call rings her alone; every lot shows it on its way back.
    for (const w of AGENTS) {
      await expect.poll(() => card(p[w], "alice").getAttribute("data-state")).toBe("ringing");
      for (const other of ["bob", "carol"] as const) expect(await card(p[w], other).getAttribute("data-state")).toBe("available");
      await parked(p[w], call.callSid).getByText("Ringing Alice Adams again").waitFor();
    }
    await shoot("recalled", p);
    await ring.getByTestId("answer").click();
    await connectedTo(p, "alice", call.callSid);
    await lotEmptyEverywhere(p);
    await endCall(p.alice);
  });

  it(`a full lot (${PARK_SLOTS} slots here) refuses the next park: the call stays with the agent, who is told why`, async () => {
    const p = await team();
    const parkers: Who[] = ["alice", "bob"];
    for (const [i, who] of parkers.entries()) {
      const call = await answered(p, who);
      await card(p[who], who).getByTestId("park").click();
      await inEveryLot(p, call, i + 1, who);
    }
    for (const w of AGENTS) expect(await lot(p[w]).getByTestId("parked-call").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-slot")))).toEqual(["1", "2"]);
    const call = await answered(p, "carol");
    await card(p.carol, "carol").getByTestId("park").click();
    await p.carol.locator(".notice.problem").filter({ hasText: "Could not park the call" }).waitFor();
    // Still Carol's call, still connected, and still only two calls in the lot.
    await connectedTo(p, "carol", call.callSid);
    expect(await lot(p.carol).getByTestId("parked-call").count()).toBe(2);
    await shoot("lot-full", { carol: p.carol });
    await endCall(p.carol);
  });
});

/** "m:ss" → seconds. */
const seconds = (clock: string) => {
  const [m, s] = clock.split(":").map(Number);
  return m! * 60 + s!;
};
