// The switchboard's limits as pure rules: which consoles go over the cap, which frames are too large,
// which connects are too many, and when the prune alarm must run.
import { describe, expect, it } from "vitest";
import { admitConnect, CONNECT_WINDOW_MS, consolesOverCap, frameTooLarge, MAX_CONNECTS_PER_WINDOW, MAX_FRAME_BYTES, pruneAlarmAt } from "../../worker/switchboard/limits";

describe("consolesOverCap", () => {
  const open = (...times: number[]) => times.map((connectedAt, i) => ({ socket: `s${i}`, connectedAt }));

  it("closes nothing while one more console stays within the cap", () => {
    expect(consolesOverCap(open(1, 2, 3, 4), 5)).toEqual([]);
    expect(consolesOverCap([], 5)).toEqual([]);
  });

  it("closes the oldest when the new console would be one too many, whatever the order given", () => {
    expect(consolesOverCap(open(30, 10, 50, 20, 40), 5)).toEqual(["s1"]);
  });

  it("closes as many of the oldest as it takes when several are over", () => {
    expect(consolesOverCap(open(5, 1, 4, 2, 3, 6), 3)).toEqual(["s1", "s3", "s4", "s2"]);
  });
});

describe("frameTooLarge", () => {
  it("lets a ping and a frame of exactly the limit through", () => {
    expect(frameTooLarge("ping")).toBe(false);
    expect(frameTooLarge("x".repeat(MAX_FRAME_BYTES))).toBe(false);
    expect(frameTooLarge(new ArrayBuffer(MAX_FRAME_BYTES))).toBe(false);
  });

  it("refuses one byte more, in text or binary", () => {
    expect(frameTooLarge("x".repeat(MAX_FRAME_BYTES + 1))).toBe(true);
    expect(frameTooLarge(new ArrayBuffer(MAX_FRAME_BYTES + 1))).toBe(true);
  });

  it("counts UTF-8 bytes, not characters", () => {
    const euros = "€".repeat(Math.floor(MAX_FRAME_BYTES / 3) + 1); // 3 bytes each
    expect(euros.length).toBeLessThan(MAX_FRAME_BYTES);
    expect(frameTooLarge(euros)).toBe(true);
    expect(frameTooLarge("€".repeat(Math.floor(MAX_FRAME_BYTES / 3)))).toBe(false);
  });
});

describe("admitConnect", () => {
  const t0 = 1_000_000;

  it("admits up to the limit within the window and remembers each", () => {
    let times: number[] = [];
    for (let i = 0; i < MAX_CONNECTS_PER_WINDOW; i++) {
      const v = admitConnect(times, t0 + i);
      expect(v.ok).toBe(true);
      times = v.recent;
    }
    expect(times).toHaveLength(MAX_CONNECTS_PER_WINDOW);
  });

  it("refuses one more with the seconds until the oldest leaves the window, without counting the refusal", () => {
    const times = Array.from({ length: MAX_CONNECTS_PER_WINDOW }, (_, i) => t0 + i * 100);
    const v = admitConnect(times, t0 + 1500);
    expect(v).toEqual({ ok: false, recent: times, retryAfterSeconds: Math.ceil((CONNECT_WINDOW_MS - 1500) / 1000) });
  });

  it("admits again once the oldest left the window, and forgets those outside it", () => {
    const times = Array.from({ length: MAX_CONNECTS_PER_WINDOW }, (_, i) => t0 + i * 100);
    const v = admitConnect(times, t0 + CONNECT_WINDOW_MS);
    expect(v.ok).toBe(true);
    expect(v.recent).toEqual([...times.slice(1), t0 + CONNECT_WINDOW_MS]);
  });

  it("never says to retry in less than a second", () => {
    const times = Array.from({ length: MAX_CONNECTS_PER_WINDOW }, () => t0);
    const v = admitConnect(times, t0 + CONNECT_WINDOW_MS - 1);
    expect(v.ok === false && v.retryAfterSeconds).toBe(1);
  });
});

describe("pruneAlarmAt", () => {
  it("is half the ping timeout away with no session expiring sooner", () => {
    expect(pruneAlarmAt(1000, 30_000)).toBe(16_000);
    expect(pruneAlarmAt(1000, 30_000, 50_000)).toBe(16_000);
  });

  it("is at the earliest session expiry when that comes first, and never in the past", () => {
    expect(pruneAlarmAt(1000, 30_000, 5000)).toBe(5000);
    expect(pruneAlarmAt(1000, 30_000, 500)).toBe(1000);
  });
});
