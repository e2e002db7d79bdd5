// The render worker of `cargo commerce routes --render`, shipped inside the binary and run by
// the system's `node`. It reads one job per line on stdin and writes one answer per line on
// stdout (fd 1, written directly: the app's own console output never reaches the protocol).
//
// A job names the page, its layouts and the providers, and carries every project module they
// reach, already transpiled to CommonJS by the Rust side with how each of their specifiers
// resolves. A `require` hook serves those modules; packages load natively from the app's own
// node_modules. The page is rendered with the app's react-dom/server in development mode.
'use strict';
process.env.NODE_ENV = 'development';

const fs = require('fs');
const path = require('path');
const util = require('util');
const Module = require('module');
const { Writable } = require('stream');

const writeAnswer = (answer) => fs.writeSync(1, JSON.stringify(answer) + '\n');
// Whatever the app prints goes to stderr, never into the protocol.
process.stdout.write = (chunk, encoding, callback) => process.stderr.write(chunk, encoding, callback);

Error.stackTraceLimit = 60;
// Structured frames beside the usual text, so the Rust side maps positions, never parses text.
Error.prepareStackTrace = (error, callsites) => {
  try {
    Object.defineProperty(error, '__frames', {
      value: callsites.map((site) => ({
        file: site.getFileName() || '',
        line: site.getLineNumber() || 0,
        column: site.getColumnNumber() || 0,
        function: site.getFunctionName() || site.getMethodName() || '',
      })),
      enumerable: false,
      configurable: true,
    });
  } catch (_) {
    // A frozen error keeps only its text stack.
  }
  const head = String(error && error.name ? `${error.name}: ${error.message}` : error);
  return head + callsites.map((site) => `\n    at ${site}`).join('');
};

// Next.js modules that only work inside its server, as small stand-ins (CommonJS source).
const SHIMS = {
  'next/link': `const React = require('react');
module.exports = function Link({ href, children, prefetch, replace, scroll, shallow, passHref, legacyBehavior, locale, ...rest }) {
  const target = typeof href === 'string' ? href : (href && href.pathname) || '';
  return React.createElement('a', { href: target, ...rest }, children);
};
module.exports.default = module.exports;`,
  'next/image': `const React = require('react');
module.exports = function Image({ src, alt, fill, priority, quality, placeholder, blurDataURL, loader, unoptimized, sizes, ...rest }) {
  const url = typeof src === 'string' ? src : (src && src.src) || '';
  return React.createElement('img', { src: url, alt, ...rest });
};
module.exports.default = module.exports;`,
  'next/navigation': `const control = (digest, message) => { const error = new Error(message); error.digest = digest; return error; };
const router = { push() {}, replace() {}, refresh() {}, back() {}, forward() {}, prefetch() {} };
module.exports = {
  useRouter: () => router,
  usePathname: () => '/',
  useSearchParams: () => new URLSearchParams(),
  useParams: () => ({}),
  useSelectedLayoutSegment: () => null,
  useSelectedLayoutSegments: () => [],
  notFound: () => { throw control('NEXT_NOT_FOUND', 'NEXT_NOT_FOUND'); },
  redirect: (url) => { throw control('NEXT_REDIRECT;' + url, 'NEXT_REDIRECT'); },
  permanentRedirect: (url) => { throw control('NEXT_REDIRECT;' + url, 'NEXT_REDIRECT'); },
};`,
  'next/headers': `const store = () => ({ get: () => undefined, getAll: () => [], has: () => false, set() {}, delete() {} });
module.exports = {
  cookies: () => { const cookies = store(); return Object.assign(Promise.resolve(cookies), cookies); },
  headers: () => { const headers = new Headers(); return Object.assign(Promise.resolve(headers), { get: (name) => headers.get(name), has: (name) => headers.has(name) }); },
  draftMode: () => ({ isEnabled: false, enable() {}, disable() {} }),
};`,
  'next/dynamic': `module.exports = function dynamic() { return function Dynamic() { return null; }; };
module.exports.default = module.exports;`,
  'next/script': `module.exports = function Script() { return null; };
module.exports.default = module.exports;`,
  // Caching changes nothing outside Next's server: unstable_cache returns the function, every
  // other export (cacheTag, unstable_cacheLife, revalidatePath, ...) does nothing.
  'next/cache': `module.exports = new Proxy({ unstable_cache: (fn) => fn }, { get: (target, key) => (key in target ? target[key] : key === '__esModule' ? false : () => {}) });`,
  'next/font/google': `module.exports = new Proxy({}, { get: () => () => ({ className: '', variable: '', style: {} }) });`,
  'next/font/local': `module.exports = function font() { return { className: '', variable: '', style: {} }; };
module.exports.default = module.exports;`,
  'server-only': '',
  'client-only': '',
};

