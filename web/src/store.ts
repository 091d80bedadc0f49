// The console's state: the board (a pure reducer fed by the switchboard), this agent's phone, and
// the actions an agent takes. Components read from here and call these actions; nothing else talks
// to the server. The rules live in pure modules: board.ts (what the board shows), notices.ts (what a
// message tells this agent), takeCall.ts (claim or retrieve, then connect, else give the call back),
// legs.ts (which of the phone's legs the board took away), phoneStatus.ts (the phone's readiness),
// pending.ts (requests in flight per call); shortcuts.ts (the keys) and roster.ts (the agents list)
// are the board component's.
import { createSignal } from "solid-js";
import { createStore, reconcile } from "solid-js/store";
import type { AgentView, ClaimResponse, RetrieveResponse, ServerMessage, StatusRequest } from "../../worker/protocol";
import { DEFAULT_AWAY_REASONS } from "../../worker/protocol";
import { api, ApiFailure, SignedOut } from "./api";
import { activeCallOf, apply, type BoardState, type CallDrag, type DropAction, emptyBoard, firstRetrievable, ringingFor } from "./board";
import { connectConsole, type Link, type LinkStatus } from "./connection";
import { dialStep, type HeldDial, normalizeNumber } from "./dialing";
import { type HeldLeg, isMine, reviewLegs } from "./legs";
import { addNotice, newRings, noticesFor } from "./notices";
import { notifyRing } from "./notify";
import { clearPending, isHandingOver, markPending, type Pending, type PendingByCall } from "./pending";
import type { Phone } from "./phone/phone";
import { SimulatorPhone } from "./phone/simulator";
import { phoneBanner, phoneRequest, type PhoneStatus, STARTING } from "./phoneStatus";
import { setRingback, setRinging } from "./ringtone";
import { takeCall, type TakeKind, type TakeOutcome } from "./takeCall";

export interface Notice {
  id: number;
  text: string;
  tone: "info" | "problem";
}

const NOTICE_MS = 8000;

export type { Pending } from "./pending";

/** This console is retrieving a call from the lot: asking the server, then connecting its phone. */
export interface Retrieving {
  callSid: string;
  stage: "requesting" | "connecting";
}

