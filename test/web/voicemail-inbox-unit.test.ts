// The voicemail inbox's pure rules (web/src/inbox.ts), and the board keeping the unhandled count live.
import { describe, expect, it } from "vitest";
import type { ServerMessage, VoicemailView } from "../../worker/protocol";
import { apply, emptyBoard, type BoardState } from "../../web/src/board";
import {
  applyVoicemail,
  assigneeOptions,
  calledBackText,
  handledText,
  inboxFromSnapshot,
  inboxTab,
  tabLabel,
  unhandledLabel,
} from "../../web/src/inbox";
import { agent } from "./fixtures";

const vm = (id: string, over: Partial<VoicemailView> = {}): VoicemailView => ({
  id,
  callSid: "CA" + id,
  from: "+1555000" + id,
  audioUrl: `/api/voicemails/${id}/audio`,
  durationSeconds: 3,
  transcription: null,
  createdAt: Number(id.replace(/\D/g, "")) || 1,
  status: "new",
  assignedTo: null,
  handledBy: null,
  handledAt: null,
  handledNote: null,
  calledBackBy: null,
  calledBackAt: null,
  ...over,
});

const agents = { ann: { ...agent("ann"), name: "Ann Archer" }, bob: { ...agent("bob"), name: "Bob Brown" }, cy: { ...agent("cy"), name: "Cy Clark" } };
const at = (t: number) => `t${t}`;
const snapshot = (voicemails: VoicemailView[], unhandledVoicemails?: number): ServerMessage => ({ type: "snapshot", agents: [], calls: [], history: [], voicemails, unhandledVoicemails, at: 0 });
const run = (...msgs: ServerMessage[]): BoardState => msgs.reduce(apply, emptyBoard);

describe("the unhandled count", () => {
  it("comes from the snapshot, or counts the list when the snapshot has no count", () => {
    expect(inboxFromSnapshot([vm("1"), vm("2", { status: "handled" })], 7).unhandled).toBe(7);
    expect(inboxFromSnapshot([vm("1"), vm("2", { status: "handled" })], undefined).unhandled).toBe(1);
  });

  it("moves with each change of status, and the same view twice changes nothing", () => {
    let inbox = inboxFromSnapshot([vm("1")], 5);
    inbox = applyVoicemail(inbox, vm("2"));
    expect(inbox.unhandled).toBe(6);
    inbox = applyVoicemail(inbox, vm("2"));
    expect(inbox.unhandled).toBe(6);
    inbox = applyVoicemail(inbox, vm("1", { status: "handled", handledBy: "ann" }));
    expect(inbox.unhandled).toBe(5);
    inbox = applyVoicemail(inbox, vm("1", { status: "handled", handledBy: "ann", transcription: "hi" }));
    expect(inbox.unhandled).toBe(5);
    inbox = applyVoicemail(inbox, vm("1", { assignedTo: "bob" }));
    expect(inbox.unhandled).toBe(6);
    expect(inbox.voicemails.map((v) => v.id)).toEqual(["2", "1"]);
  });

  it("counts a voicemail the list lacks only if it is new now, and never goes below zero", () => {
    // Handled further back than the list reaches: it was handled already.
    expect(applyVoicemail(inboxFromSnapshot([], 0), vm("9", { status: "handled" })).unhandled).toBe(0);
    // Reopened from further back: one more.
    expect(applyVoicemail(inboxFromSnapshot([], 0), vm("9")).unhandled).toBe(1);
    expect(applyVoicemail({ voicemails: [vm("1")], unhandled: 0 }, vm("1", { status: "handled" })).unhandled).toBe(0);
  });

  it("is kept by the board from the snapshot and the feed", () => {
    const s = run(
      snapshot([vm("1"), vm("2")], 2),
      { type: "voicemail.created", voicemail: vm("3") },
      { type: "voicemail.updated", voicemail: vm("1", { status: "handled", handledBy: "ann", handledAt: 10, handledNote: "done" }) },
    );
    expect(s.unhandledVoicemails).toBe(2);
    expect(s.voicemails.map((v) => [v.id, v.status])).toEqual([
      ["3", "new"],
      ["2", "new"],
      ["1", "handled"],
    ]);
    expect(run(snapshot([vm("1")])).unhandledVoicemails).toBe(1);
  });
});

describe("the tabs", () => {
  const list = [vm("4", { assignedTo: "ann" }), vm("3", { assignedTo: "bob" }), vm("2", { status: "handled", assignedTo: "ann" }), vm("1")];

  it("New lists every new one, Mine the new ones assigned to me, Handled the rest", () => {
    expect(inboxTab(list, "new", "ann").map((v) => v.id)).toEqual(["4", "3", "1"]);
    expect(inboxTab(list, "mine", "ann").map((v) => v.id)).toEqual(["4"]);
    expect(inboxTab(list, "handled", "ann").map((v) => v.id)).toEqual(["2"]);
  });

  it("labels New with the count of all unhandled and Mine with mine", () => {
    expect(tabLabel("new", list, "ann", 12)).toBe("New (12)");
    expect(tabLabel("mine", list, "bob", 12)).toBe("Mine (1)");
    expect(tabLabel("handled", list, "bob", 12)).toBe("Handled");
    expect(unhandledLabel(0)).toBeNull();
    expect(unhandledLabel(1)).toBe("1 unhandled voicemail");
    expect(unhandledLabel(3)).toBe("3 unhandled voicemails");
  });
});

describe("the words", () => {
  it("says who handled it, when, and the note", () => {
    expect(handledText(vm("1"), agents, at)).toBeNull();
    expect(handledText(vm("1", { status: "handled", handledBy: "ann", handledAt: 42, handledNote: "Sent the invoice" }), agents, at)).toBe(
      "Handled by Ann Archer at t42 — Sent the invoice",
    );
    expect(handledText(vm("1", { status: "handled", handledBy: "ann", handledAt: 42 }), agents, at)).toBe("Handled by Ann Archer at t42");
    expect(handledText(vm("1", { status: "handled", handledBy: "gone", handledAt: 42 }), agents, at)).toBe("Handled by a former agent at t42");
  });

  it("says who called back and when", () => {
    expect(calledBackText(vm("1"), agents, at)).toBeNull();
    expect(calledBackText(vm("1", { calledBackBy: "bob", calledBackAt: 1042 }), agents, at)).toBe("Called back by Bob Brown at t1042");
  });

  it("offers the roster's agents by name for assignment", () => {
    expect(assigneeOptions({ cy: agents.cy, bob: agents.bob, ann: agents.ann }).map((a) => a.name)).toEqual(["Ann Archer", "Bob Brown", "Cy Clark"]);
  });
});
