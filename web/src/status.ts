// The agent's status as the console shows and picks it: pure, unit-tested (test/web/status-unit.test.ts).
import type { AgentView, StatusRequest } from "../../worker/protocol";

/** "Away · Lunch · 12 min", "Away · 3 min", "Available · 1 h 5 min"; no time when the server does not know it. */
export function statusText(agent: Pick<AgentView, "available" | "awayReason" | "statusSince">, now: number): string {
  const parts = [agent.available ? "Available" : "Away"];
  if (!agent.available && agent.awayReason) parts.push(agent.awayReason);
  if (agent.statusSince !== null) parts.push(sinceWords(now - agent.statusSince));
  return parts.join(" · ");
}

/** Whole minutes, at least 1 ("1 min" for the first minute too); hours past 60. */
export function sinceWords(ms: number): string {
  const min = Math.max(1, Math.floor(Math.max(0, ms) / 60_000));
  return min < 60 ? `${min} min` : `${Math.floor(min / 60)} h ${min % 60} min`;
}

/** One option of the status picker: its value and words. */
export interface StatusOption {
  value: string;
  label: string;
  /** Shown (it is the agent's status now) but not pickable: a reason not on the list, such as "Missed 3 calls". */
  disabled?: boolean;
}

/** "available", "away" (no reason: the old toggle's away), or "away:<reason>". */
export function statusValue(agent: Pick<AgentView, "available" | "awayReason">): string {
  if (agent.available) return "available";
  return agent.awayReason ? `away:${agent.awayReason}` : "away";
}

/** Available, Away (only while that is the status), Away – each reason, and the current one if it is not listed. */
export function statusOptions(agent: Pick<AgentView, "available" | "awayReason">, reasons: readonly string[]): StatusOption[] {
  const options: StatusOption[] = [{ value: "available", label: "Available" }];
  if (!agent.available && !agent.awayReason) options.push({ value: "away", label: "Away" });
  for (const r of reasons) options.push({ value: `away:${r}`, label: `Away – ${r}` });
  if (!agent.available && agent.awayReason && !reasons.includes(agent.awayReason)) {
    options.push({ value: `away:${agent.awayReason}`, label: `Away – ${agent.awayReason}`, disabled: true });
  }
  return options;
}

/** What a picked value asks of the server: a status, or the old toggle's away ("away"). */
export function statusRequest(value: string): StatusRequest | { available: false } {
  if (value === "available") return { status: "available" };
  if (value.startsWith("away:")) return { status: "away", reason: value.slice("away:".length) };
  return { available: false };
}
