import { SELF } from "cloudflare:test";
import { expect, it } from "vitest";

it("answers health", async () => {
  const res = await SELF.fetch("https://calls.example.test/healthz");
  expect(await res.json()).toEqual({ ok: true, mode: "simulator" });
});
