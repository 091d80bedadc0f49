// Notes and outcomes in Chromium: the agent who answered writes a note and picks an outcome on their
// call, and again from the history after it ended; every other console shows them in its history, live
// and after a reload.
import { describe, expect, it } from "vitest";
import { baseUrl, card, endCall, placeCall, shoot, talkingTo, team, useChromium } from "./team";

describe.skipIf(!baseUrl)("notes and outcomes in the console", () => {
  useChromium();

  it("a note and an outcome saved on one console appear on another", async () => {
    const p = await team();
    const { callSid } = await placeCall();
    await card(p.alice, "alice").getByTestId("ring").getByTestId("answer").click();
    await expect.poll(() => talkingTo(callSid)).toEqual(["alice"]);

    // During the call, on Alice's own card. Nobody else gets an editor for it.
    const editor = card(p.alice, "alice").getByTestId("note-editor");
    await editor.getByLabel("Note").fill("Wants a refund for order 1234");
    await editor.getByLabel("Outcome").selectOption("Follow-up");
    await editor.getByRole("button", { name: "Save note" }).click();
    await editor.getByRole("status").filter({ hasText: "Saved" }).waitFor();
    expect(await card(p.bob, "alice").getByTestId("note-editor").count()).toBe(0);
    await endCall(p.alice);

    // Bob's history shows it once the call ended there, with who wrote it.
    const bobsItem = p.bob.locator(`[data-testid=history-item][data-call-sid="${callSid}"]`);
    await expect.poll(() => bobsItem.getByTestId("note-text").textContent()).toBe("Wants a refund for order 1234");
    expect(await bobsItem.getByTestId("note-outcome").textContent()).toBe("Follow-up");
    expect(await bobsItem.getByTestId("call-note").textContent()).toContain("Alice Adams");
    expect(await bobsItem.getByTestId("note-toggle").count()).toBe(0);

    // Alice edits it from her history: Bob's console follows live.
    const alicesItem = p.alice.locator(`[data-testid=history-item][data-call-sid="${callSid}"]`);
    await alicesItem.getByTestId("note-toggle").click();
    const again = alicesItem.getByTestId("note-editor");
    expect(await again.getByLabel("Note").inputValue()).toBe("Wants a refund for order 1234");
    await again.getByLabel("Note").fill("Refund approved");
    await again.getByLabel("Outcome").selectOption("Resolved");
    await again.getByRole("button", { name: "Save note" }).click();
    await again.getByRole("status").filter({ hasText: "Saved" }).waitFor();
    await expect.poll(() => bobsItem.getByTestId("note-text").textContent()).toBe("Refund approved");
    expect(await bobsItem.getByTestId("note-outcome").textContent()).toBe("Resolved");
    await shoot("call-note", { alice: p.alice, bob: p.bob });

    // A console opened afterwards reads it from the history.
    await p.carol.reload();
    const carolsItem = p.carol.locator(`[data-testid=history-item][data-call-sid="${callSid}"]`);
    await expect.poll(() => carolsItem.getByTestId("note-text").textContent(), { timeout: 10_000 }).toBe("Refund approved");
    expect(await carolsItem.getByTestId("note-outcome").textContent()).toBe("Resolved");
  });
  it("an open editor on the author's second console follows a save made elsewhere, unless it has unsaved text", async () => {
    const p = await team();
    const { callSid } = await placeCall();
    await card(p.alice, "alice").getByTestId("ring").getByTestId("answer").click();
    await expect.poll(() => talkingTo(callSid)).toEqual(["alice"]);
    await endCall(p.alice);

    // Alice's second console (same session, another tab), both with the history's editor open.
    const second = await p.alice.context().newPage();
    await second.goto(baseUrl!);
    await second.getByTestId("connection-status").filter({ hasText: "Connected" }).waitFor();
    const item = (page: typeof second) => page.locator(`[data-testid=history-item][data-call-sid="${callSid}"]`);
    await item(p.alice).getByTestId("note-toggle").click();
    await item(second).getByTestId("note-toggle").click();
    const here = item(p.alice).getByTestId("note-editor");
    const there = item(second).getByTestId("note-editor");

    // Nothing unsaved there: it shows the note saved here.
    await here.getByLabel("Note").fill("Called about the invoice");
    await here.getByLabel("Outcome").selectOption("Follow-up");
    await here.getByRole("button", { name: "Save note" }).click();
    await here.getByRole("status").filter({ hasText: "Saved" }).waitFor();
    await expect.poll(() => there.getByLabel("Note").inputValue()).toBe("Called about the invoice");
    expect(await there.getByLabel("Outcome").inputValue()).toBe("Follow-up");
    expect(await there.getByTestId("note-newer").count()).toBe(0);

    // Unsaved text there: it stays, and the editor says a newer version exists; Load it takes it.
    await there.getByLabel("Note").fill("Half typed on the second tab");
    await here.getByLabel("Note").fill("Invoice resent");
    await here.getByRole("button", { name: "Save note" }).click();
    await there.getByTestId("note-newer").waitFor();
    expect(await there.getByLabel("Note").inputValue()).toBe("Half typed on the second tab");
    await shoot("call-note-newer", { alice: second });
    await there.getByTestId("note-load-newer").click();
    expect(await there.getByLabel("Note").inputValue()).toBe("Invoice resent");
    expect(await there.getByTestId("note-newer").count()).toBe(0);
  });
});
