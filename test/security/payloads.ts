// Bad input, by construction: every case here is refused by a route that validates what it reads.
// Each body is built from the route's valid template and broken in a way its schema cannot accept
// (an unknown field for a strict schema, a value of another JSON type, no JSON at all), so a 2xx or a
// change is a real finding, never a lucky valid payload.
import { Prng } from "./prng";

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export interface BodyCase {
  name: string;
  body: BodyInit | null;
  /** Content-Type to send; null sends none. */
  contentType: string | null;
}

export const MIB = 1024 * 1024;

/** Field names no route's schema has. `__proto__` as an own property: JSON.parse makes one. */
const UNKNOWN_FIELDS = ["agentId", "isAdmin", "constructor", "zz_" + "x".repeat(300)];

function kind(v: Json): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}

/** Values of every JSON type but the one given. */
function otherTypes(v: Json): Json[] {
  const all: Json[] = [null, true, false, 0, -1, 1e308, "true", "1", "", [], [v], {}, { $ne: "" }, { nested: { deeper: [v] } }];
  return all.filter((w) => kind(w) !== kind(v));
}

export function randomJson(rng: Prng, depth = 3): Json {
  const k = rng.int(0, depth > 0 ? 6 : 3);
  if (k === 0) return null;
  if (k === 1) return rng.next() < 0.5;
  if (k === 2) return rng.pick([0, -0, 1.5, -1e21, 2 ** 53 + 1, 1e308]);
  if (k === 3) return rng.text(rng.int(0, 40));
  if (k === 4) return Array.from({ length: rng.int(0, 4) }, () => randomJson(rng, depth - 1));
  return Object.fromEntries(Array.from({ length: rng.int(0, 4) }, () => [rng.text(rng.int(0, 12)), randomJson(rng, depth - 1)]));
}

const text = (name: string, body: string, contentType: string | null = "application/json"): BodyCase => ({ name, body, contentType });
const json = (name: string, value: unknown): BodyCase => text(name, JSON.stringify(value));

/** Bodies that are not JSON at all, or not a JSON object: refused by any JSON route and any body-less one. */
export function notAnObject(rng: Prng, template: JsonObject): BodyCase[] {
  const valid = JSON.stringify(template);
  return [
    text("malformed: an opening brace", "{"),
    text("malformed: truncated", valid.slice(0, -1)),
    text("malformed: single quotes", "{'a': 1}"),
    text("malformed: trailing comma", '{"a":1,}'),
    text("malformed: two documents", valid + valid),
    text("malformed: a comment", "/* x */" + valid),
    // One byte order mark is dropped by the UTF-8 decoder (RFC 8259 §8.1 lets a parser ignore it); a second is not.
    text("malformed: two byte order marks", "\ufeff\ufeff" + valid),
    text("malformed: NaN", "NaN"),
    text("malformed: a lone surrogate escape", '{"a":"\\ud800"'),
    json("wrong type: null", null),
    json("wrong type: an array", [template]),
    json("wrong type: a string", valid),
    json("wrong type: a number", 42),
    json("wrong type: true", true),
    text("wrong type: 5000 nested arrays", "[".repeat(5000) + "]".repeat(5000)),
    text("huge: 1 MiB of JSON", JSON.stringify({ ...template, pad: "x".repeat(MIB) })),
    text("huge: 1 MiB of text", "a".repeat(MIB), "text/plain"),
    ...Array.from({ length: 6 }, (_, i) => ({
      // 0xFF is never valid UTF-8: the text decodes with a replacement character, never as JSON.
      name: `binary garbage #${i}`,
      body: Uint8Array.from([0xff, ...rng.bytes(rng.int(1, 2048))]),
      contentType: rng.pick(["application/json", "application/octet-stream", null]),
    })),
  ];
}

/** JSON objects that a strict schema refuses, from a valid template. */
export function brokenObjects(rng: Prng, template: JsonObject, randomCases: number): BodyCase[] {
  const cases: BodyCase[] = [
    json("wrong type: an empty object", {}),
    json("nested: the valid body one level down", { body: template }),
    text("unknown field: __proto__", JSON.stringify(template).replace(/^\{/, '{"__proto__":{"role":"admin","isAdmin":true},')),
    ...UNKNOWN_FIELDS.map((f) => json(`unknown field: ${f.slice(0, 20)}`, { ...template, [f]: "x" })),
  ];
  for (const [key, value] of Object.entries(template)) {
    for (const wrong of otherTypes(value)) cases.push(json(`wrong type: ${key} = ${JSON.stringify(wrong)}`, { ...template, [key]: wrong }));
    const { [key]: _dropped, ...rest } = template;
    // Dropping a field breaks a schema only where it is required; with an unknown field it always does.
    cases.push(json(`missing ${key}, unknown field`, { ...rest, agentId: "someone_else" }));
  }
  for (let i = 0; i < randomCases; i++) {
    const key = rng.pick(Object.keys(template));
    let wrong = randomJson(rng);
    while (kind(wrong) === kind(template[key]!)) wrong = randomJson(rng);
    // Half of them also carry a hostile string in another field, which only validation may see.
    const hostile = rng.next() < 0.5 ? { [rng.pick(UNKNOWN_FIELDS)]: rng.pick(["'; DROP TABLE agents; --", rng.text(500), "\u0000"]) } : {};
    cases.push(json(`random #${i}: ${key} of another type`, { ...template, [key]: wrong, ...hostile }));
  }
  return cases;
}

/** Bodies for a route that takes none (it acts as the signed-in agent): anything but nothing or `{}` is refused. */
export function bodiesForBodyless(rng: Prng): BodyCase[] {
  return [
    ...notAnObject(rng, { agentId: "someone_else" }),
    ...UNKNOWN_FIELDS.map((f) => json(`unknown field: ${f.slice(0, 20)}`, { [f]: "someone_else" })),
    text("form body", "agentId=someone_else", "application/x-www-form-urlencoded"),
    text("text body", "please", "text/plain"),
    text("a JSON body with whitespace", "  { \"agentId\": \"x\" }  "),
  ];
}

/** The valid template sent with a type that is not JSON: a JSON route must refuse it (415 or 400). */
export function wrongContentTypes(template: JsonObject): BodyCase[] {
  const valid = JSON.stringify(template);
  const form = new URLSearchParams(Object.entries(template).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]));
  const multipart = new FormData();
  for (const [k, v] of form) multipart.append(k, v);
  return [
    text("content type: text/plain", valid, "text/plain"),
    text("content type: text/plain;charset=utf-8", valid, "text/plain;charset=utf-8"),
    text("content type: form, JSON body", valid, "application/x-www-form-urlencoded"),
    text("content type: form, form body", form.toString(), "application/x-www-form-urlencoded"),
    { name: "content type: multipart", body: multipart, contentType: null },
    { name: "content type: none", body: new TextEncoder().encode(valid), contentType: null },
    text("content type: xml", valid, "application/xml"),
    text("content type: garbage", valid, "x/y;;;=="),
  ];
}
