import { describe, expect, it } from "vitest";
import { callBackNumber, dialStep, normalizeNumber } from "../../web/src/dialing";
import { call } from "./fixtures";

describe("a typed number", () => {
  it("loses its spaces, dots, dashes and brackets; 00 is an international +", () => {
    expect(normalizeNumber(" +1 (555) 123-0000 ")).toEqual({ ok: true, number: "+15551230000" });
    expect(normalizeNumber("0044 20 7946 0000")).toEqual({ ok: true, number: "+442079460000" });
  });
  it("is refused, saying why, without a country code, empty, or not a number", () => {
    expect(normalizeNumber("")).toMatchObject({ ok: false, why: "Type a number to call" });
    expect(normalizeNumber("555 1230")).toMatchObject({ ok: false, why: expect.stringContaining("country code") });
    expect(normalizeNumber("+1 call me")).toMatchObject({ ok: false });
    expect(normalizeNumber("+0123456789")).toMatchObject({ ok: false });
  });
});

describe("the number a finished call is called back on", () => {
  it("is the caller of a missed, abandoned or voicemail call, and the callee of an unanswered outbound call", () => {
    for (const outcome of ["missed", "abandoned", "voicemail"] as const) expect(callBackNumber(call({ phase: "ended", outcome, from: "+15551230001" }))).toBe("+15551230001");
    expect(callBackNumber(call({ phase: "ended", outcome: "unanswered", direction: "outbound", from: "+15550100000", to: "+15551239999" }))).toBe("+15551239999");
  });
  it("is none for an answered call, a withheld number, or an outbound call that was answered", () => {
    expect(callBackNumber(call({ phase: "ended", outcome: "answered", from: "+15551230001" }))).toBeNull();
    expect(callBackNumber(call({ phase: "ended", outcome: "missed", from: "anonymous" }))).toBeNull();
    expect(callBackNumber(call({ phase: "ended", outcome: "answered", direction: "outbound", to: "+15551239999" }))).toBeNull();
  });
});

describe("my outbound call's phone", () => {
  const held = { callSid: "CA1", ticket: "t", joining: false };
  it("joins once the callee answered (the call is claimed for me), and only once", () => {
    expect(dialStep(held, call({ phase: "dialing", dialedBy: "me" }), false, "me")).toBe("wait");
    expect(dialStep(held, call({ phase: "claimed", claimedBy: "me", dialedBy: "me" }), false, "me")).toBe("connect");
    expect(dialStep({ ...held, joining: true }, call({ phase: "claimed", claimedBy: "me" }), false, "me")).toBe("wait");
  });
  it("waits when the dial's reply came before the feed's first word of the call", () => {
    expect(dialStep(held, undefined, false, "me")).toBe("wait");
  });
  it("forgets the call once it ended or someone else holds it", () => {
    expect(dialStep(held, undefined, true, "me")).toBe("forget");
    expect(dialStep(held, call({ phase: "ringing", purpose: "reconnect" }), false, "me")).toBe("forget");
  });
});
