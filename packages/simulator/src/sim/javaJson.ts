// The notification body as the stage sees it: Vert.x 3.9 `ctx.getBodyAsJson()` (whatever the Content-Type) and
// JsonObject's typed getters, which cast and therefore throw ClassCastException on a wrong JSON type. These
// exceptions end in the failure handler, so their messages become the reply body (docs/mosip-facts.md, "Replies").
import { nullPointer, RouteFailure } from './routeFailure.js';

export type JsonFields = Record<string, unknown>;

/** Parses the body; a JSON `null` gives null (the stage then NPEs), anything but an object fails to decode. */
export function bodyAsJson(raw: string): JsonFields | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (error) {
    const detail = raw.trim() === '' ? 'No content to map due to end-of-input' : (error as Error).message;
    throw new RouteFailure(`Failed to decode:${detail}`, 'io.vertx.core.json.DecodeException');
  }
  if (parsed === null) return null;
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new RouteFailure(
      `Failed to decode:Cannot deserialize instance of \`java.util.LinkedHashMap\` out of ${Array.isArray(parsed) ? 'START_ARRAY' : 'VALUE'} token`,
      'io.vertx.core.json.DecodeException',
    );
  }
  return parsed as JsonFields;
}

/** JsonObject.getString: a cast to CharSequence. */
export function getString(obj: JsonFields | null, key: string): string | null {
  const value = field(obj, key);
  if (value === null || value === undefined) return null;
  if (typeof value !== 'string') throw classCast(value, 'java.lang.CharSequence');
  return value;
}

/** JsonObject.getBoolean: a cast to Boolean. */
export function getBoolean(obj: JsonFields | null, key: string): boolean | null {
  const value = field(obj, key);
  if (value === null || value === undefined) return null;
  if (typeof value !== 'boolean') throw classCast(value, 'java.lang.Boolean');
  return value;
}

/** JsonObject.getInteger: a cast to Number, then intValue(). */
export function getInteger(obj: JsonFields | null, key: string): number | null {
  const value = field(obj, key);
  if (value === null || value === undefined) return null;
  if (typeof value !== 'number') throw classCast(value, 'java.lang.Number');
  return Math.trunc(value) | 0;
}

function field(obj: JsonFields | null, key: string): unknown {
  if (obj === null) throw nullPointer();
  return obj[key];
}

function javaClassOf(value: unknown): string {
  if (typeof value === 'string') return 'java.lang.String';
  if (typeof value === 'boolean') return 'java.lang.Boolean';
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return 'java.lang.Double';
    return value >= -(2 ** 31) && value < 2 ** 31 ? 'java.lang.Integer' : 'java.lang.Long';
  }
  return Array.isArray(value) ? 'java.util.ArrayList' : 'java.util.LinkedHashMap';
}

function classCast(value: unknown, target: string): RouteFailure {
  const from = javaClassOf(value);
  return new RouteFailure(
    `class ${from} cannot be cast to class ${target} (${from} and ${target} are in module java.base of loader 'bootstrap')`,
    'java.lang.ClassCastException',
  );
}

/** Jackson JsonNode.path(key).asText(): "" for a missing node or a container, "null" for a JSON null. */
export function asText(value: unknown): string {
  if (value === undefined) return '';
  if (value === null) return 'null';
  if (typeof value === 'object') return '';
  return String(value);
}

/**
 * Vert.x 3.9 Json.encodePrettily (Jackson's DefaultPrettyPrinter): objects over lines indented two spaces per
 * object level, `"key" : value`, arrays inline as `[ a, b ]` (`[ ]` when empty), nulls written.
 */
export function encodePrettily(value: unknown, level = 0): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) {
    return value.length === 0 ? '[ ]' : `[ ${value.map((v) => encodePrettily(v, level)).join(', ')} ]`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return '{ }';
    const inner = '  '.repeat(level + 1);
    const fields = entries.map(([k, v]) => `${inner}${JSON.stringify(k)} : ${encodePrettily(v, level + 1)}`);
    return `{\n${fields.join(',\n')}\n${'  '.repeat(level)}}`;
  }
  return JSON.stringify(value);
}
