// The console's state: the board (a pure reducer fed by the switchboard), this agent's phone, and
// the actions an agent takes. Components read from here and call these actions; nothing else talks
// to the server.
import { createSignal } from "solid-js";
import { createStore, reconcile } from "solid-js/store";
import { isCallMessage, type AgentView, type ServerMessage } from "../../worker/protocol";
import { api, ApiFailure, SignedOut } from "./api";
import { activeCallOf, apply, type BoardState, type CallDrag, type DropAction, emptyBoard, firstRetrievable, ringingFor } from "./board";
import { connectConsole, type Link, type LinkStatus } from "./connection";
import { notifyRing } from "./notify";
import type { Phone } from "./phone/phone";
import { SimulatorPhone } from "./phone/simulator";
import { setRinging } from "./ringtone";

export interface Notice {
  id: number;
  text: string;
  tone: "info" | "problem";
}

const NOTICE_MS = 8000;

/** A request in flight for one call: its buttons show it and refuse a second press. */
export type Pending = "answering" | "declining" | "parking" | "transferring" | "retrieving";

/**
 * This console is retrieving a call from the lot. Set before the request goes out, because the
 * carrier may ring this phone with the retrieved leg before the HTTP answer or the board's
 * call.retrieved arrives; the phone answers that leg by itself. "won" once the server said so.
 */
export interface Retrieving {
  callSid: string;
  stage: "requesting" | "won";
}

