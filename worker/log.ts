// One JSON line per decision, carrying the CallSid and agent, so `wrangler tail` can be filtered by call.
// Never pass secrets, tokens, passwords or cookies in `fields`.

export type LogFields = { callSid?: string | null; agentId?: string | null } & Record<string, unknown>;

export function log(event: string, fields: LogFields = {}, level: "info" | "warn" | "error" = "info"): void {
  const line = JSON.stringify({ at: new Date().toISOString(), level, event, ...fields });
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
}
