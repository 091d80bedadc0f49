// The voicemail inbox in Chromium: a caller nobody can take leaves a message; every header counts it;
// Alice assigns it to Bob and marks it handled with a note; Bob's console shows it handled, with the
// note, and the count drops to zero, live (no reload); Bob reopens it and Alice's count is back.
import type { Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import type { VoicemailListResponse } from "../../worker/protocol";
import { away, baseUrl, placeCall, shoot, signIn, useChromium, voicemailItem } from "./team";

const count = (page: Page) => page.getByTestId("inbox-count").getAttribute("data-count");
const item = voicemailItem;

/** Earlier tests' voicemails, still new, marked handled: this test's count starts from zero. */
async function clearInbox(page: Page): Promise<void> {
  const res = await page.request.get(`${baseUrl}/api/voicemails?status=new&limit=200`);
  expect(res.status()).toBe(200);
  const { voicemails } = (await res.json()) as VoicemailListResponse;
  for (const v of voicemails) {
    const done = await page.request.post(`${baseUrl}/api/voicemails/${encodeURIComponent(v.id)}/handled`, { data: { note: "cleared by the inbox test" } });
    expect([200, 409]).toContain(done.status());
  }
}

describe.skipIf(!baseUrl)("the voicemail inbox in the console", () => {
  useChromium();

  it("assigned, handled with a note on one console, and seen handled on the assignee's, live", async () => {
    const [alice, bob, carol] = await Promise.all([signIn("alice"), signIn("bob"), signIn("carol")]);
    await away(alice, "alice");
    await away(bob, "bob");
    await away(carol, "carol");
    await clearInbox(alice);
    for (const page of [alice, bob]) await expect.poll(() => count(page)).toBe("0");
    // Any reload would lose this mark: the consoles below must change without one.
    for (const page of [alice, bob]) await page.evaluate(() => ((window as unknown as { inboxMark: boolean }).inboxMark = true));

    const { from } = await placeCall({ speed: 20, message: 2 });
    await item(alice, from).waitFor({ timeout: 30_000 });
    for (const page of [alice, bob]) await expect.poll(() => count(page)).toBe("1");
    expect(await alice.getByTestId("inbox-tab-new").textContent()).toBe("New (1)");
    expect(await item(alice, from).getAttribute("data-status")).toBe("new");
    expect(await item(alice, from).locator('[data-slot="call-back"]').count()).toBe(1);

    // Alice assigns it to Bob: Bob's console shows him as the assignee, and it is in his Mine tab.
    await item(alice, from).getByLabel("Assigned to").selectOption({ label: "Bob Brown" });
    await expect.poll(() => item(bob, from).getByLabel("Assigned to").inputValue()).toBe("bob");
    await bob.getByTestId("inbox-tab-mine").click();
    await item(bob, from).waitFor();
    expect(await bob.getByTestId("inbox-tab-mine").textContent()).toBe("Mine (1)");

    // Alice marks it handled with a note.
    await item(alice, from).getByLabel("Note (optional)").fill("Called back, invoice resent");
    await item(alice, from).getByTestId("mark-handled").click();

    // Bob's console: gone from Mine, in Handled with who and the note; both counts at zero.
    await item(bob, from).waitFor({ state: "detached" });
    await bob.getByTestId("inbox-tab-handled").click();
    const handledBy = item(bob, from).getByTestId("handled-by");
    await expect.poll(() => handledBy.textContent()).toMatch(/^Handled by Alice Adams at .+ — Called back, invoice resent$/);
    expect(await item(bob, from).getAttribute("data-status")).toBe("handled");
    for (const page of [alice, bob]) await expect.poll(() => count(page)).toBe("0");
    await shoot("voicemail-inbox-handled", { alice, bob });

    // Bob reopens it: new again on Alice's console, counted again.
    await item(bob, from).getByTestId("reopen").click();
    await expect.poll(() => item(alice, from).getAttribute("data-status")).toBe("new");
    for (const page of [alice, bob]) await expect.poll(() => count(page)).toBe("1");

    for (const page of [alice, bob]) expect(await page.evaluate(() => (window as unknown as { inboxMark?: boolean }).inboxMark)).toBe(true);
  });
});
