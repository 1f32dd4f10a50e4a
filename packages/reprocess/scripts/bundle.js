// Bundles the CLI (run by `npm ci`'s prepare, `npm run build`, `npm test`, after tsc -b): dist/bundle/reprocess.cjs
// is the compiled CLI (dist/src/cli/main.js) with the library and commander, zod and pg in one file, which
// bin/reprocess.js runs. Node then reads and compiles one file instead of some 200 (about half of what `reprocess
// --help` cost). The dependencies that lazy.ts loads on first use are bundled apart, one CommonJS file each
// (dist/bundle/<name>.cjs), so a command that does not need them does not even parse them: undici is a megabyte.
// The library itself (`import ... from 'mosip-reprocess'`, its subpaths) stays the compiled modules of dist/src.
import { build } from 'esbuild';
import { readFile } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(PACKAGE, 'dist', 'bundle');
/** lazy.ts's LAZY_DEPENDENCIES: each is bundled apart and loaded from dist/bundle when first used. */
const LAZY = ['undici', 'yaml', 'pg-cursor', 'prom-client'];

/**
 * What the tool uses of undici is its Agent, with the Dispatcher API (dispatch, request: src/notifier/client.ts,
 * src/action/client.ts). undici's index also loads fetch, WebSocket, EventSource, the caches and the mocks: this
 * entry leaves them out, half of undici's code and about 0.1 s of CPU and 8 MB at the first notification. (The
 * index adds the Dispatcher API to Dispatcher.prototype; so does this entry.)
 */
const ENTRIES = {
  undici: `const Dispatcher = require('undici/lib/dispatcher/dispatcher');
Object.assign(Dispatcher.prototype, require('undici/lib/api'));
let parser = null;
module.exports = {
  Agent: require('undici/lib/dispatcher/agent'),
  // undici compiles its HTTP parser (WebAssembly) when it opens its first connection, on the way to the first
  // request; V8 keeps one compiled module for the same bytes, so compiling them here first (src/notifier/client.ts's
  // preloadClient, while the run waits for the database) takes that off the way. undici's own choice: the SIMD build.
  compileParser() { parser ??= new WebAssembly.Module(require('undici/lib/llhttp/llhttp_simd-wasm.js')); },
};`,
};

const common = {
  bundle: true, platform: 'node', target: 'node20.18', logLevel: 'warning', absWorkingDir: PACKAGE,
  // pg's optional native binding and its Cloudflare Workers socket: neither is ever used on Node.
  external: ['pg-native', 'pg-cloudflare'],
  legalComments: 'eof',
};

/** lazy.js, in the bundle: each dependency from its own bundled file next to the CLI's. */
const lazyFromBundle = {
  name: 'lazy-from-bundle',
  setup(b) {
    b.onLoad({ filter: /[\\/]dist[\\/]src[\\/]lazy\.js$/ }, async (args) => {
      const compiled = await readFile(args.path, 'utf8');
      for (const name of LAZY) {
        if (!compiled.includes(`'${name}'`)) throw new Error(`${args.path} no longer lists ${name}: keep LAZY in scripts/bundle.js in step with lazy.ts`);
      }
      return {
        loader: 'js',
        contents: `import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
export const LAZY_DEPENDENCIES = ${JSON.stringify(LAZY)};
export function lazy(name) {
  let loaded;
  return () => (loaded ??= require('./' + name + '.cjs'));
}
`,
      };
    });
  },
};

/**
 * pg's lib/stream.js asks whether it runs on Cloudflare Workers when it is loaded: on Node 20, which has no
 * `navigator`, by constructing a `Response`, which loads Node's own copy of undici (fetch): 40 to 100 ms of every
 * start, for an answer that is always no here. The bundle takes Node's streams without asking. A pg whose
 * stream.js reads differently fails the build, so an upgrade cannot silently bring the cost back or break this.
 */
const pgOnNode = {
  name: 'pg-on-node',
  setup(b) {
    b.onLoad({ filter: /[\\/]node_modules[\\/]pg[\\/]lib[\\/]stream\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      const probe = 'if (isCloudflareRuntime()) {';
      if (!text.includes(probe)) throw new Error(`${args.path}: pg's runtime probe changed; revisit pgOnNode in scripts/bundle.js`);
      return { loader: 'js', contents: text.replace(probe, 'if (false) { // bundled for Node (scripts/bundle.js)') };
    });
  },
};

rmSync(OUT, { recursive: true, force: true });
await Promise.all([
  build({
    ...common,
    entryPoints: { reprocess: 'dist/src/cli/main.js' },
    outdir: OUT,
    outExtension: { '.js': '.cjs' },
    // CommonJS, not an ES module: Node then requires the built-in modules the CLI uses (net, tls, http, crypto...)
    // as they are, where an ES module imports each through a facade of its exports; 20 to 40 ms less at start.
    format: 'cjs',
    // The compiled modules find files next to themselves with import.meta.url (lazy.ts, k8s/version.ts).
    banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
    define: { 'import.meta.url': '__bundleUrl' },
    external: [...common.external, ...LAZY, '@mosip-reprocess/simulator'],
    plugins: [lazyFromBundle, pgOnNode],
  }),
  ...LAZY.map((name) => build({
    ...common,
    stdin: { contents: ENTRIES[name] ?? `module.exports = require(${JSON.stringify(name)});`, resolveDir: PACKAGE, sourcefile: `${name}.cjs` },
    outfile: join(OUT, `${name}.cjs`),
    format: 'cjs',
    plugins: [pgOnNode],
  })),
]);
