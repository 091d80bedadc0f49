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
    readonly code: 12100 | 12200,
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

export interface ClientNoun {
  identity: string;
  parameters: Record<string, string>;
  statusCallback: string | null;
  statusCallbackEvents: string[];
}

export type Verb =
  | { verb: "Say"; text: string; loop: number }
  | { verb: "Play"; url: string; loop: number }
  | { verb: "Pause"; length: number }
  | { verb: "Dial"; timeout: number; action: string | null; answerOnBridge: boolean; clients: ClientNoun[] }
  | {
      verb: "Record";
      action: string | null;
      maxLength: number;
      timeout: number;
      recordingStatusCallback: string | null;
      transcribe: boolean;
      transcribeCallback: string | null;
    }
  | { verb: "Redirect"; url: string }
  | { verb: "Hangup" };

function int(attrs: Record<string, string>, name: string, fallback: number, min: number, max: number): number {
  const raw = attrs[name];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new TwimlError(12200, `Schema validation: ${name}="${raw}" must be an integer from ${min} to ${max}`);
  return n;
}

function client(node: XmlNode): ClientNoun {
  if (node.name !== "Client") throw new TwimlError(12200, `Schema validation: <Dial> cannot contain <${node.name}> in the simulator`);
  const identityNode = node.children.find((c) => c.name === "Identity");
  const identity = (identityNode?.text ?? node.text).trim();
  if (!/^[A-Za-z0-9_]{1,121}$/.test(identity)) throw new TwimlError(12200, `Schema validation: invalid client identity "${identity}"`);
  const parameters: Record<string, string> = {};
  for (const p of node.children.filter((c) => c.name === "Parameter")) parameters[p.attrs.name ?? ""] = p.attrs.value ?? "";
  return {
    identity,
    parameters,
    statusCallback: node.attrs.statusCallback ?? null,
    statusCallbackEvents: (node.attrs.statusCallbackEvent ?? "completed").split(/[\s,]+/).filter(Boolean),
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
        const clients = n.children.map(client);
        if (clients.length === 0) throw new TwimlError(12200, "Schema validation: <Dial> needs at least one <Client>");
        if (clients.length > 10) throw new TwimlError(12200, "Schema validation: <Dial> takes at most 10 nouns");
        return { verb: "Dial", timeout: int(a, "timeout", 30, 5, 600), action: a.action ?? null, answerOnBridge: a.answerOnBridge === "true", clients };
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
        if (!n.text.trim()) throw new TwimlError(12200, "Schema validation: <Redirect> needs a URL");
        return { verb: "Redirect", url: n.text.trim() };
      case "Hangup":
        return { verb: "Hangup" };
      default:
        throw new TwimlError(12200, `Schema validation: the simulator does not support <${n.name}>`);
    }
  });
}
