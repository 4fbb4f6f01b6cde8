CREATE TABLE "registry_changes" (
	"id" integer PRIMARY KEY NOT NULL,
	"count" bigint NOT NULL
);
--> statement-breakpoint
ALTER TABLE "service_tools" ADD COLUMN "rejected" jsonb DEFAULT '[]'::jsonb NOT NULL;