// `import.meta` in a project module (the transpiler points it here): what Vite's development
// server gives a module rendered on the server.
const VITE_ENV = { DEV: true, PROD: false, SSR: true, MODE: 'development', BASE_URL: '/' };
/** Sets `import.meta` for a job: Vite's own keys and the app's `VITE_*` variables (`.env` files). */
function setImportMeta(env) {
  globalThis.__commerce_import_meta = Object.freeze({ env: Object.freeze({ ...env, ...VITE_ENV }) });
}
setImportMeta({});

/** Modules served from the job: absolute path -> { code, resolve } or { asset: true }. */
let served = new Map();
/** What a route-object job's overrides add to the app's react-router and react-dom/client. */
globalThis.__commerce_overrides = {};
/** The job being rendered: what it records. */
let current = null;

const ASSETS = ['.css', '.scss', '.sass', '.less', '.svg', '.png', '.jpg', '.jpeg', '.gif', '.webp', '.avif', '.ico', '.woff', '.woff2', '.ttf', '.otf', '.json'];
const SOURCES = ['.js', '.jsx', '.ts', '.tsx', '.mjs', '.cjs', '.mts', '.cts'];

// Modules another runtime provides (`cloudflare:workers`, `bun:sqlite`): Node cannot load
// them, so a route that needs one is said to need that runtime, not failed.
const RUNTIMES = { cloudflare: 'the Cloudflare Workers runtime', bun: 'Bun', deno: 'Deno' };

const nativeResolve = Module._resolveFilename;
Module._resolveFilename = function resolveFilename(request, parent, isMain, options) {
  // The router and root overrides of a route-object app, for the app's own modules only (the
  // packages keep the real ones), whatever the plan resolved the package to.
  const override = current && current.overrides[request];
  if (override && parent && current.project.has(parent.filename)) return override;
  const from = parent && served.get(parent.filename);
  if (from && from.resolve && Object.prototype.hasOwnProperty.call(from.resolve, request)) {
    const target = from.resolve[request];
    if (typeof target === 'string') return target;
  }
  const scheme = /^([a-z]+):/.exec(request);
  if (scheme && Object.prototype.hasOwnProperty.call(RUNTIMES, scheme[1])) {
    if (current) current.runtimeModule = current.runtimeModule || request;
    const error = new Error(`\`${request}\` is provided by ${RUNTIMES[scheme[1]]}, not by Node`);
    error.code = 'COMMERCE_RUNTIME_MODULE';
    throw error;
  }
  if (current && !served.has(request)) {
    const shim = current.shims[request];
    if (shim) return shim;
  }
  return nativeResolve.call(this, request, parent, isMain, options);
};

