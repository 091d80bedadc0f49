-- parked_at and return_at become nullable: they are null while a parked call rings somebody.
-- (drizzle-kit's PRAGMA foreign_keys lines removed: D1 does not take them, and this table has no keys.)
CREATE TABLE `__new_parked_calls` (
	`call_sid` text PRIMARY KEY NOT NULL,
	`slot` integer NOT NULL,
	`parked_by` text NOT NULL,
	`parked_at` integer,
	`return_at` integer
);
--> statement-breakpoint
INSERT INTO `__new_parked_calls`("call_sid", "slot", "parked_by", "parked_at", "return_at") SELECT "call_sid", "slot", "parked_by", "parked_at", "return_at" FROM `parked_calls`;--> statement-breakpoint
DROP TABLE `parked_calls`;--> statement-breakpoint
ALTER TABLE `__new_parked_calls` RENAME TO `parked_calls`;--> statement-breakpoint
CREATE UNIQUE INDEX `parked_calls_slot` ON `parked_calls` (`slot`);