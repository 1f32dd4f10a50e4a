// Resolves the run settings from four layers: flags win, then environment, then the YAML config file, then
// defaults. A bad value is reported with where it came from (flag, variable, or file:line) and exit code 2.
import { readFileSync } from 'node:fs';
import type { Document, LineCounter } from 'yaml';
import { lazy } from '../lazy.js';

/** Only a run with a config file needs the YAML parser. */
const yaml = lazy<typeof import('yaml')>('yaml');
import { InputError } from '../errors.js';
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
 * "file:line:column: not valid YAML (...)" with the text of that line and a caret under the column. The parser
 * notices an unclosed "[", "{" or quote only where the next key starts (the line after), so the line where the
 * unclosed one opened is shown too.
 */
function yamlErrorText(path: string, text: string, doc: Document, lineCounter: LineCounter): string {
  const error = doc.errors[0]!;
  const at = lineCounter.linePos(error.pos[0]);
  const lines = text.split(/\r?\n/);
  const excerpt = (line: number, col: number) => {
    const content = lines[line - 1];
    if (content === undefined || (content === '' && line === lines.length)) return ['    (end of file)'];
    return [`  ${String(line).padStart(4)} | ${content}`, `       | ${' '.repeat(Math.max(0, col - 1))}^`];
  };
  const out = [`config file ${path}:${at.line}:${at.col}: not valid YAML (${error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')})`, ...excerpt(at.line, at.col)];
  const opener = unclosedBefore(doc, text, error.pos[0]);
  if (opener !== null) {
    const from = lineCounter.linePos(opener);
    if (from.line !== at.line) out.push(`  the ${text.charAt(opener)} opened at line ${from.line}, column ${from.col} is not closed:`, ...excerpt(from.line, from.col));
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
      const shown = SECRET_KEYS.has(key) ? '' : ` (got ${shownValue(merged.get(key)?.value)})`;
      return `${origin}: ${issue.message}${shown}`;
    });
    throw new InputError(`invalid setting${problems.length > 1 ? 's' : ''}:\n  ${problems.join('\n  ')}`);
  }
  return { settings: parsed.data, origins: Object.fromEntries([...merged].map(([k, v]) => [k, v.origin])) };
}

/** The settings with every secret replaced, safe for logs, journals and reports. */
export function redactSettings(settings: Settings): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(settings)) {
    out[key] = SECRET_KEYS.has(key) ? (value === undefined ? undefined : '(set, hidden)') : value;
  }
  return out;
}
