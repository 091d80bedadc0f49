// The console's page as `wrangler dev` serves it (Workers static assets with dist/_headers, built from
// web/public/_headers): its Content-Security-Policy and other headers, and a real Chromium that
// loads the console under that policy, signs in and connects without a single violation.
import { chromium } from "playwright-core";
import { describe, expect, it } from "vitest";
import { CHROMIUM } from "./server";
import { baseUrl } from "./team";

function directives(csp: string | null): Map<string, string> {
  return new Map((csp ?? "").split(";").map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([name, ...values]) => [name!, values.join(" ")]));
}

describe.skipIf(!baseUrl)("the console's headers", () => {
  it("serves the page (and any in-app path) with a strict CSP, nosniff and no-referrer; the _headers file itself is not served", async () => {
    for (const path of ["/", "/some/in-app/path"]) {
      const res = await fetch(baseUrl + path);
      expect(res.status).toBe(200);
      expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
      expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
      expect(res.headers.get("Referrer-Policy")).toBe("no-referrer");
      const csp = directives(res.headers.get("Content-Security-Policy"));
      expect(csp.get("default-src")).toBe("'self'");
      expect(csp.get("script-src")).toBe("'self'");
      expect(csp.get("style-src")).toBe("'self'");
      expect(csp.get("frame-ancestors")).toBe("'none'");
      expect(csp.get("base-uri")).toBe("'none'");
      expect(csp.get("object-src")).toBe("'none'");
      expect(csp.get("connect-src")).toContain("wss://voice-js.roaming.twilio.com");
      expect(csp.get("connect-src")).not.toContain("*");
      const html = await res.text();
      // Nothing inline for 'self' to refuse: the build has only external scripts and stylesheets.
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(html).not.toMatch(/<style|style="/);
    }
    const file = await fetch(baseUrl + "/_headers");
    expect(await file.text()).not.toContain("Content-Security-Policy");
  });

  it("the API's answers carry nosniff, no-referrer and no-store", async () => {
    const res = await fetch(baseUrl + "/api/me");
    expect(res.status).toBe(401);
    expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
    expect(res.headers.get("Referrer-Policy")).toBe("no-referrer");
    expect(res.headers.get("Cache-Control")).toBe("no-store");
  });

  it("in Chromium the console loads, signs in and connects its board and phone with no CSP violation (and the policy is enforced)", async () => {
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--no-first-run"] });
    try {
      const context = await browser.newContext();
      // Collected in the page from the first script on: the report of every blocked load or inline code.
      await context.addInitScript(() => {
        const seen: string[] = [];
        Object.defineProperty(window, "__cspViolations", { value: seen });
        document.addEventListener("securitypolicyviolation", (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
      });
      const page = await context.newPage();
      const complaints: string[] = [];
      page.on("console", (m) => {
        if (/Content Security Policy/i.test(m.text())) complaints.push(m.text());
      });
      await page.goto(baseUrl!);
      await page.getByLabel("E-mail").fill("alice@example.com");
      await page.getByLabel("Password").fill("alice-demo-password");
      const phoneSaid = page.waitForResponse((r) => r.request().method() === "PUT" && new URL(r.url()).pathname === "/api/me/phone");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByTestId("connection-status").filter({ hasText: "Connected" }).waitFor();
      await phoneSaid;
      const violations = await page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations);
      expect(violations).toEqual([]);
      expect(complaints).toEqual([]);
      // The policy is enforced and the watch above sees it: an inline style attribute is refused.
      await page.evaluate(() => document.body.setAttribute("style", "outline: 1px solid red"));
      await expect.poll(() => page.evaluate(() => (window as unknown as { __cspViolations: string[] }).__cspViolations)).toEqual([expect.stringMatching(/^style-src/)]);
      await context.close();
    } finally {
      await browser.close();
    }
  });
});
