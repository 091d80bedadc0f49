// The switchboard's limits on real sockets: consoles per agent, frame size, and connects per agent.
import { describe, expect, it } from "vitest";
import { CLOSE } from "../../worker/protocol";
import { MAX_CONNECTS_PER_WINDOW, MAX_CONSOLES_PER_AGENT, MAX_FRAME_BYTES } from "../../worker/switchboard/limits";
import { api, Console, createAgents, online, ORIGIN } from "../worker/helpers";
import { closing, isOpen } from "./sockets";

describe("consoles per agent", () => {
  it(`closes the oldest with 4008 when the agent opens console number ${MAX_CONSOLES_PER_AGENT + 1}, and keeps the rest`, async () => {
    const [a] = await createAgents(1);
    const opened: Console[] = [];
    for (let i = 0; i < MAX_CONSOLES_PER_AGENT; i++) opened.push(await Console.open(a));
    const oldestClosed = closing(opened[0]!.ws);
    const newest = await Console.open(a);
    expect(await oldestClosed).toEqual(CLOSE.tooManyConsoles);
    for (const c of [...opened.slice(1), newest]) expect(await isOpen(c.ws)).toBe(true);
  });

  it("keeps the agent online throughout: the colleagues see no presence change", async () => {
    const [a, b] = await createAgents(2);
    const [colleague] = await online([b]);
    for (let i = 0; i <= MAX_CONSOLES_PER_AGENT; i++) await Console.open(a);
    // A marker after the opens: b's own presence change, sent to every console in order.
    const marker = await Console.open(b);
    await colleague.next((m) => m.type === "agent.presence" && m.agentId === a.id && m.online);
    expect(colleague.messages.filter((m) => m.type === "agent.presence" && m.agentId === a.id && !m.online)).toEqual([]);
    expect(await isOpen(marker.ws)).toBe(true);
  });
});

describe("frame size", () => {
  it(`closes a console that sends more than ${MAX_FRAME_BYTES} bytes with 1009, and its agent goes offline`, async () => {
    const [a, b] = await createAgents(2);
    const [big, colleague] = await online([a, b]);
    const closed = closing(big.ws);
    big.ws.send("x".repeat(MAX_FRAME_BYTES + 1));
    expect(await closed).toEqual(CLOSE.frameTooLarge);
    await colleague.next((m) => m.type === "agent.presence" && m.agentId === a.id && !m.online);
  });

  it("answers a small wrong frame with an error and keeps the console", async () => {
    const [a] = await createAgents(1);
    const [c] = await online([a]);
    c.ws.send("x".repeat(MAX_FRAME_BYTES));
    await c.next((m) => m.type === "error");
    expect(await isOpen(c.ws)).toBe(true);
  });
});

describe("connects per agent", () => {
  it(`refuses upgrade number ${MAX_CONNECTS_PER_WINDOW + 1} within the window with 429 and Retry-After, before any socket`, async () => {
    const [a, b] = await createAgents(2);
    for (let i = 0; i < MAX_CONNECTS_PER_WINDOW; i++) await Console.open(a);
    const res = await api("/api/console", a.cookie, { headers: { Upgrade: "websocket", Origin: ORIGIN } });
    expect(res.status).toBe(429);
    expect(res.webSocket).toBeNull();
    const retry = Number(res.headers.get("Retry-After"));
    expect(retry).toBeGreaterThanOrEqual(1);
    expect(retry).toBeLessThanOrEqual(10);
    expect(((await res.json()) as { error: string }).error).toMatch(/too many console connections/);
    // Per agent: a colleague connects as usual.
    await Console.open(b);
  });
});
