// Resolves the run settings from four layers: flags win, then environment, then the YAML config file, then
// defaults. A bad value is reported with where it came from (flag, variable, or file:line) and exit code 2.
import { readFileSync } from 'node:fs';
import type { Document, LineCounter } from 'yaml';
import { lazy } from '../lazy.js';

/** Only a run with a config file needs the YAML parser. */
const yaml = lazy<typeof import('yaml')>('yaml');
import { InputError } from '../errors.js';
import { hideUrlPassword, hideUrlPasswords } from './redact.js';
import { shownValue } from './values.js';
import { SETTINGS, SETTINGS_SCHEMA, SECRET_KEYS, flagName, settingByKey, type Settings } from './settings.js';

type Origin = string;
interface Layered { value: unknown; origin: Origin }

const camel = (text: string) => text.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/** Commander's attribute name for a flag ("--db-url <url>" -> "dbUrl"). */
export function flagAttribute(flag: string): string {
  return camel((flag.split(' ')[0] ?? '').replace(/^--/, ''));
}

function fromFlags(flags: Record<string, unknown>): Map<string, Layered> {
  const out = new Map<string, Layered>();
  for (const s of SETTINGS) {
    if (!('flag' in s)) continue;
    const value = flags[flagAttribute(s.flag)];
    if (value !== undefined) out.set(s.key, { value, origin: flagName(s) ?? s.key });
  }
  return out;
}

function fromEnv(env: NodeJS.ProcessEnv): Map<string, Layered> {
  const out = new Map<string, Layered>();
  for (const s of SETTINGS) {
    const value = env[s.env];
    if (value !== undefined && value !== '') out.set(s.key, { value, origin: `environment variable ${s.env}` });
  }
  return out;
}

