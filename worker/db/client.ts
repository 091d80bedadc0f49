import { drizzle } from "drizzle-orm/d1";
import { oncePer } from "../memo";
import * as schema from "./schema";

export type Db = ReturnType<typeof build>;

function build(d1: D1Database) {
  return drizzle(d1, { schema });
}

/** drizzle() walks the whole schema each time it is called: one per binding, not per request. */
export const openDb = oncePer(build);
