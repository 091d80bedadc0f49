// The board's notes: from the snapshot's history, then call.noted; a call's own messages keep them.
import { describe, expect, it } from "vitest";
import { apply, emptyBoard, mayWriteNote, type BoardState } from "../../web/src/board";
import type { CallNote, ServerMessage } from "../../worker/protocol";
import { agent, call } from "./fixtures";

const run = (...msgs: ServerMessage[]): BoardState => msgs.reduce(apply, emptyBoard);
const note = (over: Partial<CallNote> = {}): CallNote => ({ text: "Refund", outcome: "Resolved", authorId: "a", updatedAt: 10, ...over });
const ended = call({ callSid: "CA1", phase: "ended", outcome: "answered", answeredBy: "a", seq: 9 });
const snapshot = (history = [ended]): ServerMessage => ({ type: "snapshot", agents: [agent("a"), agent("b")], calls: [], history, voicemails: [], at: 0 });

describe("notes on the board", () => {
  it("reads them from the snapshot's history and from call.noted, and a call's end keeps them", () => {
    const s = run(snapshot([{ ...ended, note: note() }, { ...ended, callSid: "CA2", note: null }]));
    expect(s.notes).toEqual({ CA1: note() });
    const live = call({ callSid: "CA3", phase: "connected", answeredBy: "b", seq: 3 });
    const after = run(snapshot(), { type: "call.connected", call: live, agentId: "b" }, { type: "call.noted", callSid: "CA3", note: note({ authorId: "b" }) }, { type: "call.ended", call: { ...live, phase: "ended", seq: 4 } });
    expect(after.notes.CA3).toEqual(note({ authorId: "b" }));
    expect(after.history[0]?.callSid).toBe("CA3");
  });

  it("keeps the newer of two copies, whichever arrives last", () => {
    const newer = note({ text: "Edited", updatedAt: 20 });
    expect(run(snapshot(), { type: "call.noted", callSid: "CA1", note: newer }, { type: "call.noted", callSid: "CA1", note: note() }).notes.CA1).toEqual(newer);
    // A snapshot built before the edit reached this console does not undo it.
    const s = run(snapshot(), { type: "call.noted", callSid: "CA1", note: newer }, snapshot([{ ...ended, note: note() }]));
    expect(s.notes.CA1).toEqual(newer);
  });

  it("lets the answering agent write the first note, and then only its author", () => {
    expect(mayWriteNote(ended, undefined, "a")).toBe(true);
    expect(mayWriteNote(ended, undefined, "b")).toBe(false);
    expect(mayWriteNote(ended, note({ authorId: "a" }), "a")).toBe(true);
    expect(mayWriteNote({ ...ended, answeredBy: "b" }, note({ authorId: "a" }), "b")).toBe(false);
  });
});