export function createConsole(me: AgentView, phoneKind: "twilio" | "simulator", onSignedOut: () => void) {
  const [board, setBoard] = createStore<BoardState>(structuredClone(emptyBoard));
  let current: BoardState = emptyBoard;
  const [link, setLink] = createSignal<LinkStatus>("connecting");
  const [notices, setNotices] = createSignal<Notice[]>([]);
  const [pending, setPending] = createSignal<Record<string, Pending>>({});
  const [retrieving, setRetrieving] = createSignal<Retrieving | null>(null);
  const [dragging, setDragging] = createSignal<CallDrag | null>(null);
  /** Parent CallSids with a leg ringing on this phone, not yet answered here. */
  const ringingLegs = new Set<string>();
  /** Retrieved calls this phone is answering by itself right now. */
  const autoAccepting = new Set<string>();
  const [muted, setMuted] = createSignal(false);
  const [phoneReady, setPhoneReady] = createSignal(false);
  let phone: Phone | null = null;
  let noticeId = 0;

  const name = (id: string | null | undefined) => (id ? (current.agents[id]?.name ?? id) : "another agent");

  function notice(text: string, tone: Notice["tone"] = "info"): void {
    const n = { id: ++noticeId, text, tone };
    setNotices((all) => [...all, n]);
    setTimeout(() => setNotices((all) => all.filter((x) => x.id !== n.id)), NOTICE_MS);
  }

  function onMessage(msg: ServerMessage): void {
    const before = current;
    current = apply(current, msg);
    setBoard(reconcile(current));
    // Someone else took a call that rang here: say who, calmly, and stop ringing it.
    if (msg.type === "call.answered" && msg.agentId !== me.id && before.calls[msg.call.callSid]?.ringing.includes(me.id)) {
      phone?.silence(msg.call.callSid);
      notice(`Answered by ${name(msg.agentId)}`);
    }
    if (msg.type === "call.claim_released" && msg.agentId !== me.id && msg.call.ringing.includes(me.id)) {
      notice(`${name(msg.agentId)} could not connect: the call is ringing again`);
    }
    if ((msg.type === "call.ringing" || msg.type === "call.transferring" || msg.type === "call.recalled") && msg.call.ringing.includes(me.id)) {
      notifyRing(msg.call.callSid, msg.call.from);
    }
    if (msg.type === "call.transfer_failed" && msg.from === me.id) {
      const slot = current.calls[msg.call.callSid]?.lot?.slot ?? msg.call.lot?.slot;
      notice(`${name(msg.to)} did not take the transfer: ${slot ? `the caller is in parking slot ${slot}` : "the caller is back in the parking lot"}`);
    }
    if (msg.type === "voicemail.created") notice(`New voicemail from ${msg.voicemail.from}`);
    if (isCallMessage(msg)) {
      forgetLostRetrieve(msg.call.callSid);
      answerRetrievedLeg(msg.call.callSid);
    }
    setRinging(ringingFor(current, me.id).length > 0 && !activeCallOf(current, me.id));
  }

  /** The board says this agent won a retrieve of this call and is not connected yet. */
  const retrievedByMe = (callSid: string) => {
    const call = current.calls[callSid];
    return !!call && call.phase === "claimed" && call.purpose === "retrieve" && call.claimedBy === me.id;
  };

  /**
   * A won retrieve whose call went elsewhere (back to the lot because the leg never came, ended):
   * forget it, or a later ring of the same call (a recall) would be answered without a claim.
   */
  function forgetLostRetrieve(callSid: string): void {
    const r = retrieving();
    if (r?.callSid !== callSid || r.stage !== "won" || autoAccepting.has(callSid)) return;
    if (!retrievedByMe(callSid)) setRetrieving(null);
  }

  /**
   * The retrieve was the claim: when the retrieved leg rings this phone, answer it. Either signal
   * may come first, the leg or the board (or the HTTP answer), so both call this.
   */
  function answerRetrievedLeg(callSid: string): void {
    if (!ringingLegs.has(callSid) || autoAccepting.has(callSid) || !phone) return;
    const ours = retrieving()?.callSid === callSid;
    if (!ours && !retrievedByMe(callSid)) return;
    autoAccepting.add(callSid);
    void guarded(async () => {
      try {
        setMuted(false);
        await phone!.accept(callSid);
      } catch (e) {
        // Only the console that asked gives the call back: another tab of the same agent, which
        // answers from the board alone, may simply have lost to this one.
        if (ours) await api.decline(callSid).catch(() => undefined);
        notice(`Could not connect the retrieved call: ${(e as Error).message}`, "problem");
      } finally {
        autoAccepting.delete(callSid);
        if (retrieving()?.callSid === callSid) setRetrieving(null);
      }
    });
  }

  let linkHandle: Link | null = null;

  async function start(): Promise<void> {
    linkHandle = connectConsole({
      onMessage,
      onStatus: setLink,
      onRefused: () => {
        // The socket may have been refused because the session expired: ask the API, which signs out on 401.
        api.me().catch(() => undefined);
      },
    });
    phone = phoneKind === "simulator" ? new SimulatorPhone() : new (await import("./phone/twilio")).TwilioPhone();
    phone.onEvent((e) => {
      if (e.type === "ready") setPhoneReady(true);
      if (e.type === "error") notice(e.message, "problem");
      if (e.type === "incoming") {
        ringingLegs.add(e.parentCallSid);
        answerRetrievedLeg(e.parentCallSid);
      }
      if (e.type === "connected" || e.type === "cancel" || e.type === "disconnect") ringingLegs.delete(e.parentCallSid);
    });
    try {
      await phone.start();
    } catch (e) {
      notice(`The phone could not start: ${(e as Error).message}`, "problem");
    }
  }

  function stop(): void {
    linkHandle?.close();
    phone?.stop();
    setRinging(false);
  }

  function setBusy(callSid: string, what: Pending): void {
    setPending((p) => ({ ...p, [callSid]: what }));
  }

  /**
   * Ends one request's busy mark, and only its own: a retrieved call can be connected, and parked
   * again, before the retrieve's own HTTP answer arrives.
   */
  function doneBusy(callSid: string, what: Pending): void {
    setPending((p) => {
      if (p[callSid] !== what) return p;
      const { [callSid]: _, ...rest } = p;
      return rest;
    });
  }

  /** A park or transfer of this call is under way. */
  const handingOver = (callSid: string) => {
    const p = pending()[callSid];
    return p === "parking" || p === "transferring";
  };

  /** Runs an action; a failure becomes a problem notice, prefixed with what failed when given. */
  async function guarded(fn: () => Promise<void>, failed?: string): Promise<void> {
    try {
      await fn();
    } catch (e) {
      if (e instanceof SignedOut) return onSignedOut();
      const why = e instanceof ApiFailure ? e.message : (e as Error).message;
      notice(failed ? `${failed}: ${why}` : why, "problem");
    }
  }

  /** Claim first, then accept on the phone: the claim decides who gets the call. */
  const answer = (callSid: string) =>
    guarded(async () => {
      if (pending()[callSid]) return;
      setBusy(callSid, "answering");
      try {
        const result = await api.claim(callSid);
        if (!result.claimed) {
          phone?.silence(callSid);
          // Losing the race is normal: a calm notice, not an error.
          notice(result.busyWith ? "You are already on a call" : `Answered by ${name(result.claimedBy)}`);
          return;
        }
        try {
          // A new call starts unmuted. Said before the accept, not after: the agent may already
          // have pressed Mute by the time the accept resolves (the card shows the call on the claim).
          setMuted(false);
          await phone!.accept(callSid);
        } catch (e) {
          // Give the call back at once rather than make the others wait for the lease.
          await api.decline(callSid).catch(() => undefined);
          notice(`Could not connect the call: ${(e as Error).message}`, "problem");
        }
      } finally {
        doneBusy(callSid, "answering");
      }
    });

  const decline = (callSid: string) =>
    guarded(async () => {
      setBusy(callSid, "declining");
      try {
        phone?.reject(callSid);
        ringingLegs.delete(callSid);
        await api.decline(callSid);
      } finally {
        doneBusy(callSid, "declining");
      }
    });

  const hangup = (callSid: string) => phone?.hangup(callSid);

  /** Puts my connected call in the lot; the carrier takes the caller off my phone. */
  const park = (callSid: string) =>
    guarded(async () => {
      if (handingOver(callSid)) return;
      setBusy(callSid, "parking");
      try {
        const r = await api.park(callSid);
        notice(`Parked in slot ${r.slot}`);
      } finally {
        doneBusy(callSid, "parking");
      }
    }, "Could not park the call");

  /** Hands my connected call to a colleague: their phone rings; if they do not take it, it goes to the lot. */
  const transfer = (callSid: string, to: string) =>
    guarded(async () => {
      if (handingOver(callSid)) return;
      setBusy(callSid, "transferring");
      try {
        await api.transfer(callSid, to);
        notice(`Transferring to ${name(to)}…`);
      } finally {
        doneBusy(callSid, "transferring");
      }
    }, `Could not transfer the call to ${name(to)}`);

  /** Takes a call from the lot. Exactly one agent wins; the winner's phone then answers by itself. */
  const retrieve = (callSid: string) =>
    guarded(async () => {
      if (retrieving() || pending()[callSid] || activeCallOf(current, me.id)) return;
      setRetrieving({ callSid, stage: "requesting" });
      setBusy(callSid, "retrieving");
      let won = false;
      try {
        const r = await api.retrieve(callSid);
        if (!r.retrieved) {
          // Losing the race is normal: a calm notice, not an error.
          notice(r.busyWith ? "You are already on a call" : `Retrieved by ${name(r.retrievedBy)}`);
          return;
        }
        won = true;
        // The leg may already be answered (it can ring before this answer arrives). The board may
        // still show the call parked: only a later message of this call can say the retrieve was lost.
        if (retrieving()?.callSid === callSid && !autoAccepting.has(callSid)) setRetrieving({ callSid, stage: "won" });
      } finally {
        if (!won && retrieving()?.callSid === callSid) setRetrieving(null);
        doneBusy(callSid, "retrieving");
      }
    }, "Could not retrieve the call");

  const retrieveFirst = () => {
    const call = firstRetrievable(current);
    if (call) void retrieve(call.callSid);
  };

  /** A drop the board allowed (see dropAction). */
  const perform = (action: DropAction) => {
    if (action.action === "park") return void park(action.callSid);
    if (action.action === "transfer") return void transfer(action.callSid, action.to);
    return void retrieve(action.callSid);
  };

  const toggleMute = (callSid: string) => {
    const next = !muted();
    phone?.mute(callSid, next);
    setMuted(next);
  };

  const setAvailable = (available: boolean) => guarded(async () => void (await api.setAvailable(available)));

  const placeTestCall = () =>
    guarded(async () => {
      const from = "+1555" + String(Math.floor(1000000 + Math.random() * 8999999));
      await api.placeTestCall(from);
    });

  const callerHangsUp = (callSid: string) => guarded(async () => void (await api.hangUpTestCall(callSid)));

  const signOut = () =>
    guarded(async () => {
      await api.signOut();
      onSignedOut();
    });

  return {
    me,
    phoneKind,
    board,
    link,
    notices,
    pending,
    handingOver,
    muted,
    phoneReady,
    start,
    stop,
    answer,
    decline,
    hangup,
    park,
    transfer,
    retrieve,
    retrieveFirst,
    perform,
    retrieving,
    dragging,
    setDragging,
    toggleMute,
    setAvailable,
    placeTestCall,
    callerHangsUp,
    signOut,
    dismiss: (id: number) => setNotices((all) => all.filter((n) => n.id !== id)),
  };
}

export type ConsoleStore = ReturnType<typeof createConsole>;
