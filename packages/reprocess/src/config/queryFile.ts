// The text of a --query-file, read and checked once: a file that is missing, unreadable, empty, or holds only
// comments ("-- TODO: paste the query") is bad input, never "a query that matched nothing".
import { readFileSync, statSync } from 'node:fs';
import { InputError } from '../errors.js';

/** The SQL with -- line comments and /* block comments *\/ removed (string literals are not parsed: a rough cut). */
function withoutComments(sql: string): string {
  return sql.replace(/\/\*[\s\S]*?(\*\/|$)/g, ' ').replace(/--[^\n]*/g, ' ');
}

/** Reads the query; `name` is how the operator gave it ("--query-file", "night.yaml:4 (queryFile)"). */
export function readQueryFile(path: string, name = '--query-file'): string {
  let sql: string;
  try {
    if (!statSync(path).isFile()) throw new InputError(`${name} ${path}: not a regular file`);
    sql = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`${name} ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  if (!sql.trim()) throw new InputError(`${name} ${path}: the file is empty; put the SELECT in it`);
  if (!withoutComments(sql).replace(/;/g, '').trim()) {
    throw new InputError(`${name} ${path}: the file holds only comments, no query; put the SELECT in it`);
  }
  return sql;
}
