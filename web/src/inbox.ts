// The voicemail inbox's rules, pure: the unhandled count kept live from the feed, the tabs, and the
// words the inbox shows. The board (board.ts) keeps the list; components only read these.
import type { AgentView, VoicemailView } from "../../worker/protocol";

export type InboxTab = "new" | "mine" | "handled";
export const INBOX_TABS: readonly InboxTab[] = ["new", "mine", "handled"];

export interface Inbox {
  /** Newest first. */
  voicemails: VoicemailView[];
  /** How many are "new" in all, including any the list does not hold. */
  unhandled: number;
}

const isNew = (v: VoicemailView) => v.status === "new";

/**
 * From a snapshot: its count, or (from a switchboard that sends none) the new ones it lists. The
 * snapshot lists every unhandled voicemail (up to 200), so a voicemail the list lacks was handled.
 */
export function inboxFromSnapshot(voicemails: VoicemailView[], unhandled: number | undefined): Inbox {
  return { voicemails, unhandled: unhandled ?? voicemails.filter(isNew).length };
}

/**
 * A voicemail.created or voicemail.updated: the view replaces its old copy, and the count moves by the
 * change of status. One the list does not hold counts as new only if it is new now (a caller's fresh
 * message, or one reopened from further back than the list reaches). Applying the same view twice
 * changes nothing.
 */
export function applyVoicemail(inbox: Inbox, v: VoicemailView): Inbox {
  const old = inbox.voicemails.find((x) => x.id === v.id);
  const was = old ? (isNew(old) ? 1 : 0) : 0;
  const unhandled = Math.max(0, inbox.unhandled + (isNew(v) ? 1 : 0) - was);
  const rest = inbox.voicemails.filter((x) => x.id !== v.id);
  return { voicemails: [v, ...rest].sort((a, b) => b.createdAt - a.createdAt), unhandled };
}

/** What a tab lists: New (every unhandled one), Mine (unhandled, assigned to me), Handled. */
export function inboxTab(voicemails: readonly VoicemailView[], tab: InboxTab, me: string): VoicemailView[] {
  if (tab === "handled") return voicemails.filter((v) => !isNew(v));
  if (tab === "mine") return voicemails.filter((v) => isNew(v) && v.assignedTo === me);
  return voicemails.filter(isNew);
}

export function tabLabel(tab: InboxTab, voicemails: readonly VoicemailView[], me: string, unhandled: number): string {
  if (tab === "new") return `New (${unhandled})`;
  if (tab === "mine") return `Mine (${inboxTab(voicemails, "mine", me).length})`;
  return "Handled";
}

/** The header's badge: "3 unhandled voicemails", or null when there are none. */
export function unhandledLabel(n: number): string | null {
  if (n <= 0) return null;
  return n === 1 ? "1 unhandled voicemail" : `${n} unhandled voicemails`;
}

/** An agent's name from the roster (which lists the agents who are not disabled). */
export function agentName(agents: Record<string, AgentView>, id: string): string {
  return agents[id]?.name ?? "a former agent";
}

/** Whom a voicemail may be assigned to: the active agents, by name. */
export function assigneeOptions(agents: Record<string, AgentView>): { id: string; name: string }[] {
  return Object.values(agents)
    .map((a) => ({ id: a.id, name: a.name }))
    .sort((a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
}

export const clockTime = (at: number): string => new Date(at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

/** "Handled by Ann Archer at 10:42 — Called back, sorted", or null while new. */
export function handledText(v: VoicemailView, agents: Record<string, AgentView>, time: (at: number) => string = clockTime): string | null {
  if (isNew(v)) return null;
  const who = v.handledBy ? agentName(agents, v.handledBy) : "a former agent";
  const when = v.handledAt !== null ? ` at ${time(v.handledAt)}` : "";
  return `Handled by ${who}${when}${v.handledNote ? ` — ${v.handledNote}` : ""}`;
}

/** "Called back by Bob Brown at 10:42", or null when nobody called back from it. */
export function calledBackText(v: VoicemailView, agents: Record<string, AgentView>, time: (at: number) => string = clockTime): string | null {
  if (!v.calledBackBy || v.calledBackAt === null) return null;
  return `Called back by ${agentName(agents, v.calledBackBy)} at ${time(v.calledBackAt)}`;
}
