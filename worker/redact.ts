// What a log line may carry: no secret of any kind, and caller numbers only masked. Applied by log()
// to every line, so that a careless field or a library's error message cannot leak one.

/** Fields whose values are secrets or credentials, at any depth: replaced, never written. */
const SECRET_KEY = /token|secret|password|passwd|hash|cookie|ticket|authorization|session|signature|api_?key|credential/i;
/** Fields that hold a phone number (Twilio's From/To/Caller/Called, our own names). */
const NUMBER_KEY = /^(from|to|caller|called|callerNumber|fromNumber|toNumber|number|phoneNumber|phone_number)$/i;
const MAX_DEPTH = 6;

export const REDACTED = "[redacted]";

/**
 * drizzle's query errors read "Failed query: <sql>\nparams: <values>": the values are whatever the
 * query bound (password hashes, e-mails, session hashes). Everything from "params:" on is dropped,
 * except the stack frames after it ("    at …" lines), so a stack still says where it failed.
 */
export function stripParams(text: string): string {
  const at = text.search(/\bparams:/);
  if (at < 0) return text;
  const frames = text
    .slice(at)
    .split("\n")
    .filter((line) => /^\s+at\s/.test(line));
  return `${text.slice(0, at)}params: ${REDACTED}${frames.length ? "\n" + frames.join("\n") : ""}`;
}

/** A phone number as a field holds it: digits with an optional "+" and spacing (not "client:alice"). */
const PHONE_VALUE = /^\+?[\d\s().-]{5,}$/;
/** An E.164 number inside free text (an error message, a URL's query). */
const E164_IN_TEXT = /\+\d{7,15}\b/g;

/** "+15551230001" → "+•••••••0001": only the last four digits, so that callers can still be told apart. */
export function maskNumber(value: string): string {
  const digits = value.replace(/\D/g, "");
  if (digits.length <= 4) return value;
  return (value.startsWith("+") ? "+" : "") + "•".repeat(digits.length - 4) + digits.slice(-4);
}

function maskText(text: string, numberField: boolean): string {
  if (numberField && PHONE_VALUE.test(text)) return maskNumber(text);
  return text.replace(E164_IN_TEXT, maskNumber);
}

/**
 * A copy of `value` safe to log: secret-named fields replaced, "params:" tails stripped from every
 * string, phone numbers masked (number-named fields, and E.164 numbers inside any text) at every level:
 * a CallSid traces a call, and the full number is in D1's calls table for those allowed to read it.
 * Errors become their name, message and stack.
 */
export function redact(value: unknown, depth = 0, key = ""): unknown {
  if (key && SECRET_KEY.test(key)) return value === undefined || value === null ? value : REDACTED;
  if (typeof value === "string") return maskText(stripParams(value), NUMBER_KEY.test(key));
  if (value instanceof Error) return { name: value.name, message: redact(value.message), stack: redact(value.stack) };
  if (value === null || typeof value !== "object") return value;
  if (depth >= MAX_DEPTH) return "[too deep]";
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1, key));
  return redactFields(value, depth + 1);
}

/** A log line's fields, each redacted as above. */
export function redactFields(fields: object, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) out[k] = redact(v, depth, k);
  return out;
}
