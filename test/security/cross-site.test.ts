// Another site cannot act with an agent's cookie: foreign Origins and cross-site Fetch Metadata are
// refused before anything runs, only JSON (or nothing) is accepted as a body, the cookie is __Host-
// over https, and every worker response carries the security headers.
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { agentRows, api, createAgents, newCallSid, ORIGIN, PASSWORD, type TestAgent } from "../worker/helpers";

const EVIL = "https://evil.example";

const setAvailable = (a: TestAgent, available: boolean, headers: Record<string, string> = {}) =>
  api("/api/me/availability", a.cookie, { method: "PUT", headers, body: JSON.stringify({ available }) });

async function available(a: TestAgent): Promise<boolean | undefined> {
  return (await agentRows([a.id]))[0]?.available;
}

describe("writes from another site", () => {
  it("refuses a foreign Origin with 403 and changes nothing; our own Origin, or none, is accepted", async () => {
    const [a] = await createAgents(1);
    const res = await setAvailable(a, false, { Origin: EVIL });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: string }).error).toMatch(/evil\.example/);
    expect(await available(a)).toBe(true);
    expect((await setAvailable(a, false, { Origin: "null" })).status).toBe(403);
    expect(await available(a)).toBe(true);
    expect((await setAvailable(a, false, { Origin: ORIGIN })).status).toBe(200);
    expect(await available(a)).toBe(false);
    expect((await setAvailable(a, true)).status).toBe(200);
  });

  it("refuses Sec-Fetch-Site cross-site and same-site (a sibling subdomain) with 403; same-origin and none pass", async () => {
    const [a] = await createAgents(1);
    for (const site of ["cross-site", "same-site"]) {
      expect((await setAvailable(a, false, { "Sec-Fetch-Site": site })).status).toBe(403);
      expect(await available(a)).toBe(true);
    }
    expect((await setAvailable(a, false, { "Sec-Fetch-Site": "same-origin", Origin: ORIGIN })).status).toBe(200);
    expect((await setAvailable(a, true, { "Sec-Fetch-Site": "none" })).status).toBe(200);
  });

  it("refuses before the session, the body or the password is looked at: a foreign sign-in gets no cookie, a foreign sign-out ends no session, a huge foreign body is not read", async () => {
    const [a] = await createAgents(1);
    const signIn = await SELF.fetch(ORIGIN + "/api/session", {
      method: "POST",
      headers: { "Content-Type": "application/json", Origin: EVIL },
      body: JSON.stringify({ email: a.email, password: PASSWORD }),
    });
    expect(signIn.status).toBe(403);
    expect(signIn.headers.get("Set-Cookie")).toBeNull();
    expect((await api("/api/session", a.cookie, { method: "DELETE", headers: { Origin: EVIL } })).status).toBe(403);
    expect((await api("/api/me", a.cookie)).status).toBe(200);
    expect((await api("/api/me/availability", null, { method: "PUT", headers: { Origin: EVIL }, body: "x".repeat(64 * 1024) })).status).toBe(403);
    // No session at all: still 403, not 401.
    expect((await api(`/api/calls/${newCallSid()}/claim`, null, { method: "POST", headers: { Origin: EVIL } })).status).toBe(403);
  });

  it("accepts PUBLIC_URL's origin on a request that reached another host name (a tunnel, a proxy)", async () => {
    const res = await SELF.fetch("http://127.0.0.1:8787/api/session", {
      method: "POST",
      headers: { "Content-Type": "application/json", Origin: ORIGIN },
      body: JSON.stringify({ email: "nobody@example.test", password: "wrong" }),
    });
    expect(res.status).toBe(401);
  });

  it("refuses a console or simulated-phone socket from another site", async () => {
    const [a] = await createAgents(1);
    const upgrade = { Upgrade: "websocket" };
    expect((await api("/api/console", a.cookie, { headers: { ...upgrade, Origin: EVIL } })).status).toBe(403);
    expect((await api("/api/console", a.cookie, { headers: { ...upgrade, Origin: ORIGIN, "Sec-Fetch-Site": "cross-site" } })).status).toBe(403);
    expect((await api("/sim/phone", a.cookie, { headers: { ...upgrade, Origin: EVIL } })).status).toBe(403);
  });
});

