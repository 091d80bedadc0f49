// The board's call recordings: from the snapshot's history, then call.recording; a call's own
// messages and a later snapshot keep them.
import { describe, expect, it } from "vitest";
import { apply, emptyBoard, type BoardState } from "../../web/src/board";
import { callRecordingAudioUrl, type CallRecordingView, type ServerMessage } from "../../worker/protocol";
import { agent, call } from "./fixtures";

const run = (...msgs: ServerMessage[]): BoardState => msgs.reduce(apply, emptyBoard);
const recording = (callSid: string): CallRecordingView => ({ recordingSid: "RE" + "1".repeat(32), durationSeconds: 61, audioUrl: callRecordingAudioUrl(callSid), createdAt: 10 });
const ended = call({ callSid: "CA1", phase: "ended", outcome: "answered", answeredBy: "a", recorded: true, seq: 9 });
const snapshot = (history = [ended]): ServerMessage => ({ type: "snapshot", agents: [agent("a")], calls: [], history, voicemails: [], unhandledVoicemails: 0, at: 0 });

describe("call recordings on the board", () => {
  it("reads them from the snapshot's history and from call.recording, and a call's end keeps them", () => {
    const s = run(snapshot([{ ...ended, recording: recording("CA1") }, { ...ended, callSid: "CA2", recording: null }]));
    expect(s.recordings).toEqual({ CA1: recording("CA1") });

    const live = call({ callSid: "CA3", phase: "connected", answeredBy: "a", recorded: true, seq: 3 });
    const after = run(snapshot(), { type: "call.connected", call: live, agentId: "a" }, { type: "call.ended", call: { ...live, phase: "ended", seq: 4 } }, { type: "call.recording", callSid: "CA3", recording: recording("CA3") });
    expect(after.recordings.CA3).toEqual(recording("CA3"));
    expect(after.recordings.CA3?.audioUrl).toBe("/api/calls/CA3/recording/audio");
    // A later message of the call does not drop it.
    expect(apply(after, { type: "call.ended", call: { ...live, phase: "ended", seq: 5 } }).recordings.CA3).toEqual(recording("CA3"));
  });

  it("keeps a recording that arrived while a snapshot without it was built, for a call still in the history", () => {
    const s = run(snapshot(), { type: "call.recording", callSid: "CA1", recording: recording("CA1") }, snapshot([ended]));
    expect(s.recordings.CA1).toEqual(recording("CA1"));
    // A call no longer in the history is forgotten.
    expect(run(snapshot(), { type: "call.recording", callSid: "CA1", recording: recording("CA1") }, snapshot([])).recordings).toEqual({});
  });
});