for (const extension of SOURCES) {
  const native = Module._extensions[extension] || Module._extensions['.js'];
  Module._extensions[extension] = function load(module, filename) {
    const entry = served.get(filename);
    // Always CommonJS (the transpiler's output), also in a `"type": "module"` package, where
    // Node 20.19+ would otherwise compile it as an ES module.
    if (entry && entry.code !== undefined) return module._compile(entry.code, filename, 'commonjs');
    if (entry && entry.error) {
      const error = new SyntaxError(entry.error.message);
      error.__source = { file: filename, line: entry.error.line, column: entry.error.column };
      throw error;
    }
    return native(module, filename);
  };
}
for (const extension of ASSETS) {
  const native = Module._extensions[extension];
  Module._extensions[extension] = function load(module, filename) {
    const entry = served.get(filename);
    if (entry && entry.asset) {
      // CSS modules read class names, images a URL: a proxy answers both.
      module.exports = new Proxy({ src: filename, width: 1, height: 1, default: filename }, {
        get: (target, key) => (key in target ? target[key] : typeof key === 'string' ? key : undefined),
      });
      return;
    }
    return (native || Module._extensions['.js'])(module, filename);
  };
}

// A module that calls process.exit must not end the worker.
const exitWorker = process.exit.bind(process);
process.exit = (code) => {
  throw new Error(`process.exit(${code === undefined ? '' : code}) called while rendering`);
};
process.reallyExit = process.exit;

/** The React the current job loaded (its development build can name the owner stack). */
let currentReact = null;

// Warnings about rendering on a server, which a client-only app (route objects) never does:
// not findings there.
const SERVER_ONLY_WARNINGS = [
  'useLayoutEffect does nothing on the server',
  '<Navigate> must not be used on the initial render in a <StaticRouter>',
];

function recordCall(level, args, callee) {
  if (!current) return;
  if (current.clientOnly) {
    const text = util.format(...args);
    if (SERVER_ONLY_WARNINGS.some((warning) => text.includes(warning))) return;
  }
  const holder = {};
  Error.captureStackTrace(holder, callee);
  void holder.stack;
  let ownerStack = null;
  try {
    if (currentReact && typeof currentReact.captureOwnerStack === 'function') ownerStack = currentReact.captureOwnerStack();
  } catch (_) {
    ownerStack = null;
  }
  current.console.push({ level, message: util.format(...args), frames: holder.__frames || [], owner_stack: ownerStack || null });
}
console.error = function consoleError(...args) {
  recordCall('error', args, consoleError);
};
console.warn = function consoleWarn(...args) {
  recordCall('warn', args, consoleWarn);
};
console.log = () => {};
console.info = () => {};
console.debug = () => {};

process.on('uncaughtException', (error) => {
  if (current) current.late.push(error);
});
process.on('unhandledRejection', (error) => {
  if (current) current.late.push(error);
});

// Node's own HTTP clients (axios's Node adapter, got, ...) are blocked like `fetch`.
for (const name of ['http', 'https']) {
  const client = require(name);
  const block = function blockedRequest(target) {
    const url = typeof target === 'string' ? target : target instanceof URL ? target.href : `${name}://${(target && (target.hostname || target.host)) || 'localhost'}${(target && target.path) || ''}`;
    const error = new Error(`fetch(${url}) during render: the render step blocks the network`);
    error.name = 'BlockedFetch';
    error.url = url;
    void error.stack;
    if (current) current.fetches.push({ url, frames: error.__frames || [] });
    throw error;
  };
  client.request = block;
  client.get = block;
}

globalThis.fetch = async function blockedFetch(input) {
  const url = typeof input === 'string' ? input : input && input.url ? input.url : String(input);
  const fixture = current && current.fixtures[url];
  if (fixture) {
    const body = fs.readFileSync(fixture, 'utf8');
    return new Response(body, { status: 200, headers: { 'content-type': 'application/json' } });
  }
  const error = new Error(`fetch(${url}) during render: the render step blocks the network`);
  error.name = 'BlockedFetch';
  error.url = url;
  // Kept apart too: an app that wraps the error in its own loses where the fetch was made.
  void error.stack;
  if (current) current.fetches.push({ url, frames: error.__frames || [] });
  throw error;
};

