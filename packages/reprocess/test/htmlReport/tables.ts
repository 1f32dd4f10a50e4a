// Reads the numbers back out of a report's HTML: the cells of a table by its id, as text.
const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };
const unescape = (s: string) => s.replace(/&(amp|lt|gt|quot|#39);/g, (e) => ENTITIES[e]!);

export function tableRows(html: string, id: string): string[][] {
  const start = html.indexOf(`id="${id}"`);
  if (start < 0) throw new Error(`no table with id ${id}`);
  const end = html.indexOf('</table>', start);
  const body = html.slice(html.indexOf('<tbody>', start), end);
  return [...body.matchAll(/<tr>(.*?)<\/tr>/g)].map((m) => [...m[1]!.matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((c) => unescape(c[1]!)));
}

/** first column -> the number in column `col` (commas removed). */
export function countsOf(html: string, id: string, col = 1): Record<string, number> {
  return Object.fromEntries(tableRows(html, id).map((r) => [r[0]!, Number(r[col]!.replace(/,/g, ''))]));
}

export function parseCsv(text: string): Record<string, string>[] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; } else if (c === '"') quoted = false; else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; } else if (c === '\n') { row.push(field.replace(/\r$/, '')); rows.push(row); row = []; field = ''; } else field += c;
  }
  const [header, ...data] = rows;
  return data.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i] ?? ''])));
}

export function tally<T>(items: Iterable<T>, key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of items) out[key(t)] = (out[key(t)] ?? 0) + 1;
  return out;
}

/** Static check that a page loads nothing: no src/href attributes, no CSS url() or @import, no <link>, a CSP that forbids loading. */
export function externalReferences(html: string): string[] {
  const found: string[] = [];
  for (const re of [/\s(src|href|srcset|action|poster|data)\s*=/gi, /url\s*\(/gi, /@import/gi, /<link\b/gi, /<(iframe|object|embed|img|video|audio)\b/gi]) {
    for (const m of html.matchAll(re)) found.push(m[0]);
  }
  if (!html.includes("default-src 'none'")) found.push('no Content-Security-Policy default-src none');
  return found;
}
