// A real failed query against the real D1: drizzle's error carries the bound values (a password hash,
// an e-mail), and the error log line the worker writes for it (index.ts onError's logError) must not.
import { expect, it, vi } from "vitest";
import { agents } from "../../worker/db/schema";
import { logError } from "../../worker/log";
import { db, unique } from "./helpers";

it("logs a failed drizzle query with its query and D1's reason, but neither the hash nor the e-mail it bound", async () => {
  const id = unique("dup");
  const hash = `pbkdf2$600000$${id}$secrethashvalue`;
  const row = { id, name: "Dup", email: `${id}@example.test`, passwordHash: hash, role: "agent" as const, createdAt: Date.now() };
  await db().insert(agents).values(row);
  // The same primary key again: D1 refuses it, and drizzle wraps D1's error with the values it bound.
  const err = await db()
    .insert(agents)
    .values({ ...row, email: `other-${id}@example.test` })
    .then(
      () => null,
      (e: unknown) => e,
    );
  expect(String(err)).toContain("Failed query");
  expect(String(err)).toContain(hash); // the leak this defends against is real

  const lines: string[] = [];
  const spy = vi.spyOn(console, "error").mockImplementation((line: unknown) => void lines.push(String(line)));
  try {
    logError("http.error", err, { method: "POST", path: "/api/agents" });
  } finally {
    spy.mockRestore();
  }
  expect(lines).toHaveLength(1);
  const line = lines[0]!;
  expect(line).not.toContain(hash);
  expect(line).not.toContain("secrethashvalue");
  expect(line).not.toContain(`${id}@example.test`);
  const parsed: unknown = JSON.parse(line);
  expect(parsed).toMatchObject({ level: "error", event: "http.error", path: "/api/agents", error: expect.stringContaining('insert into "agents"') });
  expect(parsed).toMatchObject({ cause: expect.stringMatching(/UNIQUE constraint failed: agents\.id/) });
});
