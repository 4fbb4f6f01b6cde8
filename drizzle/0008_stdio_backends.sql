ALTER TABLE "services" ALTER COLUMN "url" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "services" ADD COLUMN "command" jsonb;--> statement-breakpoint
ALTER TABLE "services" ADD COLUMN "secret_env" text;--> statement-breakpoint
ALTER TABLE "services" ADD CONSTRAINT "services_url_or_command" CHECK (("services"."url" IS NULL) <> ("services"."command" IS NULL));