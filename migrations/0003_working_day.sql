CREATE TABLE `call_notes` (
	`call_sid` text PRIMARY KEY NOT NULL,
	`author_id` text NOT NULL,
	`note` text NOT NULL,
	`outcome` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `call_notes_author` ON `call_notes` (`author_id`);--> statement-breakpoint
CREATE TABLE `settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `agents` ADD `away_reason` text;--> statement-breakpoint
ALTER TABLE `agents` ADD `status_since` integer;