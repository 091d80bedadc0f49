// What a log line may carry, checked on the redaction step alone: no secret, no query parameters,
// no full phone number, whatever fields a caller passes.
import { describe, expect, it, vi } from "vitest";
import { log } from "../../worker/log";
import { maskNumber, REDACTED, redactFields, stripParams } from "../../worker/redact";

const HASH = "pbkdf2$600000$c2FsdA$aGFzaGhhc2hoYXNo";
const EMAIL = "alice@example.com";
const SID = "CA" + "1".repeat(32);

describe("secret fields", () => {
  it("replaces every field named like a credential, at any depth, and keeps the rest", () => {
    const out = redactFields({
      callSid: SID,
      agentId: "alice",
      passwordHash: HASH,
      token: "eyJhbGciOi",
      sessionHash: "abc",
      nested: { reply: { ticket: "t-123", status: "won" }, headers: { Authorization: "Basic QUM6dG9r", Cookie: "ringall_session=x" } },
      list: [{ apiKeySecret: "s3cret" }],
      TWILIO_AUTH_TOKEN: "tok",
      signature: "sig",
    });
    expect(out).toEqual({
      callSid: SID,
      agentId: "alice",
      passwordHash: REDACTED,
      token: REDACTED,
      sessionHash: REDACTED,
      nested: { reply: { ticket: REDACTED, status: "won" }, headers: { Authorization: REDACTED, Cookie: REDACTED } },
      list: [{ apiKeySecret: REDACTED }],
      TWILIO_AUTH_TOKEN: REDACTED,
      signature: REDACTED,
    });
  });

  it("leaves an absent secret field absent, so a line says it was not there", () => {
    expect(redactFields({ token: undefined, ticket: null })).toEqual({ token: undefined, ticket: null });
  });
});

describe("drizzle's query parameters", () => {
  const failed = `Failed query: insert into "agents" ("id", "email", "password_hash") values (?, ?, ?)\nparams: ag_1,${EMAIL},${HASH}`;

  it("drops everything from params: on, keeping the query that failed", () => {
    const out = stripParams(failed);
    expect(out).toContain('Failed query: insert into "agents"');
    expect(out).not.toContain(EMAIL);
    expect(out).not.toContain(HASH);
  });

  it("keeps a stack's frames after the parameters, so an error still says where it happened", () => {
    const stack = `DrizzleQueryError: ${failed}\n    at D1PreparedQuery.queryWithCache (drizzle-orm/d1/session.js:10:5)\n    at insertAgent (worker/db/agents.ts:66:3)`;
    const out = stripParams(stack);
    expect(out).not.toContain(EMAIL);
    expect(out).not.toContain(HASH);
    expect(out).toContain("at insertAgent (worker/db/agents.ts:66:3)");
  });

  it("strips them from any string field, and from an Error passed as is", () => {
    const err = new Error(failed);
    const out = JSON.stringify(redactFields({ error: failed, detail: { message: failed }, err }));
    expect(out).not.toContain(EMAIL);
    expect(out).not.toContain(HASH);
    expect(out).toContain("Failed query");
  });

  it("leaves text without parameters alone", () => {
    expect(stripParams("D1_ERROR: UNIQUE constraint failed: agents.email")).toBe("D1_ERROR: UNIQUE constraint failed: agents.email");
  });
});

describe("caller numbers", () => {
  it("keeps only the last four digits", () => {
    expect(maskNumber("+15551230001")).toBe("+•••••••0001");
    expect(maskNumber("5551230001")).toBe("••••••0001");
  });

  it("masks number fields in log lines of every level, never the CallSid that traces the call", () => {
    const lines: string[] = [];
    const keep = (line: unknown) => void lines.push(String(line));
    const spies = [vi.spyOn(console, "log").mockImplementation(keep), vi.spyOn(console, "warn").mockImplementation(keep), vi.spyOn(console, "error").mockImplementation(keep)];
    try {
      for (const level of ["info", "warn", "error"] as const) log("test.numbers", { callSid: SID, from: "+15551230001", to: "+15559990000", caller: "+447700900123" }, level);
    } finally {
      for (const s of spies) s.mockRestore();
    }
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      expect(JSON.parse(line)).toMatchObject({ event: "test.numbers", callSid: SID, from: "+•••••••0001", to: "+•••••••0000", caller: "+••••••••0123" });
    }
  });

  it("leaves a number field that holds no phone number as it is (a Client identity, an agent id)", () => {
    expect(redactFields({ from: "client:alice", to: "bob_2024_12345" })).toEqual({ from: "client:alice", to: "bob_2024_12345" });
  });

  it("masks E.164 numbers inside free text, such as a Twilio error message or a URL", () => {
    const out = redactFields({ error: "The 'To' number +15551230001 is not a valid phone number.", url: "https://x.test/twilio/voice?From=+15551230001" });
    expect(JSON.stringify(out)).not.toContain("5551230001");
    expect(out.error).toBe("The 'To' number +•••••••0001 is not a valid phone number.");
  });
});
