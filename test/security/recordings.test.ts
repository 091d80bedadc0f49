// Voicemail recordings are private: a console plays them through the worker's own route, which needs a
// session and fetches the audio from the carrier (here the simulator, with "HTTP auth for media" on,
// Twilio's recommendation) with the account's credentials. No carrier URL ever reaches a console.
import { SELF } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { sessionCookie } from "../../worker/auth/sessions";
import { LOCAL_ACCOUNT_SID } from "../../worker/config";
import { voicemails } from "../../worker/db/schema";
import { api, AUTH_TOKEN, Console, createAgents, db, ORIGIN } from "../worker/helpers";
import { call } from "../worker/desks";

const MEDIA_BASE = `${ORIGIN}/sim/api/2010-04-01/Accounts/${LOCAL_ACCOUNT_SID}/Recordings`;
const basic = (user: string, secret: string) => ({ Authorization: "Basic " + btoa(`${user}:${secret}`) });
const ACCOUNT = basic(LOCAL_ACCOUNT_SID, AUTH_TOKEN);

/** A caller nobody takes leaves a `seconds`-long message; resolves with its D1 row once saved. */
async function voicemailOf(seconds: number) {
  const sid = await call({ speed: 20, message: seconds });
  let row: typeof voicemails.$inferSelect | undefined;
  await expect
    .poll(async () => (row = await db().select().from(voicemails).where(eq(voicemails.callSid, sid)).get()), { timeout: 20_000, interval: 100 })
    .toBeTruthy();
  return row!;
}

const wavBytes = (seconds: number) => 44 + seconds * 8000 * 2;

describe("a voicemail's audio", () => {
  it("streams to a signed-in agent from the carrier, as WAV that no cache keeps", async () => {
    const [a] = await createAgents(1, { available: false });
    const vm = await voicemailOf(2);
    const res = await api(`/api/voicemails/${vm.id}/audio`, a.cookie);
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toBe("audio/x-wav");
    expect(res.headers.get("Cache-Control")).toBe("private, no-store");
    expect(res.headers.get("Accept-Ranges")).toBe("bytes");
    const body = new Uint8Array(await res.arrayBuffer());
    expect(body.byteLength).toBe(wavBytes(vm.durationSeconds));
    expect(new TextDecoder().decode(body.slice(0, 4))).toBe("RIFF");
  });

  it("answers a Range request with 206 and that part only, so that the player can seek", async () => {
    const [a] = await createAgents(1, { available: false });
    const vm = await voicemailOf(2);
    const total = wavBytes(vm.durationSeconds);
    const head = await api(`/api/voicemails/${vm.id}/audio`, a.cookie, { headers: { Range: "bytes=0-99" } });
    expect(head.status).toBe(206);
    expect(head.headers.get("Content-Range")).toBe(`bytes 0-99/${total}`);
    const headBody = new Uint8Array(await head.arrayBuffer());
    expect(headBody.byteLength).toBe(100);
    expect(new TextDecoder().decode(headBody.slice(0, 4))).toBe("RIFF");
    const tail = await api(`/api/voicemails/${vm.id}/audio`, a.cookie, { headers: { Range: "bytes=-10" } });
    expect(tail.status).toBe(206);
    expect(tail.headers.get("Content-Range")).toBe(`bytes ${total - 10}-${total - 1}/${total}`);
    expect((await tail.arrayBuffer()).byteLength).toBe(10);
    const past = await api(`/api/voicemails/${vm.id}/audio`, a.cookie, { headers: { Range: `bytes=${total}-` } });
    expect(past.status).toBe(416);
  });

  it("is refused without a session, and for a voicemail that does not exist", async () => {
    const [a] = await createAgents(1, { available: false });
    const vm = await voicemailOf(1);
    expect((await api(`/api/voicemails/${vm.id}/audio`, null)).status).toBe(401);
    expect((await api(`/api/voicemails/${vm.id}/audio`, `${sessionCookie(ORIGIN).name}=forged`)).status).toBe(401);
    expect((await api(`/api/voicemails/RE${"9".repeat(32)}/audio`, a.cookie)).status).toBe(404);
  });

  it("is fetched by the recording's SID from the carrier's own API, never from the URL stored with it", async () => {
    const [a] = await createAgents(1, { available: false });
    const vm = await voicemailOf(1);
    // Rows come from webhooks: a URL in one must not make the worker fetch it with the account's credentials.
    await db().update(voicemails).set({ recordingUrl: "https://attacker.example/steal" }).where(eq(voicemails.id, vm.id));
    const res = await api(`/api/voicemails/${vm.id}/audio`, a.cookie);
    expect(res.status).toBe(200);
    expect((await res.arrayBuffer()).byteLength).toBe(wavBytes(vm.durationSeconds));
  });

  it("is gone (404) once the recording was deleted at the carrier", async () => {
    const [a] = await createAgents(1, { available: false });
    const vm = await voicemailOf(1);
    const del = await SELF.fetch(`${MEDIA_BASE}/${vm.recordingSid}.json`, { method: "DELETE", headers: ACCOUNT });
    expect(del.status).toBe(204);
    expect((await api(`/api/voicemails/${vm.id}/audio`, a.cookie)).status).toBe(404);
  });
});

