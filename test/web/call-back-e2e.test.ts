// Calling out from the console in Chromium, through the carrier simulator: a voicemail's caller is
// called back (the simulated callee answers, and the agent's phone is bridged with them), and the
// voicemail then says who called back; a dialled number that declines ends as such in the history.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { away, baseUrl, card, endCall, NAMES, placeCall, shoot, signIn, talkingTo, useChromium, voicemailItem } from "./team";

const item = voicemailItem;
const historyItem = (page: Page, number: string) => page.getByTestId("history-item").filter({ hasText: number });

/** How the simulated person at `number` answers the product's calls. */
async function callee(number: string, answer: "answer" | "decline" | "no-answer", afterSeconds = 1): Promise<void> {
  const res = await fetch(`${baseUrl}/sim/callees`, { method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ number, answer, afterSeconds }) });
  expect(res.status).toBe(200);
}

describe.skipIf(!baseUrl)("calling out from the console", () => {
  useChromium();

  it("calls back a voicemail's caller: the agent is bridged with them, and the voicemail says who called back", async () => {
    const [alice, bob, carol] = await Promise.all([signIn("alice"), signIn("bob"), signIn("carol")]);
    for (const [page, who] of [[alice, "alice"], [bob, "bob"], [carol, "carol"]] as const) await away(page, who);
    const { from } = await placeCall({ speed: 20, message: 2 });
    await item(alice, from).waitFor({ timeout: 30_000 });
    await callee(from, "answer", 1);

    await item(alice, from).getByTestId("call-back").click();
    const active = card(alice, "alice").getByTestId("active-call");
    await expect.poll(() => active.textContent()).toMatch(new RegExp(`Calling\\s*\\${from}`));
    const callSid = (await active.getAttribute("data-call-sid"))!;
    // Bob's console shows Alice calling, and his voicemail item says who called back.
    await expect.poll(() => card(bob, "alice").getByTestId("active-call").textContent()).toContain(from);
    await expect.poll(() => item(bob, from).getByTestId("called-back").textContent()).toMatch(/^Called back by Alice Adams at /);

    // The callee answers: Alice's phone joins them by itself.
    await expect.poll(() => talkingTo(callSid), { timeout: 15_000 }).toEqual(["alice"]);
    await expect.poll(() => active.textContent()).toMatch(/Talking to/);
    await shoot("call-back-connected", { alice, bob });
    await endCall(alice);
    await expect.poll(() => historyItem(bob, from).first().textContent()).toContain(`Called by ${NAMES.alice}`);
  });

  it("a dialled number that declines ends as declined in the history, with Call back", async () => {
    const [alice] = await Promise.all([signIn("alice")]);
    await away(alice, "alice");
    const number = "+1555" + String(Math.floor(1e6 + Math.random() * 8e6));
    await callee(number, "decline", 0.5);
    await alice.getByTestId("dial-number").fill(number.replace(/^(\+1)(\d{3})(\d{3})/, "$1 ($2) $3-"));
    await alice.getByTestId("dial").click();
    await historyItem(alice, number).first().waitFor({ timeout: 15_000 });
    expect(await historyItem(alice, number).first().textContent()).toContain("Declined or busy");
    expect(await historyItem(alice, number).first().getByTestId("call-back").isEnabled()).toBe(true);
    expect(await card(alice, "alice").getByTestId("active-call").count()).toBe(0);
  });
});
