import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

export type Db = ReturnType<typeof build>;

function build(d1: D1Database) {
  return drizzle(d1, { schema });
}

// drizzle() walks the whole schema each time it is called: about a sixth of a busy worker's CPU
// when it was called per request (bench profile, docs/benchmarks.md). One per binding instead.
const cache = new WeakMap<D1Database, Db>();

export function openDb(d1: D1Database): Db {
  let db = cache.get(d1);
  if (!db) {
    db = build(d1);
    cache.set(d1, db);
  }
  return db;
}
