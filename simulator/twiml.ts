// Reads the TwiML the product returns, the way Twilio would: a small XML reader (workerd has no
// DOMParser) and a check of the verbs and nouns the simulator can execute. Anything else is an
// error on the call, like Twilio's 12100 "Document parse failure" and 12200 "Schema validation".

export interface XmlNode {
  name: string;
  attrs: Record<string, string>;
  children: XmlNode[];
  text: string;
}

export class TwimlError extends Error {
  constructor(
    readonly code: 12100 | 12200 | 13233 | 13238,
    message: string,
  ) {
    super(message);
  }
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

function decode(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);/g, (m, e: string) => {
    if (e.startsWith("#x")) return String.fromCodePoint(parseInt(e.slice(2), 16));
    if (e.startsWith("#")) return String.fromCodePoint(parseInt(e.slice(1), 10));
    return ENTITIES[e] ?? m;
  });
}

/** Parses one XML document into its root element; throws TwimlError(12100) when it is not well formed. */
export function parseXml(xml: string): XmlNode {
  const src = xml.replace(/<\?xml[^?]*\?>/, "").replace(/<!--[\s\S]*?-->/g, "");
  const tag = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g;
  const root: XmlNode = { name: "#root", attrs: {}, children: [], text: "" };
  const stack: XmlNode[] = [root];
  let last = 0;
  for (let m = tag.exec(src); m; m = tag.exec(src)) {
    const between = src.slice(last, m.index);
    if (/[<>]/.test(between)) throw new TwimlError(12100, "Document parse failure: stray markup");
    stack.at(-1)!.text += decode(between);
    last = tag.lastIndex;
    const [, closing, name, rawAttrs, selfClosing] = m;
    if (closing) {
      const open = stack.pop();
      if (!open || open.name !== name || stack.length === 0) throw new TwimlError(12100, `Document parse failure: unexpected </${name}>`);
      continue;
    }
    const attrs: Record<string, string> = {};
    for (const a of rawAttrs!.matchAll(/([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) attrs[a[1]!] = decode(a[2] ?? a[3] ?? "");
    const node: XmlNode = { name: name!, attrs, children: [], text: "" };
    stack.at(-1)!.children.push(node);
    if (!selfClosing) stack.push(node);
  }
  const rest = src.slice(last);
  if (/[<>]/.test(rest) || stack.length !== 1) throw new TwimlError(12100, "Document parse failure: unclosed element");
  if (root.children.length !== 1 || root.text.trim() !== "") throw new TwimlError(12100, "Document parse failure: one root element expected");
  return root.children[0]!;
}

export type HttpMethod = "GET" | "POST";

/** A <Conference> noun with Twilio's defaults filled in (voice/twiml/conference). */
export interface ConferenceNoun {
  name: string;
  participantLabel: string | null;
  muted: boolean;
  beep: "true" | "false" | "onEnter" | "onExit";
  startConferenceOnEnter: boolean;
  endConferenceOnExit: boolean;
  jitterBufferSize: "small" | "medium" | "large" | "off";
  /** null: the attribute is absent, Twilio plays its default classical playlist; "": plays nothing. */
  waitUrl: string | null;
  waitMethod: HttpMethod;
  statusCallback: string | null;
  statusCallbackMethod: HttpMethod;
  statusCallbackEvents: string[];
}

export type DialVerb = { verb: "Dial"; action: string | null; method: HttpMethod; timeLimit: number; conference: ConferenceNoun };

export type Verb =
  | { verb: "Say"; text: string; loop: number }
  | { verb: "Play"; url: string; loop: number }
  | { verb: "Pause"; length: number }
  | DialVerb
  | {
      verb: "Record";
      action: string | null;
      maxLength: number;
      timeout: number;
      recordingStatusCallback: string | null;
      transcribe: boolean;
      transcribeCallback: string | null;
    }
  /** An empty url means the current document again (Twilio re-requests it). */
  | { verb: "Redirect"; url: string; method: HttpMethod }
  | { verb: "Hangup" };

function int(attrs: Record<string, string>, name: string, fallback: number, min: number, max: number): number {
  const raw = attrs[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new TwimlError(12200, `Schema validation: ${name}="${raw}" must be an integer from ${min} to ${max}`);
  return n;
}

function oneOf<T extends string>(attrs: Record<string, string>, name: string, allowed: readonly T[], fallback: T, caseless = false): T {
  const raw = attrs[name];
  if (raw === undefined) return fallback;
  const hit = allowed.find((v) => (caseless ? v.toLowerCase() === raw.toLowerCase() : v === raw));
  if (!hit) throw new TwimlError(12200, `Schema validation: ${name}="${raw}" must be one of ${allowed.join(", ")}`);
  return hit;
}

function bool(attrs: Record<string, string>, name: string, fallback: boolean): boolean {
  return oneOf(attrs, name, ["true", "false"] as const, fallback ? "true" : "false") === "true";
}

function method(attrs: Record<string, string>, name: string): HttpMethod {
  return oneOf(attrs, name, ["GET", "POST"] as const, "POST", true);
}

/** The events statusCallbackEvent may name (voice/twiml/conference); the simulator emits start, end, join, leave and mute. */
const CONFERENCE_EVENTS = ["start", "end", "join", "leave", "mute", "hold", "modify", "speaker", "announcement"] as const;

function conference(node: XmlNode): ConferenceNoun {
  if (node.name !== "Conference") {
    // The product dials nothing but its per-call conference; <Client>, <Number>, <Queue>… are refused so
    // that TwiML of the old ring-all model cannot pass locally by accident.
    throw new TwimlError(12200, `Schema validation: <Dial> cannot contain <${node.name}> in the simulator (only <Conference>)`);
  }
  const a = node.attrs;
  const name = node.text.trim();
  if (!name) throw new TwimlError(12200, "Schema validation: <Conference> needs a name");
  const label = a.participantLabel ?? null;
  if (label !== null && (label.length === 0 || label.length > 128)) throw new TwimlError(12200, "Schema validation: participantLabel must be 1 to 128 characters");
  const events = (a.statusCallbackEvent ?? "start end").split(/[\s,]+/).filter(Boolean);
  for (const e of events) {
    if (!(CONFERENCE_EVENTS as readonly string[]).includes(e)) throw new TwimlError(12200, `Schema validation: statusCallbackEvent "${e}" is not one of ${CONFERENCE_EVENTS.join(" ")}`);
  }
  const waitUrl = a.waitUrl ?? null;
  // Twilio: an invalid waitUrl is error 13233.
  if (waitUrl && !/^https?:\/\/\S+$/.test(waitUrl)) throw new TwimlError(13233, `waitUrl "${waitUrl}" is not an absolute http(s) URL`);
  return {
    name,
    participantLabel: label,
    muted: bool(a, "muted", false),
    beep: oneOf(a, "beep", ["true", "false", "onEnter", "onExit"] as const, "true"),
    startConferenceOnEnter: bool(a, "startConferenceOnEnter", true),
    endConferenceOnExit: bool(a, "endConferenceOnExit", false),
    jitterBufferSize: oneOf(a, "jitterBufferSize", ["small", "medium", "large", "off"] as const, "large"),
    waitUrl,
    waitMethod: method(a, "waitMethod"),
    statusCallback: a.statusCallback ?? null,
    statusCallbackMethod: method(a, "statusCallbackMethod"),
    statusCallbackEvents: events,
  };
}

/** The verbs of a <Response>, checked; throws TwimlError for anything Twilio would refuse or we cannot run. */
export function parseTwiml(xml: string): Verb[] {
  const root = parseXml(xml);
  if (root.name !== "Response") throw new TwimlError(12100, `Document parse failure: root element must be <Response>, got <${root.name}>`);
  return root.children.map((n): Verb => {
    const a = n.attrs;
    switch (n.name) {
      case "Say":
        return { verb: "Say", text: n.text.trim(), loop: int(a, "loop", 1, 0, 1000) };
      case "Play":
        return { verb: "Play", url: n.text.trim(), loop: int(a, "loop", 1, 0, 1000) };
      case "Pause":
        return { verb: "Pause", length: int(a, "length", 1, 0, 3600) };
      case "Dial": {
        if (n.text.trim()) throw new TwimlError(12200, "Schema validation: <Dial> with a bare number is not supported by the simulator (only <Conference>)");
        if (n.children.length !== 1) throw new TwimlError(12200, `Schema validation: <Dial> needs exactly one <Conference>, got ${n.children.length} nouns`);
        return {
          verb: "Dial",
          action: a.action ?? null,
          method: method(a, "method"),
          timeLimit: int(a, "timeLimit", 14_400, 1, 86_400),
          conference: conference(n.children[0]!),
        };
      }
      case "Record":
        return {
          verb: "Record",
          action: a.action ?? null,
          maxLength: int(a, "maxLength", 3600, 1, 14400),
          timeout: int(a, "timeout", 5, 0, 3600),
          recordingStatusCallback: a.recordingStatusCallback ?? null,
          transcribe: a.transcribe === "true",
          transcribeCallback: a.transcribeCallback ?? null,
        };
      case "Redirect":
        return { verb: "Redirect", url: n.text.trim(), method: method(a, "method") };
      case "Hangup":
        return { verb: "Hangup" };
      default:
        throw new TwimlError(12200, `Schema validation: the simulator does not support <${n.name}>`);
    }
  });
}

/** The verbs a waitUrl document may use (voice/twiml/conference#attributes-waiturl). */
const WAIT_VERBS = ["Play", "Say", "Pause", "Redirect"];

/**
 * A waitUrl answer: TwiML limited to <Play>, <Say>, <Pause> and <Redirect>. Any other verb is Twilio's
 * error 13238 (checked on the raw element names first, so that <Gather> or <Hangup> give 13238 and
 * not the simulator's generic 12200).
 */
export function parseWaitTwiml(xml: string): Verb[] {
  const root = parseXml(xml);
  if (root.name !== "Response") throw new TwimlError(12100, `Document parse failure: root element must be <Response>, got <${root.name}>`);
  const bad = root.children.find((c) => !WAIT_VERBS.includes(c.name));
  if (bad) throw new TwimlError(13238, `Invalid verb <${bad.name}> in a conference waitUrl: only <Play>, <Say>, <Pause> and <Redirect> are allowed`);
  return parseTwiml(xml);
}
