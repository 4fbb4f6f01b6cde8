CREATE TABLE "tool_overrides" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"service_id" uuid NOT NULL,
	"tool" text NOT NULL,
	"override" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tool_overrides_service_tool_key" UNIQUE("service_id","tool")
);
--> statement-breakpoint
CREATE TABLE "tool_pins" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"service_id" uuid NOT NULL,
	"tool" text NOT NULL,
	"hash" text NOT NULL,
	"approved_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "tool_pins_service_tool_key" UNIQUE("service_id","tool")
);
--> statement-breakpoint
ALTER TABLE "services" ADD COLUMN "pin_mode" text DEFAULT 'off' NOT NULL;--> statement-breakpoint
ALTER TABLE "services" ADD COLUMN "limits" jsonb;--> statement-breakpoint
ALTER TABLE "tool_overrides" ADD CONSTRAINT "tool_overrides_service_id_services_id_fk" FOREIGN KEY ("service_id") REFERENCES "public"."services"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tool_pins" ADD CONSTRAINT "tool_pins_service_id_services_id_fk" FOREIGN KEY ("service_id") REFERENCES "public"."services"("id") ON DELETE no action ON UPDATE no action;