describe("content types", () => {
  it("refuses form and text bodies on body-less call routes with 415, and any body with 400", async () => {
    const [a] = await createAgents(1);
    const sid = newCallSid();
    for (const action of ["claim", "decline", "hangup", "park", "retrieve"]) {
      for (const type of ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain"]) {
        expect((await api(`/api/calls/${sid}/${action}`, a.cookie, { method: "POST", headers: { "Content-Type": type } })).status).toBe(415);
      }
      expect((await api(`/api/calls/${sid}/${action}`, a.cookie, { method: "POST", headers: { "Content-Type": "text/plain" }, body: "agentId=x" })).status).toBe(415);
      expect((await api(`/api/calls/${sid}/${action}`, a.cookie, { method: "POST", body: JSON.stringify({ agentId: "someone" }) })).status).toBe(400);
    }
  });

  it("refuses a JSON route's body sent as a form or as text with 415, and changes nothing", async () => {
    const [a] = await createAgents(1);
    for (const type of ["application/x-www-form-urlencoded", "text/plain"]) {
      expect((await setAvailable(a, false, { "Content-Type": type })).status).toBe(415);
    }
    expect(await available(a)).toBe(true);
  });
});

describe("the session cookie", () => {
  it("over https is __Host-ringall_session, Secure, HttpOnly, SameSite=Lax, Path=/, with no Domain", async () => {
    const [a] = await createAgents(1);
    const res = await SELF.fetch(ORIGIN + "/api/session", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ email: a.email, password: PASSWORD }) });
    const cookie = res.headers.get("Set-Cookie") ?? "";
    expect(cookie).toMatch(/^__Host-ringall_session=[0-9a-f]+;/);
    const attrs = cookie.split(/;\s*/).slice(1);
    expect(attrs).toEqual(expect.arrayContaining(["Path=/", "HttpOnly", "Secure", "SameSite=Lax"]));
    expect(attrs.some((x) => /^domain=/i.test(x))).toBe(false);
    // Signing out clears that same cookie.
    const out = await api("/api/session", cookie.split(";")[0]!, { method: "DELETE" });
    expect(out.status).toBe(204);
    expect(out.headers.get("Set-Cookie")).toMatch(/^__Host-ringall_session=;.*Max-Age=0.*Path=\/.*Secure/);
  });

  it("over https ignores a plain ringall_session cookie (one a sibling subdomain could have planted)", async () => {
    const [a] = await createAgents(1);
    const token = a.cookie.split("=")[1]!;
    expect((await api("/api/me", `ringall_session=${token}`)).status).toBe(401);
    expect((await api("/api/me", a.cookie)).status).toBe(200);
  });

  it("over plain http (local dev) is ringall_session without Secure, and works there", async () => {
    const [a] = await createAgents(1);
    const http = "http://localhost:8787";
    const res = await SELF.fetch(http + "/api/session", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ email: a.email, password: PASSWORD }) });
    const cookie = res.headers.get("Set-Cookie") ?? "";
    expect(cookie).toMatch(/^ringall_session=[0-9a-f]+;/);
    expect(cookie).not.toMatch(/Secure/);
    expect((await SELF.fetch(http + "/api/me", { headers: { Cookie: cookie.split(";")[0]! } })).status).toBe(200);
  });
});

describe("security headers on the worker's responses", () => {
  it("every API answer (data, error, unknown route) has nosniff, no-referrer, no-store and a CSP that runs nothing", async () => {
    const [a] = await createAgents(1);
    for (const res of [await api("/api/me", a.cookie), await api("/api/me", null), await api("/api/nothing-here", a.cookie), await setAvailable(a, false, { Origin: EVIL })]) {
      expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
      expect(res.headers.get("Referrer-Policy")).toBe("no-referrer");
      expect(res.headers.get("Cache-Control")).toBe("no-store");
      expect(res.headers.get("Content-Security-Policy")).toMatch(/default-src 'none'.*frame-ancestors 'none'/);
    }
  });

  it("the health check and Twilio's webhooks have nosniff and no-referrer too", async () => {
    const res = await SELF.fetch(ORIGIN + "/healthz");
    expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(res.headers.get("Referrer-Policy")).toBe("no-referrer");
    const hook = await SELF.fetch(ORIGIN + "/twilio/voice", { method: "POST" });
    expect(hook.headers.get("X-Content-Type-Options")).toBe("nosniff");
  });
});
