// Status with a reason in Chromium: Away with a reason, picked on the agent's own card, stops the ring
// at once and every console shows the reason and how long they have been away.
import { describe, expect, it } from "vitest";
import { AGENTS, baseUrl, card, hangUpEveryCaller, placeCall, shoot, team, useChromium, waitingRow } from "./team";

describe.skipIf(!baseUrl)("status in the console", () => {
  useChromium();

  it("Away with a reason stops the ring and every console shows the reason", async () => {
    const p = await team();
    const { from } = await placeCall();
    for (const who of AGENTS) await card(p[who], who).getByTestId("ring").waitFor();
    await expect.poll(() => waitingRow(p.bob, from).getByTestId("ringing-count").getAttribute("data-count")).toBe("3");

    // The picker lists the admin's reasons.
    const picker = card(p.alice, "alice").getByTestId("status-picker");
    const options = await picker.locator("option").allTextContents();
    expect(options).toEqual(["Available", "Away – Break", "Away – Lunch", "Away – Training", "Away – Meeting"]);
    await picker.selectOption("away:Lunch");

    // Alice's ring stops; the call rings the two others.
    await card(p.alice, "alice").getByTestId("ring").waitFor({ state: "detached" });
    for (const who of AGENTS) {
      await expect.poll(() => waitingRow(p[who], from).getByTestId("ringing-count").getAttribute("data-count")).toBe("2");
      await expect.poll(() => card(p[who], "alice").getAttribute("data-state")).toBe("unavailable");
      await expect.poll(() => card(p[who], "alice").getByTestId("card-status").textContent()).toBe("Away · Lunch · 1 min");
    }
    expect(await card(p.bob, "bob").getByTestId("ring").count()).toBe(1);
    expect(await picker.inputValue()).toBe("away:Lunch");
    await shoot("status-away", { alice: p.alice, bob: p.bob });

    // Back to Available: she rings again.
    await picker.selectOption("available");
    await card(p.alice, "alice").getByTestId("ring").waitFor();
    expect(await card(p.bob, "alice").getByTestId("card-status").count()).toBe(0);
    await hangUpEveryCaller();
  });
});
