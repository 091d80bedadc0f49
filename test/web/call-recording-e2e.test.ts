// Recorded calls in Chromium: the admin turns recording on and words the announcement, a simulated
// call is answered (every console marks it "● Recorded") and hung up, and the history item of every
// console gets a player whose audio, streamed through the worker's authenticated route, plays back.
import { describe, expect, it } from "vitest";
import { baseUrl, card, endCall, placeCall, setRecording, shoot, signIn, talkingTo, team, useChromium } from "./team";

/** The caller's call at the carrier, with the recordings running on it. */
async function recordingsRunning(callSid: string): Promise<number> {
  const res = await fetch(`${baseUrl}/sim/calls/${callSid}`);
  const { call } = (await res.json()) as { call: { recordings?: unknown[] } };
  return call.recordings?.length ?? 0;
}

describe.skipIf(!baseUrl)("recorded calls in the console", () => {
  useChromium();

  it("a recorded call plays back", async () => {
    const p = await team();
    const admin = await signIn("admin");
    try {
      // The admin's setting, beside the other panels: on, with the team's own words.
      const panel = admin.getByTestId("recording-settings");
      const enabled = panel.getByTestId("recording-enabled");
      await expect.poll(() => enabled.isChecked()).toBe(false);
      await panel.getByTestId("recording-announcement").fill("");
      await panel.getByTestId("recording-save").click();
      await panel.getByTestId("recording-status").filter({ hasText: "Not saved" }).waitFor();
      await enabled.check();
      await panel.getByTestId("recording-announcement").fill("This call is recorded so that we can train our team.");
      await panel.getByTestId("recording-save").click();
      await panel.getByTestId("recording-status").filter({ hasText: "Saved: calls that begin from now on are recorded." }).waitFor();
      // An agent has no such panel.
      expect(await p.alice.getByTestId("recording-settings").count()).toBe(0);

      // Twenty simulated seconds a second: a call of a few real seconds is a recording of a minute.
      const { callSid } = await placeCall({ speed: 20 });
      await card(p.alice, "alice").getByTestId("ring").getByTestId("answer").click();
      await expect.poll(() => talkingTo(callSid)).toEqual(["alice"]);
      await card(p.alice, "alice").getByTestId("active-call").getByTestId("recorded-mark").waitFor();
      await card(p.bob, "alice").getByTestId("active-call").getByTestId("recorded-mark").waitFor();
      // The recording runs at the carrier from the first agent on; then the call is hung up.
      await expect.poll(() => recordingsRunning(callSid), { timeout: 10_000 }).toBe(1);
      await card(p.alice, "alice").getByTestId("call-timer").filter({ hasNotText: "0:00" }).waitFor();
      await shoot("call-recording-live", { alice: p.alice });
      await endCall(p.alice);

      for (const page of [p.alice, p.bob]) {
        const item = page.locator(`[data-testid=history-item][data-call-sid="${callSid}"]`);
        const player = item.getByTestId("call-recording");
        await player.waitFor({ timeout: 15_000 });
        expect(await player.getAttribute("src")).toBe(`/api/calls/${callSid}/recording/audio`);
        expect(await player.getAttribute("preload")).toBe("none");
      }
      await shoot("call-recording", { alice: p.alice, bob: p.bob });

      // Bob plays it: the audio element loads through the worker and plays.
      const played = await p.bob.evaluate(async (sid) => {
        const audio = document.querySelector<HTMLAudioElement>(`[data-testid=history-item][data-call-sid="${sid}"] [data-testid=call-recording]`)!;
        const loaded = new Promise<string>((resolve) => {
          audio.addEventListener("loadedmetadata", () => resolve("loadedmetadata"), { once: true });
          audio.addEventListener("error", () => resolve(`error ${audio.error?.code ?? "?"}`), { once: true });
        });
        audio.muted = true;
        const playing = audio.play().then(
          () => "playing",
          (e: Error) => `refused: ${e.message}`,
        );
        const event = await loaded;
        const play = await playing;
        // Playing means its time moves on; an error, or nothing within 10 s, means it does not play.
        const started = await new Promise<boolean>((resolve) => {
          const giveUp = Date.now() + 10_000;
          const check = () => (audio.currentTime > 0 ? resolve(true) : audio.error || Date.now() > giveUp ? resolve(false) : requestAnimationFrame(check));
          check();
        });
        audio.pause();
        return { event, play, started, readyState: audio.readyState, duration: audio.duration };
      }, callSid);
      expect(played).toMatchObject({ event: "loadedmetadata", play: "playing", started: true });
      expect(played.readyState).toBeGreaterThanOrEqual(1);
      expect(played.duration).toBeGreaterThan(1);

      // A byte range, as a player seeking asks: 206 with audio, from the worker's own route.
      const ranged = await p.bob.evaluate(async (sid) => {
        const res = await fetch(`/api/calls/${sid}/recording/audio`, { headers: { Range: "bytes=0-1023" } });
        return { status: res.status, type: res.headers.get("Content-Type"), range: res.headers.get("Content-Range"), bytes: (await res.arrayBuffer()).byteLength };
      }, callSid);
      expect(ranged).toMatchObject({ status: 206, bytes: 1024 });
      expect(ranged.type).toMatch(/^audio\//);
      expect(ranged.range).toMatch(/^bytes 0-1023\/\d+$/);
    } finally {
      // Recording off again for the tests after this one.
      expect(await setRecording(admin, { enabled: false, announcement: "This call may be recorded for quality and training." })).toBe(200);
    }
  });
});