function describe(error) {
  if (error === null || typeof error !== 'object') {
    return { name: 'Error', message: String(error), frames: [], source: null };
  }
  void error.stack;
  return {
    name: String(error.name || 'Error'),
    message: String(error.message || error),
    frames: error.__frames || [],
    source: error.__source || null,
    url: error.url || null,
    stack: typeof error.stack === 'string' ? error.stack.slice(0, 4000) : null,
  };
}

/** Next.js control flow: notFound() and redirect() end a render on purpose. */
function isControlFlow(error) {
  const digest = error && typeof error.digest === 'string' ? error.digest : '';
  return digest.startsWith('NEXT_NOT_FOUND') || digest.startsWith('NEXT_REDIRECT') || digest.startsWith('NEXT_HTTP_ERROR_FALLBACK');
}

function isAsyncFunction(value) {
  return typeof value === 'function' && value.constructor && value.constructor.name === 'AsyncFunction';
}

/** Async server components awaited ahead of React, wherever the tree holds them directly. */
async function resolveAsync(React, node) {
  if (Array.isArray(node)) {
    const out = [];
    let changed = false;
    for (const child of node) {
      const resolved = await resolveAsync(React, child);
      changed = changed || resolved !== child;
      out.push(resolved);
    }
    return changed ? out : node;
  }
  if (!React.isValidElement(node)) return node;
  if (isAsyncFunction(node.type)) {
    return resolveAsync(React, await node.type(node.props));
  }
  if (node.props && node.props.children !== undefined) {
    const children = await resolveAsync(React, node.props.children);
    // Passed back the way JSX passed them: an array of static children needs no keys.
    if (children !== node.props.children) {
      return Array.isArray(children) ? React.cloneElement(node, undefined, ...children) : React.cloneElement(node, undefined, children);
    }
  }
  return node;
}

function defaultExport(module) {
  return module && module.__esModule ? module.default : module && module.default ? module.default : module;
}

function renderToString(ReactDOMServer, element) {
  return new Promise((resolve, reject) => {
    const errors = [];
    let html = '';
    const stream = ReactDOMServer.renderToPipeableStream(element, {
      onAllReady() {
        const sink = new Writable({
          write(chunk, _encoding, callback) {
            html += chunk;
            callback();
          },
        });
        sink.on('finish', () => resolve({ html, errors }));
        stream.pipe(sink);
      },
      onShellError(error) {
        reject(error);
      },
      onError(error) {
        errors.push(error);
      },
    });
  });
}

async function params(job, page) {
  let values = job.params;
  if (page && typeof page.generateStaticParams === 'function') {
    try {
      const generated = await page.generateStaticParams({ params: {} });
      if (Array.isArray(generated) && generated.length > 0 && generated[0] && typeof generated[0] === 'object') {
        values = { ...values, ...generated[0] };
      }
    } catch (_) {
      // Placeholders stand in when the page cannot list its own params here.
    }
  }
  return values;
}

/** A value that is both the params object and a promise of it (Next.js 15 passes promises). */
function awaitable(values) {
  return Object.assign(Promise.resolve(values), values);
}

/**
 * A React Router framework route, rendered the way the framework's server does: react-router's
 * own static handler matches the URL and runs the loaders (with `fetch` blocked like a render's),
 * and its static router renders the matched chain, the root module's `Layout` around it. The
 * framework context the build would make (manifest, route modules) is reduced to what
 * `<Meta>`, `<Links>` and `<Scripts>` read.
 */
