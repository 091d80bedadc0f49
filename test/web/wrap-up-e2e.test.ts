// Wrap-up in Chromium: after a call, its agent is shown in wrap-up on every console with a countdown,
// is not rung by the next caller, and Ready on their own card ends it so that the waiting caller rings
// them at once. The test server runs with WRAP_UP_SECONDS (server.ts).
import { describe, expect, it } from "vitest";
import { AGENTS, baseUrl, card, endCall, placeCall, shoot, talkingTo, team, useChromium, waitingRow } from "./team";
import { WRAP_UP_SECONDS } from "./server";

describe.skipIf(!baseUrl)("wrap-up in the console", () => {
  useChromium();

  it("after a hang-up the agent is in wrap-up on every console and not rung; Ready ends it and the waiting caller rings them", async () => {
    const p = await team();
    // Alice alone takes calls: a caller she does not ring waits in line.
    for (const who of ["bob", "carol"] as const) await card(p[who], who).getByTestId("status-picker").selectOption("away:Break");
    for (const who of ["bob", "carol"] as const) await expect.poll(() => card(p.alice, who).getAttribute("data-state")).toBe("unavailable");

    const first = await placeCall();
    await card(p.alice, "alice").getByTestId("ring").getByTestId("answer").click();
    await expect.poll(() => talkingTo(first.callSid)).toEqual(["alice"]);
    await endCall(p.alice);

    // Every console shows Alice's wrap-up with its countdown; only her own card has Ready.
    for (const who of AGENTS) {
      const wrapUp = card(p[who], "alice").getByTestId("wrap-up");
      await wrapUp.waitFor();
      const left = await wrapUp.getByTestId("wrap-up-left").textContent();
      const [m, s] = left!.split(":").map(Number);
      expect(m! * 60 + s!).toBeLessThanOrEqual(WRAP_UP_SECONDS);
      expect(await wrapUp.getByTestId("wrap-up-ready").count()).toBe(who === "alice" ? 1 : 0);
    }

    // The next caller waits in line: Alice is available and online, but not rung.
    const second = await placeCall();
    for (const who of AGENTS) {
      await expect.poll(() => waitingRow(p[who], second.from).getByTestId("ringing-count").getAttribute("data-count")).toBe("0");
      // And the waiting panel says why: not "every agent is busy" (web/src/waitingLine.ts).
      expect(await waitingRow(p[who], second.from).getByTestId("ringing-count").textContent()).toBe("waiting in line: 1 agent in wrap-up");
    }
    expect(await card(p.alice, "alice").getByTestId("ring").count()).toBe(0);
    await shoot("wrap-up", { alice: p.alice, bob: p.bob });

    // Ready: the wrap-up ends on every console and the waiting caller rings Alice at once.
    await card(p.alice, "alice").getByTestId("wrap-up-ready").click();
    const ring = card(p.alice, "alice").getByTestId("ring").filter({ hasText: second.from });
    await ring.waitFor({ timeout: 5000 });
    for (const who of AGENTS) await card(p[who], "alice").getByTestId("wrap-up").waitFor({ state: "detached", timeout: 5000 });
    await ring.getByTestId("answer").click();
    await expect.poll(() => talkingTo(second.callSid)).toEqual(["alice"]);
    await endCall(p.alice);
    await card(p.alice, "alice").getByTestId("wrap-up-ready").click();
  });
});
