// The README's picture of the board in use (docs/images/board-in-use.png), staged on the simulator
// with the same consoles and callers as the other browser tests: Bob talking to a recorded caller, a
// new caller ringing Alice and Carol, a call Carol parked, Ada away at lunch, a note on an earlier
// call, a voicemail nobody has handled yet. The staged moment is asserted on every run; the image is
// written only with SCREENSHOTS=1 (else it goes to test-results/screenshots/ like the others):
//   SCREENSHOTS=1 npx vitest run -c vitest.web.config.ts test/web/readme-screenshot-e2e.test.ts
// (run alone, on a fresh server, the history and the inbox hold only what this test staged).
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { AGENTS, baseUrl, card, endCall, placeCall, setRecording, shoot, signIn, talkingTo, team, useChromium, waitingRow } from "./team";

const IMAGE = "docs/images/board-in-use.png";
const SIZE = { width: 1440, height: 900 };
/** Fixed callers (random ones are below +15559000000), so that the picture is the same every time. */
const LUNCH = /^Away · Lunch · \d+ min$/;
const CALLERS = { noted: "+15559201234", voicemail: "+15559304417", talking: "+15559415560", parked: "+15559527781", ringing: "+15559638802" };

/** Ada Admin's card (card() knows the three agents only). */
const adaCard = (page: Page) => page.getByTestId("agent-card-admin");

describe.skipIf(!baseUrl)("the README's screenshot", () => {
  useChromium();

  it("stages the board in use: a call talking, one ringing, one parked, an agent at lunch, a note, a voicemail", async () => {
    const p = await team();
    const admin = await signIn("admin");
    await p.alice.setViewportSize(SIZE);
    const history = (page: Page, from: string) => page.getByTestId("history-item").filter({ hasText: from });
    try {
      // Ada (the admin) is at lunch: online, so her card shows it.
      await adaCard(admin).getByTestId("status-picker").selectOption("away:Lunch");
      await expect.poll(() => adaCard(p.alice).getByTestId("card-status").textContent()).toMatch(LUNCH);

      // A caller everyone declined: a voicemail in the inbox.
      await placeCall({ from: CALLERS.voicemail, speed: 20, message: 3 });
      for (const who of AGENTS) {
        await card(p[who], who).getByTestId("ring").getByTestId("decline").click();
        await card(p[who], who).getByTestId("ring").waitFor({ state: "detached" });
      }
      await p.alice.getByTestId("voicemail-item").filter({ hasText: CALLERS.voicemail }).waitFor({ timeout: 30_000 });

      // An earlier call: Alice answered it and wrote a note.
      const noted = await placeCall({ from: CALLERS.noted });
      await card(p.alice, "alice").getByTestId("ring").getByTestId("answer").click();
      await expect.poll(() => talkingTo(noted.callSid)).toEqual(["alice"]);
      const editor = card(p.alice, "alice").getByTestId("note-editor");
      await editor.getByLabel("Note").fill("Wants a refund for order 1234; sending the form by e-mail");
      await editor.getByLabel("Outcome").selectOption("Follow-up");
      await editor.getByRole("button", { name: "Save note" }).click();
      await editor.getByRole("status").filter({ hasText: "Saved" }).waitFor();
      await endCall(p.alice);
      await card(p.alice, "alice").getByTestId("wrap-up-ready").click();
      await card(p.alice, "alice").getByTestId("wrap-up").waitFor({ state: "detached" });

      // Bob talks to a caller, recorded (only calls that begin while recording is on are).
      expect(await setRecording(admin, { enabled: true, announcement: "This call is recorded so that we can train our team." })).toBe(200);
      const talking = await placeCall({ from: CALLERS.talking, speed: 20 });
      await card(p.bob, "bob").getByTestId("ring").getByTestId("answer").click();
      await expect.poll(() => talkingTo(talking.callSid)).toEqual(["bob"]);
      expect(await setRecording(admin, { enabled: false, announcement: "This call may be recorded for quality and training." })).toBe(200);

      // Carol takes the next caller and parks them (they come back after PARK_TIMEOUT_SECONDS: the
      // rest is quick).
      await placeCall({ from: CALLERS.parked });
      await card(p.carol, "carol").getByTestId("ring").filter({ hasText: CALLERS.parked }).getByTestId("answer").click();
      await card(p.carol, "carol").getByTestId("active-call").filter({ hasText: "Talking to" }).waitFor();
      await card(p.carol, "carol").getByTestId("park").click();

      // And a new caller rings the two who are free.
      await placeCall({ from: CALLERS.ringing });

      // The moment, as Alice's console shows it.
      const alice = p.alice;
      await card(alice, "alice").getByTestId("ring").filter({ hasText: CALLERS.ringing }).waitFor();
      await card(alice, "carol").and(alice.locator("[data-state=ringing]")).waitFor();
      await expect.poll(() => waitingRow(alice, CALLERS.ringing).getByTestId("ringing-count").getAttribute("data-count")).toBe("2");
      const bob = card(alice, "bob");
      await bob.and(alice.locator("[data-state=on-call]")).waitFor();
      await bob.getByTestId("active-call").filter({ hasText: CALLERS.talking }).getByTestId("recorded-mark").waitFor();
      await alice.getByTestId("parking-lot").getByTestId("parked-call").filter({ hasText: CALLERS.parked }).and(alice.locator("[data-phase=parked]")).waitFor();
      expect(await adaCard(alice).getByTestId("card-status").textContent()).toMatch(LUNCH);
      await expect.poll(() => history(alice, CALLERS.noted).getByTestId("note-text").textContent()).toBe("Wants a refund for order 1234; sending the form by e-mail");
      await history(alice, CALLERS.voicemail).filter({ hasText: "Voicemail" }).waitFor();
      expect(Number(await alice.getByTestId("inbox-count").getAttribute("data-count"))).toBeGreaterThanOrEqual(1);

      // A few seconds into the ring, as in a real moment (the wait's clock on the page says when):
      // the parked caller is back only after PARK_TIMEOUT_SECONDS.
      await expect.poll(() => waitingRow(alice, CALLERS.ringing).textContent(), { timeout: 20_000 }).toMatch(/waiting 0:(0[4-9]|[1-5]\d)/);
      // Alice looks at her own voicemails (none): the inbox's "New (1)" and the header's count say
      // one is waiting, and the history with her note fits on the screen too.
      await alice.getByTestId("inbox-tab-mine").click();
      // The passing notices ("Answered by …", "New voicemail …") would cover part of the board.
      const notices = alice.getByTestId("notice");
      for (let i = 0; i < 10 && (await notices.count()) > 0; i++) await notices.first().getByRole("button", { name: "Dismiss" }).click({ timeout: 2000 }).catch(() => undefined);
      await alice.mouse.move(0, 0);
      if (process.env.SCREENSHOTS) await alice.screenshot({ path: IMAGE });
      else await shoot("board-in-use", { alice });
    } finally {
      expect(await setRecording(admin, { enabled: false, announcement: "This call may be recorded for quality and training." })).toBe(200);
    }
  });
});