/** `onSignedOut(why)`: the session is gone; `why` is what the sign-in page tells the agent. */
export function createConsole(me: AgentView, phoneKind: "twilio" | "simulator", onSignedOut: (why?: string) => void) {
  const [board, setBoard] = createStore<BoardState>(structuredClone(emptyBoard));
  let current: BoardState = emptyBoard;
  const [link, setLink] = createSignal<LinkStatus>("connecting");
  /** Why the server closed this console for good while the session lives on (a newer console took over). */
  const [closedWhy, setClosedWhy] = createSignal<string | null>(null);
  const [notices, setNotices] = createSignal<Notice[]>([]);
  const [pending, setPending] = createSignal<PendingByCall>({});
  const [retrieving, setRetrieving] = createSignal<Retrieving | null>(null);
  const [dragging, setDragging] = createSignal<CallDrag | null>(null);
  const [muted, setMuted] = createSignal(false);
  const [phoneStatus, setPhoneStatus] = createSignal<PhoneStatus>(STARTING);
  /** My outbound call's ticket, held until the callee answers and my phone joins them. */
  let held: HeldDial | null = null;
  const [dialingOut, setDialingOut] = createSignal(false);
  /** The phone's legs, joining or connected, checked against the board after each change. */
  let legs: HeldLeg[] = [];
  let phone: Phone | null = null;
  let noticeId = 0;

  const name = (id: string | null | undefined) => (id ? (current.agents[id]?.name ?? id) : "another agent");

  function notice(text: string, tone: Notice["tone"] = "info"): void {
    // One notice says a thing once (addNotice): then no second one, and no timer for it.
    const n = { id: noticeId + 1, text, tone };
    const shown = addNotice(notices(), n);
    if (shown === notices()) return;
    noticeId = n.id;
    setNotices(shown);
    setTimeout(() => setNotices((all) => all.filter((x) => x.id !== n.id)), NOTICE_MS);
  }

  function onMessage(msg: ServerMessage): void {
    const before = current;
    current = apply(current, msg);
    // What changed is read before the store is updated: reconcile() keeps the plain objects it is
    // given and later rewrites them in place, so after setBoard the objects `before` shares with the
    // store already hold the new values (a claimed call no longer looked like it had rung here, and
    // "Answered by …" was never said; found by the browser tests).
    const said = noticesFor(before, current, msg, me.id);
    const rung = newRings(before, current, me.id);
    // Keyed by CallSid (the history's and voicemails' items both have one): merged by position,
    // reconcile rewrote the plain objects `current` shares with the store whenever a call was
    // prepended, so every history item became a copy of the newest call (found by the browser tests).
    setBoard(reconcile(current, { key: "callSid" }));
    for (const n of said) notice(n.text, n.tone);
    for (const call of rung) notifyRing(call.callSid, call.from);
    // The server forgets a phone's readiness when the agent's last console goes offline: say it again.
    if (msg.type === "snapshot") tellServerPhone(true);
    if (msg.type === "snapshot") loadOutcomes();
    reviewPhoneLegs();
    reviewDial();
    setRinging(ringingFor(current, me.id).length > 0 && !activeCallOf(current, me.id));
    // The carrier plays no ringback to an agent who called out (their phone joins only at the answer).
    setRingback(activeCallOf(current, me.id)?.phase === "dialing");
  }

  /**
   * My own view from an HTTP reply, shown at once as if the feed had sent it. The reply and the
   * feed's message of the same change can cross: the board keeps the newer version (applyAgentView).
   */
  function showAgent(agent: AgentView): void {
    onMessage({ type: "agent.updated", agent });
  }

  /** Hangs up the phone's legs for calls the board says this agent is no longer connected to. */
  function reviewPhoneLegs(): void {
    const review = reviewLegs(current, me.id, legs);
    legs = review.legs;
    for (const callSid of review.hangUp) phone?.hangup(callSid);
  }

  // PUT /api/me/phone, one at a time and in order, and only when there is something new to say.
  let phoneSent: string | null = null;
  let phoneQueue: Promise<void> = Promise.resolve();
  function tellServerPhone(again = false): void {
    const req = phoneRequest(phoneStatus());
    if (!req) return;
    const key = JSON.stringify(req);
    if (!again && key === phoneSent) return;
    phoneSent = key;
    phoneQueue = phoneQueue.then(async () => {
      try {
        showAgent((await api.setPhone(req.ready, req.reason)).agent);
      } catch (e) {
        if (phoneSent === key) phoneSent = null;
        if (e instanceof SignedOut) return onSignedOut();
        // Offline: the next snapshot (after the reconnect) sends it again.
        if (e instanceof ApiFailure) notice(`Could not tell the server whether your phone is ready: ${e.message}`, "problem");
      }
    });
  }

  function onPhoneStatus(status: PhoneStatus): void {
    setPhoneStatus(status);
    tellServerPhone();
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
      onEnded: (why) => {
        if (why.kind === "signed-out") return onSignedOut(why.notice);
        // Pushed out by a newer console: this one is silent now, so it must not keep ringing.
        setRinging(false);
        setClosedWhy(why.notice);
      },
      onNotice: (text) => notice(text, "problem"),
    });
    phone = phoneKind === "simulator" ? new SimulatorPhone() : new (await import("./phone/twilio")).TwilioPhone();
    phone.onEvent((e) => {
      switch (e.type) {
        case "ready":
          return onPhoneStatus({ state: "ready" });
        case "unready":
          return onPhoneStatus({ state: "unready", reason: e.reason });
        case "connected":
          legs = legs.map((l) => (l.callSid === e.callSid ? { ...l, connected: true } : l));
          return reviewPhoneLegs();
        case "disconnect":
          legs = legs.filter((l) => l.callSid !== e.callSid);
          return;
        case "error":
          return notice(e.message, "problem");
      }
    });
    await startPhone();
  }

  async function startPhone(): Promise<void> {
    try {
      await phone?.start();
    } catch (e) {
      onPhoneStatus({ state: "unready", reason: `the phone could not start (${(e as Error).message})` });
    }
  }

  /** The banner's "Try again": starts the phone anew (asks for the microphone again). */
  const restartPhone = () => {
    if (!phone || activeCallOf(current, me.id)) return;
    phone.stop();
    legs = [];
    setPhoneStatus(STARTING);
    void startPhone();
  };

  /** The agent wants this console back after a newer one pushed it out (which pushes out their oldest other). */
  function reopenLink(): void {
    setClosedWhy(null);
    linkHandle?.reopen();
  }

  function stop(): void {
    linkHandle?.close();
    phone?.stop();
    setRinging(false);
    setRingback(false);
  }

  function setBusy(callSid: string, what: Pending): void {
    setPending((p) => markPending(p, callSid, what));
  }

  /** Ends one request's busy mark, and only its own (clearPending says why). */
  function doneBusy(callSid: string, what: Pending): void {
    setPending((p) => clearPending(p, callSid, what));
  }

  /** A park or transfer of this call is under way. */
  const handingOver = (callSid: string) => isHandingOver(pending(), callSid);

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

  /** The phone joins the caller with the ticket; its leg is watched against the board meanwhile. */
  async function connectPhone(callSid: string, ticket: string): Promise<void> {
    if (!phone) throw new Error("the phone has not started");
    legs = [...legs.filter((l) => l.callSid !== callSid), { callSid, connected: false, seenMine: isMine(current, callSid, me.id) }];
    try {
      const joining = phone.connect(callSid, ticket);
      // Mute pressed before the leg existed (the card shows the call as soon as the board says it
      // is claimed, which can be before the claim's own answer): the new leg starts muted.
      if (muted()) phone.mute(callSid, true);
      await joining;
    } catch (e) {
      legs = legs.filter((l) => l.callSid !== callSid);
      throw e;
    }
  }

  /**
   * My outbound call: once the callee has answered (the board shows it claimed for me), my phone joins
   * them with the ticket the dial gave me; if it cannot, the call is given back and rings everyone.
   */
  function reviewDial(): void {
    const dialled = held;
    if (!dialled) return;
    const sid = dialled.callSid;
    const step = dialStep(dialled, current.calls[sid], current.history.some((h) => h.callSid === sid), me.id);
    if (step === "forget") held = null;
    if (step !== "connect") return;
    held = { ...dialled, joining: true };
    setMuted(false);
    connectPhone(sid, dialled.ticket).then(
      () => undefined,
      (e: unknown) => {
        const reason = e instanceof Error && e.message ? e.message : "the phone could not connect";
        notice(`Could not connect the call: ${reason}`, "problem");
        api.release(sid, reason).catch(() => undefined);
      },
    );
  }

  /** Calls a number (a call-back when `voicemailId` is given); my phone joins the callee when they answer. */
  const dial = (typed: string, voicemailId?: string) =>
    guarded(async () => {
      const n = normalizeNumber(typed);
      if (!n.ok) throw new Error(n.why);
      if (dialingOut() || held || activeCallOf(current, me.id)) throw new Error("finish the call you are on first");
      setDialingOut(true);
      try {
        const r = await api.dial(n.number, voicemailId);
        held = { callSid: r.callSid, ticket: r.ticket, joining: false };
        notice(`Calling ${n.number}…`);
        reviewDial();
      } finally {
        setDialingOut(false);
      }
    }, "Could not place the call");

  /** Claim (or retrieve) first, then connect the phone: the server decides who gets the call. */
  function take(kind: TakeKind, callSid: string, request: () => Promise<ClaimResponse | RetrieveResponse>, onWon?: () => void): Promise<TakeOutcome> {
    // A new call starts unmuted. Said before the request, not once it is won: the board can show the
    // call on the card (with its Mute button) before the claim's HTTP answer arrives, and a Mute
    // pressed then was undone when the answer came (found by the browser tests).
    setMuted(false);
    return takeCall(kind, callSid, {
      request,
      connect: connectPhone,
      release: (sid, reason) => api.release(sid, reason),
      name,
      won: () => onWon?.(),
    });
  }

  function report(outcome: TakeOutcome): void {
    if (outcome.kind === "lost") notice(outcome.notice); // losing the race is normal: a calm notice
    if (outcome.kind === "failed") notice(outcome.notice, "problem");
  }

  const answer = (callSid: string) =>
    guarded(async () => {
      if (pending()[callSid]) return;
      setBusy(callSid, "answering");
      try {
        report(await take("answer", callSid, () => api.claim(callSid)));
      } finally {
        doneBusy(callSid, "answering");
      }
    });

  /** No leg to refuse: the ring is the board's, so declining is only the server's to hear. */
  const decline = (callSid: string) =>
    guarded(async () => {
      if (pending()[callSid]) return;
      setBusy(callSid, "declining");
      try {
        await api.decline(callSid);
      } finally {
        doneBusy(callSid, "declining");
      }
    }, "Could not decline the call");

  /** Ends the call for the caller too; the phone's leg is hung up whatever the server said. */
  const hangup = (callSid: string) =>
    guarded(async () => {
      if (pending()[callSid] === "hanging-up") return;
      setBusy(callSid, "hanging-up");
      try {
        await api.hangup(callSid);
      } finally {
        phone?.hangup(callSid);
        doneBusy(callSid, "hanging-up");
      }
    }, "Could not end the call for the caller");

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

  /** Hands my connected call to a colleague: their console rings; if they do not take it, it goes to the lot. */
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

  /** Takes a call from the lot. Exactly one agent wins, with a ticket; the winner's phone then connects. */
  const retrieve = (callSid: string) =>
    guarded(async () => {
      if (retrieving() || pending()[callSid] || activeCallOf(current, me.id)) return;
      setRetrieving({ callSid, stage: "requesting" });
      setBusy(callSid, "retrieving");
      try {
        report(await take("retrieve", callSid, () => api.retrieve(callSid), () => setRetrieving({ callSid, stage: "connecting" })));
      } finally {
        if (retrieving()?.callSid === callSid) setRetrieving(null);
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

  const setAvailable = (available: boolean) => guarded(async () => showAgent((await api.setAvailable(available)).agent));
  /** Available, or Away with a reason from the admin's list. */
  const setStatus = (status: StatusRequest) => guarded(async () => showAgent((await api.setStatus(status)).agent));
  /** The admin's away reasons, read when my card's status picker appears. */
  const [awayReasons, setAwayReasons] = createSignal<string[]>([...DEFAULT_AWAY_REASONS]);
  const loadAwayReasons = () =>
    guarded(async () => {
      setAwayReasons(await api.awayReasons());
    });

  /** Ready: ends my wrap-up early. Held while the request is out, so that one press sends one. */
  const [readying, setReadying] = createSignal(false);
  const ready = () =>
    guarded(async () => {
      if (readying()) return;
      setReadying(true);
      try {
        const r = await api.ready();
        if (r) showAgent(r.agent);
      } finally {
        setReadying(false);
      }
    });

  const placeTestCall = () =>
    guarded(async () => {
      const from = "+1555" + String(Math.floor(1000000 + Math.random() * 8999999));
      await api.placeTestCall(from);
    });

  /** The admin's call outcomes for the note editor, read again on every (re)connection. */
  const [outcomes, setOutcomes] = createSignal<string[]>([]);
  function loadOutcomes(): void {
    api.callOutcomes().then(
      (r) => setOutcomes(r.outcomes),
      (e) => (e instanceof SignedOut ? onSignedOut() : undefined),
    );
  }

  /** Saves my note and outcome for a call; shown at once (the feed's call.noted follows). True when saved. */
  const saveNote = async (callSid: string, note: string, outcome: string | null): Promise<boolean> => {
    let saved = false;
    await guarded(async () => {
      const r = await api.saveNote(callSid, note, outcome);
      onMessage({ type: "call.noted", callSid, note: r.note });
      saved = true;
    }, "Could not save the note");
    return saved;
  };

  // The voicemail inbox. The change reaches this console as every other's, by voicemail.updated on the
  // feed (published before the reply is sent); a reply is not applied, so that it can never undo a
  // newer change from a colleague. True when the server accepted it.
  const inboxAction = async (request: () => Promise<unknown>, failed: string): Promise<boolean> => {
    let done = false;
    await guarded(async () => {
      await request();
      done = true;
    }, failed);
    return done;
  };
  const assignVoicemail = (id: string, agentId: string | null) => inboxAction(() => api.assignVoicemail(id, agentId), "Could not assign the voicemail");
  const handleVoicemail = (id: string, note: string) => inboxAction(() => api.handleVoicemail(id, note), "Could not mark the voicemail handled");
  const reopenVoicemail = (id: string) => inboxAction(() => api.reopenVoicemail(id), "Could not reopen the voicemail");

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
    closedWhy,
    reopenLink,
    notices,
    pending,
    handingOver,
    muted,
    phoneStatus,
    /** The banner's words while the phone is not ready, else null. */
    phoneBanner: () => phoneBanner(phoneStatus()),
    phoneReady: () => phoneStatus().state === "ready",
    restartPhone,
    start,
    stop,
    answer,
    decline,
    hangup,
    park,
    transfer,
    retrieve,
    retrieveFirst,
    dial,
    dialingOut,
    perform,
    retrieving,
    dragging,
    setDragging,
    toggleMute,
    setAvailable,
    setStatus,
    awayReasons,
    loadAwayReasons,
    ready,
    readying,
    placeTestCall,
    callerHangsUp,
    outcomes,
    saveNote,
    assignVoicemail,
    handleVoicemail,
    reopenVoicemail,
    signOut,
    dismiss: (id: number) => setNotices((all) => all.filter((n) => n.id !== id)),
  };
}

export type ConsoleStore = ReturnType<typeof createConsole>;
