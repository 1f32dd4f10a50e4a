// The schema name is the only identifier that comes from configuration. It is validated and quoted once,
// and every statement in src/sql/ takes the quoted form; values are always bound parameters.

const IDENT = /^[a-z_][a-z0-9_]{0,62}$/;

export function quoteSchema(schema: string): string {
  if (!IDENT.test(schema)) {
    throw new Error(`schema name "${schema}" must be lower-case letters, digits and underscores`);
  }
  return `"${schema}"`;
}

export function isValidSchemaName(schema: string): boolean {
  return IDENT.test(schema);
}