async function frameworkElement(React, requireFrom, job) {
  const router = requireFrom('react-router');
  // Root first, the page last: each route the only child of the one before.
  const files = [...job.layouts].reverse().concat(job.page);
  const modules = files.map((file) => requireFrom(file));
  const ids = files.map((file) => path.relative(job.app, file));
  // The route's own pattern (`products/:id`): react-router reads the params from the URL.
  const leafPath = job.route.replace(/^\/+/, '');
  let child = null;
  for (let i = files.length - 1; i >= 0; i -= 1) {
    const module = modules[i];
    let Component = defaultExport(module);
    if (typeof Component !== 'function' && typeof Component !== 'object') {
      if (i === files.length - 1) throw new TypeError(`the route module has no component as its default export`);
      Component = router.Outlet;
    } else if (typeof router.UNSAFE_withComponentProps === 'function') {
      // As the framework's build does: the component gets `loaderData`, `params`, `matches`.
      Component = router.UNSAFE_withComponentProps(Component);
    }
    if (i === 0 && typeof module.Layout === 'function') {
      const { Layout } = module;
      const Root = Component;
      Component = function FrameworkRoot() {
        return React.createElement(Layout, null, React.createElement(Root));
      };
    }
    const route = { id: ids[i], Component };
    if (typeof module.loader === 'function') route.loader = module.loader;
    if (i === 0) route.path = '/';
    else if (i === files.length - 1) {
      if (leafPath === '') route.index = true;
      else route.path = leafPath;
    }
    if (child) route.children = [child];
    child = route;
  }
  const handler = router.createStaticHandler([child]);
  const context = await handler.query(new Request(new URL(job.url, 'http://localhost')));
  // A redirect from a loader, or a Response it throws (a 404 for the placeholder id), ends the
  // render on purpose, as notFound() does in Next.js.
  if (context instanceof Response) return null;
  const failed = context.errors && Object.values(context.errors)[0];
  if (failed && router.isRouteErrorResponse(failed)) return null;
  // A blocked fetch is the route's finding; any other loader error most often means the loader
  // needs what its server gives it (a load context with a database, platform bindings): the
  // route is left unrendered and said so, not failed.
  if (failed && current.fetches.length > 0) throw failed;
  if (failed) {
    current.unloaded = describe(failed);
    return null;
  }
  const staticRouter = router.createStaticRouter(handler.dataRoutes, context);
  const framework = {
    manifest: {
      // Placeholder URLs: `<Scripts>` links them, nothing loads them.
      routes: Object.fromEntries(ids.map((id, i) => [id, { id, module: `/${id}`, hasLoader: Boolean(modules[i].loader), imports: [], css: [] }])),
      entry: { module: '/entry.client.js', imports: [] },
      url: '/manifest.js',
      version: '',
    },
    routeModules: Object.fromEntries(ids.map((id, i) => [id, modules[i]])),
    future: {},
    ssr: true,
    isSpaMode: false,
    routeDiscovery: { mode: 'initial' },
    serverHandoffString: '{}',
    renderMeta: {},
  };
  return React.createElement(
    router.UNSAFE_FrameworkContext.Provider,
    { value: framework },
    React.createElement(router.StaticRouterProvider, { router: staticRouter, context, hydrate: false }),
  );
}

/** `require` that answers null when `name` is not installed. */
function optional(requireFrom, name) {
  try {
    return requireFrom(name);
  } catch (error) {
    if (error && error.code === 'MODULE_NOT_FOUND' && String(error.message).includes(`'${name}'`)) return null;
    throw error;
  }
}

/** The URL a React Router path renders at: `:id` and `*` are `1`, optional segments left out. */
function placeholderUrl(pattern) {
  const segments = pattern.split('/').filter((segment) => segment && !segment.endsWith('?'));
  return '/' + segments.map((segment) => (segment === '*' || segment.startsWith(':') ? '1' : segment)).join('/');
}

/** The full path of the route at `position` in `routes` (`null`: there is none). */
function pathAt(routes, position) {
  let full = '';
  let level = routes;
  for (const index of position) {
    const route = Array.isArray(level) ? level[index] : undefined;
    if (!route || typeof route !== 'object') return null;
    const own = typeof route.path === 'string' ? route.path : '';
    if (own.startsWith('/')) full = own;
    else if (own) full = `${full.replace(/\/+$/, '')}/${own}`;
    level = route.children;
  }
  return full || '/';
}