function fromFile(path: string): Map<string, Layered> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new InputError(`config file ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const lineCounter = new (yaml().LineCounter)();
  const doc = yaml().parseDocument(text, { lineCounter, prettyErrors: false });
  const lineOf = (offset: number | undefined) => (offset === undefined ? 1 : lineCounter.linePos(offset).line);
  if (doc.errors.length > 0) throw new InputError(yamlErrorText(path, text, doc, lineCounter));
  const out = new Map<string, Layered>();
  if (doc.contents === null) return out;
  if (!yaml().isMap(doc.contents)) throw new InputError(`config file ${path}:1: expected a map of settings (key: value)`);
  for (const pair of doc.contents.items) {
    const keyNode = pair.key;
    const rawKey = yaml().isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
    const line = lineOf(yaml().isScalar(keyNode) ? keyNode.range?.[0] : undefined);
    const key = camel(rawKey);
    const alias = SETTINGS.find((s) => 'flag' in s && flagAttribute(s.flag) === key)?.key;
    const setting = settingByKey(key) ?? (alias ? settingByKey(alias) : undefined);
    if (!setting) throw new InputError(`config file ${path}:${line}: unknown setting "${rawKey}"`);
    const valueNode = pair.value;
    out.set(setting.key, { value: yaml().isScalar(valueNode) ? valueNode.value : (valueNode as { toJSON(): unknown })?.toJSON?.(), origin: `${path}:${line} (${rawKey})` });
  }
  return out;
}

/**
 * What a YAML error code means, in words of our own. The parser's messages can quote the source (an escape, a
 * tag, a block header), and a config file holds secrets: no text of the file is ever shown, only where.
 */
const YAML_PROBLEMS: Partial<Record<string, string>> = {
  MISSING_CHAR: 'something is missing: a closing quote or bracket, a comma between items, or a space after ":"',
  UNEXPECTED_TOKEN: 'a character that cannot be there (often a quote or bracket above left open, or a value to put in quotes)',
  BAD_INDENT: 'bad indentation (each setting starts at column 1), or a bracket above left open',
  TAB_AS_INDENT: 'a tab used for indentation',
  BAD_DQ_ESCAPE: 'an invalid \\ escape in a double-quoted value (single quotes take the text as it is)',
  BAD_SCALAR_START: 'a value that cannot start with that character (put it in quotes)',
  MULTILINE_IMPLICIT_KEY: 'a key that runs over more than one line (often a quote or bracket above left open, or a missing ":")',
  BLOCK_AS_IMPLICIT_KEY: 'a key that is not a plain name',
  KEY_OVER_1024_CHARS: 'a key over 1024 characters',
  NON_STRING_KEY: 'a key that is not a plain name',
  DUPLICATE_KEY: 'a setting given twice',
  BLOCK_IN_FLOW: 'a block inside [ ] or { }',
  MULTIPLE_DOCS: 'more than one document (---): a config file is one map of settings',
  BAD_DIRECTIVE: 'a %-directive, which a config file does not need',
  ALIAS_PROPS: 'an alias with an anchor or tag',
  BAD_ALIAS: 'an anchor or alias (& or *) that is not valid',
  MULTIPLE_ANCHORS: 'more than one anchor (&) on a value',
  MULTIPLE_TAGS: 'more than one tag (!) on a value',
  BAD_PROP_ORDER: 'an anchor or tag in the wrong place',
  TAG_RESOLVE_FAILED: 'a tag (!) the reader does not know',
  BAD_COLLECTION_TYPE: 'a tag (!) that does not fit its value',
};

/**
 * "file:line:column: not valid YAML (what is wrong)", and where an unclosed "[", "{" or quote opened (the parser
 * notices it only where the next key starts). Never the text of a line: a line may hold a secret, and an open
 * quote makes the lines after it part of that secret.
 */
function yamlErrorText(path: string, text: string, doc: Document, lineCounter: LineCounter): string {
  const error = doc.errors[0]!;
  const at = lineCounter.linePos(error.pos[0]);
  const what = YAML_PROBLEMS[error.code] ?? 'the file cannot be read as YAML';
  const out = [`config file ${path}:${at.line}:${at.col}: not valid YAML (${what}); the line is not shown, as it may hold a secret`];
  const opener = unclosedBefore(doc, text, error.pos[0]);
  if (opener !== null) {
    const from = lineCounter.linePos(opener);
    if (from.line !== at.line) out.push(`  the ${text.charAt(opener)} opened at line ${from.line}, column ${from.col} is not closed`);
  }
  return out.join('\n');
}

/** The offset of the "[", "{" or quote that runs on to offset without being closed, if there is one. */
function unclosedBefore(doc: Document, text: string, offset: number): number | null {
  let found: number | null = null;
  yaml().visit(doc, {
    Node(_key, node) {
      const range = node.range;
      if (!range || range[0] >= offset || range[1] < offset - 1) return;
      const open = text.charAt(range[0]);
      const close = text.charAt(range[1] - 1);
      const unclosed = yaml().isCollection(node) && node.flow
        ? (open === '[' && close !== ']') || (open === '{' && close !== '}')
        : yaml().isScalar(node) && (open === '"' || open === "'") && (range[1] - range[0] < 2 || close !== open);
      if (unclosed && (found === null || range[0] > found)) found = range[0];
    },
  });
  return found;
}

export interface LoadedSettings {
  settings: Settings;
  /** Where each explicitly set value came from, for `--show-config` style output. */
  origins: Record<string, string>;
}

export function loadSettings(input: { flags: Record<string, unknown>; env: NodeJS.ProcessEnv; configFile?: string | undefined }): LoadedSettings {
  const layers = [
    input.configFile ? fromFile(input.configFile) : new Map<string, Layered>(),
    fromEnv(input.env),
    fromFlags(input.flags),
  ];
  const merged = new Map<string, Layered>();
  for (const layer of layers) for (const [k, v] of layer) merged.set(k, v);
  const raw = Object.fromEntries([...merged].map(([k, v]) => [k, v.value]));
  const parsed = SETTINGS_SCHEMA.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      const origin = merged.get(key)?.origin ?? key;
      const shown = SECRET_KEYS.has(key) ? '' : ` (got ${hideUrlPassword(shownValue(merged.get(key)?.value))})`;
      return `${origin}: ${issue.message}${shown}`;
    });
    throw new InputError(`invalid setting${problems.length > 1 ? 's' : ''}:\n  ${problems.join('\n  ')}`);
  }
  return { settings: parsed.data, origins: Object.fromEntries([...merged].map(([k, v]) => [k, v.origin])) };
}

/** The settings with every secret replaced (a password inside a URL too), safe for logs, journals and reports. */
export function redactSettings(settings: Settings): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(settings)) {
    out[key] = SECRET_KEYS.has(key) ? (value === undefined ? undefined : '(set, hidden)') : hideUrlPasswords(value);
  }
  return out;
}
