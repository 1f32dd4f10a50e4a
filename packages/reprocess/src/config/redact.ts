// A password inside a URL ("https://user:password@host/") is a secret wherever the URL is shown or stored: in
// run.json, the logs, errors, reports and the Kubernetes ConfigMap. The tool never sends it (its HTTP requests
// go to the URL's origin and path), so hiding it changes nothing a run does, and a resumed run that reads the
// URL back from run.json reaches the same server.

const HIDDEN = '(hidden)';
/** scheme://authority: the authority runs to the first "/", "?", "#" or space; userinfo ends at its last "@". */
const URL_AUTHORITY = /([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)([^/?#\s]*)@/g;

/** The text with the password of every URL in it replaced by "(hidden)"; the user name stays. */
export function hideUrlPassword(text: string): string {
  return text.replace(URL_AUTHORITY, (whole, scheme: string, userinfo: string) => {
    const colon = userinfo.indexOf(':');
    if (colon < 0 || userinfo.slice(colon + 1) === HIDDEN) return whole;
    return `${scheme}${userinfo.slice(0, colon)}:${HIDDEN}@`;
  });
}

/** A value (a string, or strings in an array or object) with every URL password hidden. */
export function hideUrlPasswords<T>(value: T): T {
  if (typeof value === 'string') return hideUrlPassword(value) as T;
  if (Array.isArray(value)) return value.map((v) => hideUrlPasswords(v)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, hideUrlPasswords(v)])) as T;
  }
  return value;
}