/**
 * A React Router route-object app (library mode), rendered the way its browser would build
 * it: the entry module runs with `createRoot(…).render(tree)` captured and the app's
 * `createBrowserRouter` (and hash/memory siblings) made static: each router's routes go to
 * react-router's own static handler at the route's URL (loaders run with `fetch` blocked),
 * and `<RouterProvider>` renders its static router, so each route renders inside its parent
 * routes' elements (`<Outlet />`) and inside the providers the entry puts around the router.
 * `<BrowserRouter>`/`<HashRouter>` (a `<Routes>` app) become a `<StaticRouter>` at the URL.
 */
async function objectsElement(React, requireFrom, job) {
  const api = [optional(requireFrom, 'react-router'), optional(requireFrom, 'react-router-dom/server')]
    .find((candidate) => candidate && typeof candidate.createStaticHandler === 'function' && candidate.StaticRouterProvider);
  if (!api) throw new Error('rendering route objects needs react-router 6.4 or newer (its createStaticHandler)');
  let rootElement = null;
  /** Routers by the place of their `createBrowserRouter` call: a component that builds its router while rendering gets the same one back when React renders it again. */
  const routers = new Map();
  const target = { prepared: false };
  const prepare = async (router) => {
    let url = job.url;
    if (job.position && router.file === job.declared_in) {
      const full = pathAt(router.routes, job.position);
      if (full !== null) {
        url = placeholderUrl(full);
        current.path = full;
        target.prepared = true;
      }
    } else if (!job.position) {
      target.prepared = true;
    }
    const handler = api.createStaticHandler(router.routes, { basename: router.basename });
    const context = await handler.query(new Request(new URL(url, 'http://localhost')));
    if (context instanceof Response) {
      router.element = null;
      return;
    }
    const failed = context.errors && Object.values(context.errors)[0];
    if (failed && !(api.isRouteErrorResponse && api.isRouteErrorResponse(failed))) {
      if (current.fetches.length > 0 || current.runtimeModule) throw failed;
      current.unloaded = describe(failed);
    }
    const staticRouter = api.createStaticRouter(handler.dataRoutes, context);
    router.element = React.createElement(api.StaticRouterProvider, { router: staticRouter, context, hydrate: false });
  };
  const capture = (kind) =>
    function createRouter(routes, options) {
      const holder = {};
      Error.captureStackTrace(holder, createRouter);
      void holder.stack;
      const frame = (holder.__frames || [])[0] || {};
      const site = `${frame.file}:${frame.line}:${frame.column}`;
      if (!routers.has(site)) {
        routers.set(site, { kind, file: frame.file, routes, basename: (options && options.basename) || undefined, element: undefined, ready: null });
      }
      return { __commerceRouter: routers.get(site) };
    };
  // Settles either way (a failure is kept): React retries a suspended component when the
  // promise settles, and a rejected one thrown again would be retried forever.
  const ready = (router) => {
    if (!router.ready) {
      router.ready = prepare(router).catch((error) => {
        router.failure = error;
      });
    }
    return router.ready;
  };
  function RouterProvider({ router }) {
    const prepared = router && router.__commerceRouter;
    if (!prepared) throw new TypeError('<RouterProvider> was given a router its app did not create with createBrowserRouter');
    if (prepared.element === undefined && !prepared.failure) {
      if (typeof React.use === 'function') React.use(ready(prepared));
      else throw ready(prepared);
    }
    if (prepared.failure) throw prepared.failure;
    return prepared.element;
  }
  function BrowserRouter({ children, basename }) {
    const Static = api.StaticRouter || optional(requireFrom, 'react-router-dom/server').StaticRouter;
    return React.createElement(Static, { location: job.url, basename }, children);
  }
  const routerOverrides = {
    createBrowserRouter: capture('browser'),
    createHashRouter: capture('hash'),
    createMemoryRouter: capture('memory'),
    RouterProvider,
    BrowserRouter,
    HashRouter: BrowserRouter,
  };
  const rootOverrides = {
    createRoot: () => ({ render: (element) => { rootElement = rootElement || element; }, unmount() {} }),
    hydrateRoot: (_container, element) => {
      rootElement = rootElement || element;
      return { render() {}, unmount() {} };
    },
  };
  for (const [name, overrides] of [['react-router', routerOverrides], ['react-router-dom', routerOverrides], ['react-router/dom', routerOverrides], ['react-dom/client', rootOverrides]]) {
    let real;
    try {
      real = requireFrom.resolve(name);
    } catch (_) {
      continue;
    }
    const file = path.join(job.app, '__commerce_render_shims__', `override-${name.replace(/\//g, '-')}.js`);
    globalThis.__commerce_overrides[name] = overrides;
    served.set(file, {
      code: `const real = require(${JSON.stringify(real)});
module.exports = Object.assign({}, real, globalThis.__commerce_overrides[${JSON.stringify(name)}]);
if (real.__esModule) Object.defineProperty(module.exports, '__esModule', { value: true });`,
      resolve: {},
    });
    current.overrides[name] = file;
  }
  // The entry asks the page for its container (`document.getElementById('root')`): a stand-in
  // while it loads (and while a promise it starts settles), gone before the render.
  const hadDocument = 'document' in globalThis;
  if (!hadDocument) {
    const node = () => ({ appendChild() {}, removeChild() {}, setAttribute() {}, classList: { add() {}, remove() {} }, style: {} });
    globalThis.document = { getElementById: node, querySelector: node, createElement: node, body: node(), documentElement: node(), head: node() };
  }
  try {
    requireFrom(job.entry);
    // An entry that renders once a promise settles (mocks, feature flags) gets up to a second.
    const until = Date.now() + 1000;
    while (!rootElement && routers.size === 0 && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  } finally {
    if (!hadDocument) delete globalThis.document;
  }
  let element = rootElement;
  if (!element) {
    const router = [...routers.values()].find((candidate) => candidate.file === job.declared_in) || routers.values().next().value;
    if (router) {
      element = React.createElement(RouterProvider, { router: { __commerceRouter: router } });
    } else if (!job.position) {
      // A `<Routes>` app whose entry renders nothing here: the declaring module's component.
      const App = defaultExport(requireFrom(job.declared_in));
      if (typeof App === 'function') element = React.createElement(BrowserRouter, null, React.createElement(App));
    }
  }
  if (!element) {
    // What stopped the entry (most often an API only a browser has) says why, as a note: the
    // routes render only inside the tree the entry renders.
    const late = current.late.length > 0 ? describe(current.late[0]) : null;
    current.late = [];
    const why = late ? ` (${late.name}: ${String(late.message).split('\n')[0].slice(0, 200)})` : '';
    current.skipped = `the app's entry \`${path.relative(job.app, job.entry)}\` rendered nothing and built no router here${why}`;
  }
  // The `<Route>`s of a `<Routes>` element have no router to be reached through.
  return { element, reached: () => target.prepared || !job.position };
}

async function render(job) {
  const requireFrom = Module.createRequire(path.join(job.app, 'package.json'));
  const React = requireFrom('react');
  currentReact = React;
  const ReactDOMServer = requireFrom('react-dom/server');
  if (job.router === 'objects') {
    const { element, reached } = await objectsElement(React, requireFrom, job);
    if (!element) return;
    await renderElement(React, ReactDOMServer, requireFrom, job.providers, element);
    if (!reached() && !current.unloaded) {
      current.skipped = 'the app rendered without reaching the router that declares this route (a guard or a redirect before it?)';
    }
    return;
  }
  if (job.router === 'framework') {
    const element = await frameworkElement(React, requireFrom, job);
    if (element) await renderElement(React, ReactDOMServer, requireFrom, job.providers, element);
    return;
  }
  const load = (file) => requireFrom(file);
  const pageModule = load(job.page);
  const Page = defaultExport(pageModule);
  if (typeof Page !== 'function' && typeof Page !== 'object') {
    throw new TypeError(`the page module has no component as its default export`);
  }
  const values = await params(job, pageModule);
  const searchParams = awaitable({});
  let element = React.createElement(Page, job.router === 'pages' ? {} : { params: awaitable(values), searchParams });
  if (job.app_component) {
    const App = defaultExport(load(job.app_component));
    element = React.createElement(App, { Component: Page, pageProps: {} });
  }
  for (const file of job.layouts) {
    const Layout = defaultExport(load(file));
    element = React.createElement(Layout, { params: awaitable(values) }, element);
  }
  await renderElement(React, ReactDOMServer, requireFrom, job.providers, element);
}

/** Renders `element` inside the configured providers; throws the first real render error. */
async function renderElement(React, ReactDOMServer, requireFrom, providers, element) {
  for (const file of [...providers].reverse()) {
    const Provider = defaultExport(requireFrom(file));
    element = React.createElement(Provider, null, element);
  }
  element = await resolveAsync(React, element);
  const { errors } = await renderToString(ReactDOMServer, element);
  const real = errors.filter((error) => !isControlFlow(error));
  if (real.length > 0) throw real[0];
}

async function run(job) {
  served = new Map(Object.entries(job.modules));
  for (const key of Object.keys(Module._cache)) {
    if (served.has(key) || key.includes('__commerce_render_shims__')) delete Module._cache[key];
  }
  const shims = {};
  for (const [name, code] of Object.entries(SHIMS)) {
    const file = path.join(job.app, '__commerce_render_shims__', `${name.replace(/\//g, '-')}.js`);
    shims[name] = file;
    served.set(file, { code, resolve: {} });
  }
  setImportMeta(job.env || {});
  current = { console: [], late: [], fetches: [], fixtures: job.fixtures, shims, overrides: {}, project: new Set(Object.keys(job.modules).filter((file) => !file.split(path.sep).includes('node_modules'))), clientOnly: job.router === 'objects' };
  const started = process.hrtime.bigint();
  let error = null;
  try {
    await render(job);
  } catch (thrown) {
    if (!isControlFlow(thrown)) error = describe(thrown);
  }
  // Let errors thrown from timers queued by the render surface.
  await new Promise((resolve) => setImmediate(resolve));
  const ms = Number((process.hrtime.bigint() - started) / 1000000n);
  if (!error && current.late.length > 0) error = describe(current.late[0]);
  let skipped = current.skipped || null;
  if (current.runtimeModule && (error || current.unloaded)) {
    const scheme = current.runtimeModule.split(':')[0];
    skipped = `it imports \`${current.runtimeModule}\`, which only ${RUNTIMES[scheme]} provides; Node cannot load it`;
    error = null;
    current.unloaded = null;
  }
  const answer = { id: job.id, ms, error, console: current.console, fetches: current.fetches, unloaded: current.unloaded || null, skipped, path: current.path || null };
  current = null;
  return answer;
}

let queue = Promise.resolve();
let buffered = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  buffered += chunk;
  let newline;
  while ((newline = buffered.indexOf('\n')) >= 0) {
    const line = buffered.slice(0, newline);
    buffered = buffered.slice(newline + 1);
    if (!line.trim()) continue;
    const job = JSON.parse(line);
    queue = queue.then(() => run(job)).then(writeAnswer, (failure) =>
      writeAnswer({ id: job.id, ms: 0, error: describe(failure), console: [] }),
    );
  }
});
process.stdin.on('end', () => queue.then(() => exitWorker(0)));
writeAnswer({ ready: true });
