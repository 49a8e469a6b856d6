// Validation against docs/protocol.schema.json (the same file the Python tests use).
import Ajv2020 from 'ajv/dist/2020';
import schema from '../../docs/protocol.schema.json';

const ajv = new Ajv2020({ allErrors: true, strict: false });
ajv.addSchema(schema, 'protocol');

export function assertValid(definition: string, value: unknown): void {
  const validate = ajv.getSchema(`protocol#/$defs/${definition}`);
  if (!validate) throw new Error(`no schema definition ${definition}`);
  if (!validate(value)) throw new Error(`${definition} does not match the schema: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(value).slice(0, 500)}`);
}
