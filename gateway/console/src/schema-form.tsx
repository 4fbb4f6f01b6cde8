/**
 * A form generated from a tool's input schema: a field per top-level property, typed where the schema
 * says how (text, number, yes/no, a choice), JSON for anything nested.
 */
import { useState } from "preact/hooks";
import type { JsonSchema } from "./api.ts";
import { Field } from "./pages/register.tsx";

type Kind = "text" | "number" | "integer" | "boolean" | "choice" | "json";

function kindOf(schema: JsonSchema): Kind {
  if (schema.enum) return "choice";
  const types = [schema.type ?? [], ...(schema.anyOf ?? schema.oneOf ?? []).map((s) => s.type ?? [])].flat();
  if (types.includes("string")) return "text";
  if (types.includes("integer")) return "integer";
  if (types.includes("number")) return "number";
  if (types.includes("boolean")) return "boolean";
  return "json";
}

/** Turns the fields' text into arguments; the errors name the fields that could not be read. */
function toArguments(schema: JsonSchema, values: Record<string, string>) {
  const args: Record<string, unknown> = {};
  const errors: Record<string, string[]> = {};
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const raw = values[name] ?? "";
    const kind = kindOf(property);
    if (raw === "" && kind !== "boolean") {
      if (schema.required?.includes(name)) errors[name] = ["required"];
      continue;
    }
    if (kind === "boolean") args[name] = raw === "true";
    else if (kind === "number" || kind === "integer") {
      const value = Number(raw);
      if (Number.isNaN(value) || (kind === "integer" && !Number.isInteger(value)))
        errors[name] = [`not ${kind === "integer" ? "an integer" : "a number"}`];
      else args[name] = value;
    } else if (kind === "choice") args[name] = property.enum?.find((option) => String(option) === raw) ?? raw;
    else if (kind === "json") {
      try {
        args[name] = JSON.parse(raw);
      } catch {
        errors[name] = ["not valid JSON"];
      }
    } else args[name] = raw;
  }
  return { args, errors };
}

export function SchemaForm({
  schema,
  busy,
  onSubmit,
}: {
  schema: JsonSchema;
  busy: boolean;
  onSubmit: (args: Record<string, unknown>) => void;
}) {
  const [values, setValues] = useState<Record<string, string>>({});
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const properties = Object.entries(schema.properties ?? {});
  const set = (name: string, value: string) => setValues((current) => ({ ...current, [name]: value }));

  return (
    <form
      class="form"
      noValidate
      onSubmit={(event) => {
        event.preventDefault();
        const { args, errors } = toArguments(schema, values);
        setErrors(errors);
        if (Object.keys(errors).length === 0) onSubmit(args);
      }}
    >
      {properties.length === 0 && <p class="muted">This tool takes no arguments.</p>}
      {properties.map(([name, property]) => {
        const id = `arg-${name}`;
        const kind = kindOf(property);
        const label = `${name}${schema.required?.includes(name) ? " (required)" : ""}`;
        const value = values[name] ?? "";
        return (
          <Field key={name} id={id} label={label} hint={property.description} errors={errors[name]}>
            {kind === "boolean" ? (
              <input
                id={id}
                type="checkbox"
                checked={value === "true"}
                onChange={(e) => set(name, String(e.currentTarget.checked))}
              />
            ) : kind === "choice" ? (
              <select id={id} value={value} onChange={(e) => set(name, e.currentTarget.value)}>
                <option value="">—</option>
                {property.enum?.map((option) => (
                  <option key={String(option)} value={String(option)}>
                    {String(option)}
                  </option>
                ))}
              </select>
            ) : kind === "json" ? (
              <textarea
                id={id}
                rows={3}
                placeholder="JSON"
                value={value}
                onInput={(e) => set(name, e.currentTarget.value)}
              />
            ) : (
              <input
                id={id}
                inputMode={kind === "text" ? undefined : "decimal"}
                value={value}
                onInput={(e) => set(name, e.currentTarget.value)}
              />
            )}
          </Field>
        );
      })}
      <button type="submit" disabled={busy}>
        {busy ? "Calling…" : "Call the tool"}
      </button>
    </form>
  );
}