describe("no carrier URL reaches a console", () => {
  it("the snapshot, voicemail.created and GET /api/voicemails carry the worker's audio route only", async () => {
    const [a] = await createAgents(1, { available: false });
    const console = await Console.open(a);
    const vm = await voicemailOf(1);
    const created = await console.next((m) => m.type === "voicemail.created" && m.voicemail.id === vm.id, 15_000);
    const list = await (await api("/api/voicemails", a.cookie)).text();
    const later = await Console.open(a);
    const snapshot = later.messages.find((m) => m.type === "snapshot");
    for (const text of [JSON.stringify(created), list, JSON.stringify(snapshot)]) {
      expect(text).toContain(`"audioUrl":"/api/voicemails/${vm.id}/audio"`);
      expect(text).not.toContain("/2010-04-01/");
      expect(text).not.toContain("recordingUrl");
    }
    expect(vm.recordingUrl).toContain(`/sim/api/2010-04-01/Accounts/${LOCAL_ACCOUNT_SID}/Recordings/${vm.recordingSid}`);
  });
});

describe("the simulator's Recording resource, as Twilio's", () => {
  it("with HTTP auth for media on (its default), the media needs the account's credentials", async () => {
    const vm = await voicemailOf(1);
    const url = `${MEDIA_BASE}/${vm.recordingSid}.wav`;
    const anonymous = await SELF.fetch(url);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toMatchObject({ code: 20003 });
    expect((await SELF.fetch(url, { headers: basic(LOCAL_ACCOUNT_SID, "wrong") })).status).toBe(401);
    const ok = await SELF.fetch(url, { headers: ACCOUNT });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("Content-Type")).toBe("audio/x-wav");
    // The RecordingUrl Twilio sends has no extension: that is WAV too.
    expect((await SELF.fetch(`${MEDIA_BASE}/${vm.recordingSid}`, { headers: ACCOUNT })).status).toBe(200);
  });

  it("DELETE answers 204, then the media and the resource are 404 (Twilio's 20404), and a second DELETE is 404", async () => {
    const vm = await voicemailOf(1);
    expect((await SELF.fetch(`${MEDIA_BASE}/${vm.recordingSid}.json`, { method: "DELETE" })).status).toBe(401);
    expect((await SELF.fetch(`${MEDIA_BASE}/${vm.recordingSid}.json`, { method: "DELETE", headers: ACCOUNT })).status).toBe(204);
    const media = await SELF.fetch(`${MEDIA_BASE}/${vm.recordingSid}.wav`, { headers: ACCOUNT });
    expect(media.status).toBe(404);
    expect(await media.json()).toMatchObject({ code: 20404 });
    expect((await SELF.fetch(`${MEDIA_BASE}/${vm.recordingSid}.json`, { headers: ACCOUNT })).status).toBe(404);
    expect((await SELF.fetch(`${MEDIA_BASE}/${vm.recordingSid}.json`, { method: "DELETE", headers: ACCOUNT })).status).toBe(404);
  });

  it("serves no other account's recordings", async () => {
    const vm = await voicemailOf(1);
    const other = `${ORIGIN}/sim/api/2010-04-01/Accounts/AC${"1".repeat(32)}/Recordings/${vm.recordingSid}.wav`;
    expect((await SELF.fetch(other, { headers: ACCOUNT })).status).toBe(404);
  });
});
