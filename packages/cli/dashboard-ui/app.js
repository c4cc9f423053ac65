// The Outrig dev dashboard: one page, no build step. Data from /api/*, live updates from
// /api/stream (server-sent events). DOM built with h() (never innerHTML: logs are untrusted).

const $ = (sel, root = document) => root.querySelector(sel);
const state = {
  view: 'system',
  token: null,
  user: null,
  system: null,
  openapi: null,
  traceId: null,
  spanId: null,
};
// Dark enough for text on white and on the warning/error row tints (WCAG AA).
const PALETTE = ['#1d4ed8', '#047857', '#9a4a06', '#6d28d9', '#be185d', '#0e7490', '#3f6212', '#b91c1c'];
const colours = new Map();
const colourOf = (service) => {
  if (!colours.has(service)) colours.set(service, PALETTE[colours.size % PALETTE.length]);
  return colours.get(service);
};

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style') el.style.cssText = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Number.POSITIVE_INFINITY))
    if (c !== undefined && c !== null && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

async function api(path, init) {
  const res = await fetch(path, init);
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body?.error?.message ?? `${res.status}`);
  return body;
}
const post = (path, body) =>
  api(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  });

const time = (iso) => new Date(iso).toLocaleTimeString([], { hour12: false });
const ms = (n) =>
  n === null || n === undefined ? '–' : n < 10 ? `${n.toFixed(2)} ms` : `${Math.round(n)} ms`;
const emptyRow = (cols, text) => h('tr', {}, h('td', { colspan: cols, class: 'empty' }, text));
function debounce(fn, wait) {
  let t;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), wait);
  };
}

// ---------- navigation ----------
const views = ['system', 'api', 'traces', 'events', 'sagas', 'logs'];
function route() {
  const [view, arg, arg2] = location.hash.slice(1).split('/').map(decodeURIComponent);
  state.view = views.includes(view) ? view : 'system';
  for (const s of document.querySelectorAll('main > section')) s.hidden = s.dataset.view !== state.view;
  for (const a of document.querySelectorAll('header nav a')) {
    if (a.dataset.view === state.view) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (state.view === 'traces') {
    if (arg) openTrace(arg);
    else closeTrace();
    loadTraces();
  }
  if (state.view === 'system') loadSystem();
  if (state.view === 'api') loadOpenApi();
  if (state.view === 'events') loadEvents();
  if (state.view === 'logs') loadLogs();
  if (state.view === 'sagas') {
    state.saga = arg && arg2 ? { service: arg, id: arg2 } : null;
    loadSagas();
  }
}
window.addEventListener('hashchange', () => {
  route();
  $('main').focus({ preventScroll: true });
});

// ---------- System ----------
async function loadSystem() {
  try {
    const sys = await api('/api/system');
    state.system = sys;
    $('#system-name').textContent = sys.system;
    document.title = `${sys.system} · Outrig dashboard`;
    renderServices(sys);
    fillServiceSelects(sys.services.map((s) => s.name));
  } catch (err) {
    $('#services tbody').replaceChildren(emptyRow(10, `Cannot read the system: ${err.message}`));
  }
}

function serviceHealth(s) {
  const p = s.process;
  if (p?.state === 'stopped') return { label: 'stopped', cls: 'bad', detail: 'stopped from the dashboard' };
  if (p?.state === 'down')
    return {
      label: 'down',
      cls: 'bad',
      detail: `exited (${p.lastExit?.signal ?? `code ${p.lastExit?.code}`})`,
    };
  if (!s.probe?.live)
    return {
      label: p?.state === 'starting' ? 'starting' : 'down',
      cls: p?.state === 'starting' ? 'warn' : 'bad',
      detail: s.probe?.error ?? 'no answer',
    };
  if (!s.probe.ready)
    return {
      label: 'not ready',
      cls: 'bad',
      detail: s.probe.failing.length ? `failing: ${s.probe.failing.join(', ')}` : 'not ready',
    };
  return { label: 'up', cls: 'ok', detail: 'live and ready' };
}

function renderServices(sys) {
  const rows = sys.services.map((s) => {
    const st = serviceHealth(s);
    const stopped = s.process?.state === 'stopped';
    const checks = Object.entries(s.probe?.checks ?? {});
    const versions = (s.probe?.versions ?? []).map(
      (v) => `${v.version} ${v.status}${v.sunset ? ` (sunset ${v.sunset.slice(0, 10)})` : ''}`,
    );
    const m = s.metrics;
    return h(
      'tr',
      { class: st.cls, dataset: { service: s.name, state: st.label } },
      h(
        'th',
        { scope: 'row' },
        h('a', { href: `${s.url}/docs`, target: '_blank', rel: 'noreferrer' }, s.name),
        h('div', { class: 'muted' }, s.url),
      ),
      h('td', {}, h('span', { class: `badge ${st.cls} state` }, st.label)),
      h(
        'td',
        {},
        st.detail,
        checks.length ? h('div', { class: 'muted' }, checks.map(([k, v]) => `${k}: ${v}`).join(' · ')) : null,
      ),
      h('td', {}, h('div', { class: 'num' }, s.process?.pid || '–'), registryCell(s.registry)),
      h(
        'td',
        { class: 'num' },
        `${s.process?.restarts ?? 0}${s.process?.reloads ? ` (+${s.process.reloads} reloads)` : ''}`,
      ),
      h('td', {}, versions.length ? versions.join(', ') : h('span', { class: 'muted' }, '–')),
      h('td', { class: 'num' }, m?.rate === null || !m ? '–' : m.rate.toFixed(2)),
      h('td', { class: 'num' }, !m || m.errorRate === null ? '–' : `${(m.errorRate * 100).toFixed(1)} %`),
      h('td', { class: 'num' }, ms(m?.p99Ms)),
      h(
        'td',
        {},
        h(
          'button',
          {
            type: 'button',
            'aria-label': `${stopped ? 'Start' : 'Stop'} ${s.name}`,
            onclick: async (e) => {
              e.currentTarget.disabled = true;
              e.currentTarget.textContent = stopped ? 'Starting…' : 'Stopping…';
              await post(`/api/services/${encodeURIComponent(s.name)}/${stopped ? 'start' : 'stop'}`).catch(
                alertError,
              );
              loadSystem();
            },
          },
          stopped ? 'Start' : 'Stop',
        ),
      ),
    );
  });
  $('#services tbody').replaceChildren(
    ...(rows.length ? rows : [emptyRow(10, 'No services in outrig.json.')]),
  );
  const edges = sys.edges.map((e) =>
    h(
      'li',
      {},
      `${e.from} → ${e.to} `,
      h(
        'span',
        { class: 'muted' },
        e.kind === 'event' ? `event${e.topic ? ` on ${e.topic}` : ''}` : 'HTTP',
        ` · ${e.count}×`,
      ),
    ),
  );
  for (const c of sys.consumers ?? [])
    edges.push(
      h(
        'li',
        {},
        `${c.group} consumes ${c.topic} `,
        h('span', { class: 'muted' }, `group ${c.group} · lag ${c.lag} · ${c.members} live member(s)`),
      ),
    );
  $('#edges').replaceChildren(
    ...(edges.length
      ? edges
      : [
          h(
            'li',
            { class: 'empty' },
            'Nothing observed yet — calls and event deliveries appear here as traces arrive.',
          ),
        ]),
  );
}

function registryCell(r) {
  if (!r) return null;
  if (r.error) return h('div', { class: 'muted' }, `registry: ${r.error}`);
  const n = r.instances.length;
  return h(
    'div',
    { class: n ? 'muted' : 'badge bad' },
    n === 1 ? '1 instance registered' : `${n} instances registered`,
    n ? h('div', {}, r.instances.map((i) => i.url).join(', ')) : null,
  );
}

function fillServiceSelects(names) {
  for (const sel of document.querySelectorAll('select[name="service"]')) {
    if (sel.options.length > 1) continue;
    for (const n of names) sel.append(h('option', { value: n }, n));
  }
}

// ---------- API explorer ----------
async function loadOpenApi() {
  if (state.openapi) return;
  try {
    state.openapi = await api('/api/openapi');
    renderOperations();
  } catch (err) {
    $('#operations').replaceChildren(
      h('li', { class: 'empty' }, `No OpenAPI from the gateway: ${err.message}`),
    );
  }
}

function operations() {
  const out = [];
  for (const [path, item] of Object.entries(state.openapi?.paths ?? {}))
    for (const [method, op] of Object.entries(item))
      if (['get', 'post', 'put', 'patch', 'delete'].includes(method))
        out.push({ path, method: method.toUpperCase(), op });
  return out;
}

function renderOperations() {
  const q = $('#op-filter').value.toLowerCase();
  const items = operations()
    .filter((o) => !q || o.path.toLowerCase().includes(q) || (o.op.summary ?? '').toLowerCase().includes(q))
    .map((o) =>
      h(
        'li',
        {},
        h(
          'button',
          { type: 'button', onclick: () => pickOperation(o), title: o.op.summary ?? '' },
          h('span', { class: `method m-${o.method}` }, o.method),
          h('span', {}, o.path),
        ),
      ),
    );
  $('#operations').replaceChildren(
    ...(items.length ? items : [h('li', { class: 'empty' }, 'No operation matches.')]),
  );
}

function resolveRef(schema) {
  let s = schema;
  for (let i = 0; s?.$ref && i < 10; i++)
    s = s.$ref
      .split('/')
      .slice(1)
      .reduce((o, k) => o?.[k], state.openapi);
  return s;
}
function sample(schema, depth = 0) {
  const s = resolveRef(schema);
  if (!s || depth > 6) return null;
  if (s.example !== undefined) return s.example;
  if (s.default !== undefined) return s.default;
  if (s.enum) return s.enum[0];
  if (s.anyOf || s.oneOf) return sample((s.anyOf ?? s.oneOf)[0], depth + 1);
  if (s.allOf) return Object.assign({}, ...s.allOf.map((x) => sample(x, depth + 1)));
  const type = Array.isArray(s.type) ? s.type[0] : s.type;
  if (type === 'object' || s.properties) {
    const o = {};
    for (const [k, v] of Object.entries(s.properties ?? {})) o[k] = sample(v, depth + 1);
    return o;
  }
  if (type === 'array') return [sample(s.items, depth + 1)];
  if (type === 'integer' || type === 'number') return s.minimum ?? 1;
  if (type === 'boolean') return true;
  if (s.format === 'email') return 'someone@example.com';
  if (s.format === 'uuid') return '00000000-0000-7000-8000-000000000000';
  if (s.format === 'date-time') return new Date().toISOString();
  return s.minLength > 6 ? 'x'.repeat(s.minLength) : 'string';
}

function pickOperation(o) {
  const form = $('#request');
  form.method.value = o.method;
  form.path.value = o.path;
  const schema = o.op.requestBody?.content?.['application/json']?.schema;
  form.body.value = schema ? JSON.stringify(sample(schema), null, 2) : '';
  const needsToken = (o.op.security ?? state.openapi.security ?? []).length > 0;
  $('#op-summary').textContent =
    `${o.op.summary ?? `${o.method} ${o.path}`}${needsToken ? ' · needs a token (log in above)' : ''}${o.path.includes('{') ? ' · fill in the {parameters} of the path' : ''}`;
  form.path.focus();
}

async function send(method, path, body) {
  const headers = state.token ? { authorization: `Bearer ${state.token}` } : {};
  return post('/api/send', { method, path, headers, ...(body === undefined ? {} : { body }) });
}

function showResponse(r) {
  const requestId = r.headers['x-request-id'];
  $('#response').replaceChildren(
    h(
      'p',
      {},
      h('span', { class: `badge ${r.status < 400 ? 'ok' : 'bad'}` }, String(r.status)),
      ` in ${r.ms} ms `,
      requestId ? h('span', { class: 'muted' }, `· request ${requestId} `) : null,
      h('a', { href: `#traces/${r.traceId}`, id: 'open-trace' }, 'Open its trace'),
      requestId
        ? [' · ', h('a', { href: `#logs`, onclick: () => setLogFilter({ requestId }) }, 'its logs')]
        : null,
    ),
    h(
      'pre',
      { tabindex: '0', 'aria-label': 'Response body' },
      typeof r.body === 'string' ? r.body : JSON.stringify(r.body, null, 2),
    ),
  );
}

$('#op-filter').addEventListener('input', renderOperations);
$('#request').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = e.currentTarget;
  let body;
  if (f.body.value.trim() !== '') {
    try {
      body = JSON.parse(f.body.value);
    } catch (err) {
      $('#response').replaceChildren(
        h('p', { class: 'badge bad', role: 'alert' }, `The body is not JSON: ${err.message}`),
      );
      return;
    }
  }
  try {
    showResponse(await send(f.method.value, f.path.value, body));
  } catch (err) {
    $('#response').replaceChildren(h('p', { role: 'alert' }, `Not sent: ${err.message}`));
  }
});
$('#login').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = e.currentTarget;
  try {
    const r = await post('/api/send', {
      method: 'POST',
      path: '/api/v1/auth/login',
      body: { email: f.email.value, password: f.password.value },
    });
    const token = r.body?.data?.accessToken;
    if (!token) throw new Error(r.body?.error?.message ?? `status ${r.status}`);
    state.token = token;
    state.user = f.email.value;
    sessionStorage.setItem('outrig.token', token);
    sessionStorage.setItem('outrig.user', state.user);
    renderLogin();
  } catch (err) {
    $('#login-state').textContent = `Login failed: ${err.message}`;
  }
});
$('#logout').addEventListener('click', () => {
  state.token = null;
  sessionStorage.removeItem('outrig.token');
  renderLogin();
});
function renderLogin() {
  $('#login-state').textContent = state.token
    ? `Logged in as ${state.user}: requests carry the token.`
    : 'Not logged in: requests go without a token.';
  $('#logout').hidden = !state.token;
}

// ---------- Traces ----------
const traceQuery = () =>
  new URLSearchParams([...new FormData($('#trace-filter'))].filter(([, v]) => v !== ''));
const loadTraces = debounce(async () => {
  const { traces } = await api(`/api/traces?${traceQuery()}`).catch(() => ({ traces: [] }));
  const rows = traces.map((t) =>
    h(
      'tr',
      {
        class: `clickable${t.traceId === state.traceId ? ' selected' : ''}`,
        dataset: { trace: t.traceId },
        onclick: () => (location.hash = `traces/${t.traceId}`),
      },
      h('td', {}, time(t.start)),
      h(
        'td',
        {},
        h('a', { href: `#traces/${t.traceId}` }, t.name),
        h('div', { class: 'muted' }, t.rootService),
      ),
      h('td', {}, t.services.join(', ')),
      h('td', { class: 'num' }, ms(t.durationMs)),
      h('td', { class: 'num' }, t.spans),
      h(
        'td',
        {},
        h('span', { class: `badge ${t.error ? 'bad' : 'ok'}` }, t.error ? 'error' : (t.status ?? 'ok')),
      ),
    ),
  );
  $('#traces tbody').replaceChildren(
    ...(rows.length
      ? rows
      : [
          emptyRow(
            6,
            state.receivesTraces === false
              ? 'The services export their spans to your OTEL_EXPORTER_OTLP_ENDPOINT, not here: look there.'
              : 'No traces yet — send a request from the API explorer.',
          ),
        ]),
  );
}, 150);
$('#trace-filter').addEventListener('input', loadTraces);
$('#trace-filter').addEventListener('submit', (e) => e.preventDefault());

function closeTrace() {
  state.traceId = null;
  $('#trace-detail').hidden = true;
}

async function openTrace(id) {
  state.traceId = id;
  const box = $('#trace-detail');
  box.hidden = false;
  let data;
  try {
    data = await api(`/api/traces/${id}`);
  } catch {
    box.replaceChildren(
      h('h3', {}, `Trace ${id}`),
      h(
        'p',
        { class: 'empty' },
        'No spans of this trace yet — they arrive within a second or two; this view updates when they do.',
      ),
    );
    return;
  }
  const total = Math.max(data.trace.durationMs, 0.001);
  const rows = data.spans.map((s) =>
    h(
      'li',
      { dataset: { span: s.spanId, service: s.service } },
      h(
        'button',
        {
          type: 'button',
          class: 'label',
          style: `padding-left:${0.2 + s.depth * 1.1}rem`,
          'aria-label': `${s.service} ${s.name}, ${ms(s.durationMs)}${s.error ? ', error' : ''}`,
          onclick: () => showSpan(data, s),
        },
        h('span', { class: 'svc', style: `color:${colourOf(s.service)}` }, s.service),
        ' ',
        s.name,
        s.error ? ' ⚠' : '',
      ),
      h(
        'div',
        { class: 'track', 'aria-hidden': 'true' },
        h('div', {
          class: 'bar',
          style: `left:${(s.offsetMs / total) * 100}%;width:${(s.durationMs / total) * 100}%;background:${s.error ? '#a4161a' : colourOf(s.service)}`,
        }),
      ),
    ),
  );
  box.replaceChildren(
    h('h3', {}, data.trace.name),
    h(
      'p',
      { class: 'muted' },
      `trace ${id} · ${ms(data.trace.durationMs)} · ${data.trace.spans} spans · ${data.trace.services.join(', ')} · `,
      h(
        'a',
        { href: '#logs', onclick: () => setLogFilter({ traceId: id }) },
        `${data.logs.length} log lines`,
      ),
    ),
    h('ol', { class: 'waterfall', 'aria-label': 'Spans' }, rows),
    h('div', { class: 'span-detail', id: 'span-detail' }),
  );
  const selected = data.spans.find((s) => s.spanId === state.spanId);
  if (selected) showSpan(data, selected);
}

function showSpan(data, s) {
  state.spanId = s.spanId;
  const logs = data.logs.filter((l) => l.spanId === s.spanId);
  const pairs = [
    ['kind', s.kind],
    ['start', `+${ms(s.offsetMs)}`],
    ['duration', ms(s.durationMs)],
    ['span id', s.spanId],
    ...(s.statusMessage ? [['status', s.statusMessage]] : []),
    ...Object.entries(s.attributes).map(([k, v]) => [
      k,
      typeof v === 'object' ? JSON.stringify(v) : String(v),
    ]),
  ];
  $('#span-detail').replaceChildren(
    h(
      'div',
      {},
      h('h4', {}, `${s.service} · ${s.name}`),
      h(
        'dl',
        {},
        pairs.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]),
      ),
      s.events.length ? h('p', {}, `Events: ${s.events.map((e) => e.name).join(', ')}`) : null,
      s.links.length
        ? h(
            'p',
            {},
            'Linked: ',
            s.links.map((l) => [
              h('a', { href: `#traces/${l.traceId}` }, `trace ${l.traceId.slice(0, 8)}…`),
              ' ',
            ]),
          )
        : null,
      h('h4', {}, 'Log lines of this span'),
      logs.length ? h('ol', { class: 'logs' }, logs.map(logItem)) : h('p', { class: 'empty' }, 'None.'),
    ),
  );
}

// ---------- Events ----------
async function loadEvents() {
  const [{ events, bus }, outbox] = await Promise.all([
    api('/api/events'),
    api('/api/outbox').catch((e) => ({ error: e.message })),
  ]);
  $('#bus tbody').replaceChildren(...bus.slice().reverse().map(busRow));
  if (!bus.length)
    $('#bus tbody').replaceChildren(
      emptyRow(6, 'No events yet — create something through the API explorer.'),
    );
  const dead = bus.filter((e) => e.deadLetter).reverse();
  $('#dead tbody').replaceChildren(
    ...(dead.length
      ? dead.map((e) =>
          h(
            'tr',
            { class: 'bad', dataset: { id: e.id } },
            h('td', {}, time(e.time)),
            h('td', {}, e.deadLetter.group),
            h('td', {}, e.type),
            h('td', {}, e.subject ?? ''),
            h('td', {}, `${e.deadLetter.reason} (${e.deadLetter.attempts} attempts)`),
            h('td', {}, e.traceId ? h('a', { href: `#traces/${e.traceId}` }, 'trace') : '–'),
          ),
        )
      : [emptyRow(6, 'None — every event was handled.')]),
  );
  $('#dev-events').replaceChildren(...events.slice().reverse().map(devItem));
  renderOutbox(outbox);
}

function busRow(e) {
  return h(
    'tr',
    { dataset: { type: e.type, id: e.id } },
    h('td', {}, time(e.time)),
    h('td', {}, e.topic),
    h('td', {}, h('strong', {}, e.type)),
    h('td', {}, e.subject ?? ''),
    h('td', {}, e.source),
    h('td', {}, e.traceId ? h('a', { href: `#traces/${e.traceId}` }, 'trace') : '–'),
  );
}

function devItem(m) {
  const e = m.event;
  const text =
    {
      started: `started (pid ${e.pid})`,
      ready: `ready at ${e.url}`,
      exited: `exited (${e.signal ?? `code ${e.code}`})`,
      restarted: `restarted after ${e.delayMs / 1000} s (pid ${e.pid})`,
      reloaded: `reloaded in ${e.ms} ms (${e.file})`,
      paused: 'stopped from the dashboard',
      running: 'all services running',
      stopped: 'stopped',
      dashboard: `dashboard at ${e.url}`,
    }[e.event] ?? e.event;
  return h(
    'li',
    { class: e.event === 'exited' ? 'lvl-error' : '' },
    `${time(m.time)} `,
    e.service ? h('strong', {}, e.service) : null,
    ` ${text}`,
  );
}

function renderOutbox(data) {
  if (data.error) {
    $('#outboxes').replaceChildren(h('p', { class: 'empty' }, data.error));
    return;
  }
  const consumers = data.bus?.consumers ?? [];
  $('#consumers tbody').replaceChildren(
    ...(consumers.length
      ? consumers.map((c) =>
          h(
            'tr',
            {
              class: c.members === 0 || c.lag > 0 ? 'bad' : 'ok',
              dataset: { group: c.group, topic: c.topic },
            },
            h('td', {}, c.group),
            h('td', {}, c.topic),
            h('td', { class: 'num lag' }, c.lag),
            h(
              'td',
              { class: 'num' },
              c.members === 0 ? h('span', { class: 'badge bad' }, 'none') : c.members,
            ),
          ),
        )
      : [
          emptyRow(
            4,
            data.bus
              ? (data.bus.error ?? 'No consumer groups yet.')
              : 'Consumer lag is shown for the postgres transport.',
          ),
        ]),
  );
  const boxes = data.outboxes.map((o) =>
    h(
      'div',
      { class: 'card outbox', dataset: { service: o.service } },
      h('h4', {}, o.service, ' ', h('span', { class: 'muted' }, o.database)),
      o.status
        ? h(
            'p',
            {},
            `${o.status.pending} pending`,
            o.status.oldestPendingAgeMs !== null
              ? ` (oldest ${Math.round(o.status.oldestPendingAgeMs / 1000)} s)`
              : '',
            ` · ${o.status.parked} parked · ${o.status.relays.length} relay(s)`,
          )
        : h('p', { class: 'empty' }, o.error ?? 'no outbox'),
      o.parked.length
        ? h(
            'table',
            {},
            h('caption', {}, 'Parked events (each blocks its aggregate)'),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ['Type', 'Aggregate', 'Attempts', 'Error', 'Actions'].map((c) =>
                  h('th', { scope: 'col' }, c),
                ),
              ),
            ),
            h(
              'tbody',
              {},
              o.parked.map((p) =>
                h(
                  'tr',
                  { dataset: { id: p.id } },
                  h('td', {}, p.type),
                  h('td', {}, `${p.aggregateType}:${p.aggregateId} v${p.aggregateVersion}`),
                  h('td', { class: 'num' }, p.attempts),
                  h('td', {}, p.lastError ?? ''),
                  h(
                    'td',
                    {},
                    h(
                      'button',
                      { type: 'button', onclick: () => outboxAction(o.service, 'retry', p.id) },
                      'Retry',
                    ),
                    ' ',
                    h(
                      'button',
                      { type: 'button', onclick: () => outboxAction(o.service, 'skip', p.id) },
                      'Skip',
                    ),
                  ),
                ),
              ),
            ),
          )
        : null,
    ),
  );
  $('#outboxes').replaceChildren(
    ...(boxes.length ? boxes : [h('p', { class: 'empty' }, 'No service has a database.')]),
  );
}

async function outboxAction(service, action, id) {
  if (action === 'skip' && !confirm('Skip this event? It is never published; consumers miss it.')) return;
  await post(`/api/outbox/${encodeURIComponent(service)}/${action}`, { ids: [id] }).catch(alertError);
  loadEvents();
}

// ---------- Sagas ----------
const SAGA_BAD = new Set(['compensation_failed', 'compensating']);
const SAGA_ACTIONS = {
  retry: ['running', 'compensating'],
  abort: ['running'],
  resume: ['compensation_failed'],
};
const SAGA_LABELS = { retry: 'Retry the step', abort: 'Abort (compensate)', resume: 'Resume compensation' };

async function loadSagas() {
  let sagas;
  try {
    ({ sagas } = await api('/api/sagas'));
  } catch (err) {
    $('#sagas').replaceChildren(h('p', { class: 'empty' }, `Cannot read the sagas: ${err.message}`));
    return;
  }
  const cards = sagas.map((v) =>
    h(
      'div',
      { class: 'card', dataset: { service: v.service } },
      h(
        'h3',
        {},
        v.service,
        ' ',
        h(
          'span',
          { class: 'muted' },
          Object.entries(v.counts)
            .map(([k, n]) => `${n} ${k}`)
            .join(' · '),
        ),
      ),
      v.instances.length
        ? h(
            'table',
            {},
            h('caption', {}, 'Instances, newest first'),
            h(
              'thead',
              {},
              h(
                'tr',
                {},
                ['Instance', 'Saga', 'Key', 'Status', 'Step', 'Updated'].map((c) =>
                  h('th', { scope: 'col' }, c),
                ),
              ),
            ),
            h(
              'tbody',
              {},
              v.instances.map((i) =>
                h(
                  'tr',
                  {
                    class: `clickable${state.saga?.id === i.id ? ' selected' : ''}`,
                    dataset: { id: i.id, status: i.status },
                  },
                  h(
                    'td',
                    {},
                    h('a', { href: `#sagas/${encodeURIComponent(v.service)}/${i.id}` }, i.id.slice(0, 8)),
                  ),
                  h('td', {}, `${i.saga} v${i.version}`),
                  h('td', {}, i.key),
                  h(
                    'td',
                    {},
                    h(
                      'span',
                      {
                        class: `badge ${SAGA_BAD.has(i.status) ? 'bad' : i.status === 'running' ? 'warn' : 'ok'}`,
                      },
                      i.status,
                    ),
                  ),
                  h('td', {}, `${i.phase} ${i.step}`),
                  h('td', {}, time(i.updatedAt)),
                ),
              ),
            ),
          )
        : h('p', { class: 'empty' }, 'No instances yet.'),
    ),
  );
  $('#sagas').replaceChildren(
    ...(cards.length
      ? cards
      : [
          h(
            'p',
            { class: 'empty' },
            'No service runs sagas: none of the service databases has the saga tables (@outrig/sagas).',
          ),
        ]),
  );
  if (state.saga) openSaga(state.saga.service, state.saga.id);
  else $('#saga-detail').hidden = true;
}

async function openSaga(service, id, message) {
  const box = $('#saga-detail');
  box.hidden = false;
  let saga;
  try {
    ({ saga } = await api(`/api/sagas/${encodeURIComponent(service)}/${id}`));
  } catch (err) {
    box.replaceChildren(h('p', { class: 'empty' }, `Saga instance ${id}: ${err.message}`));
    return;
  }
  const actions = Object.entries(SAGA_ACTIONS).filter(([, statuses]) => statuses.includes(saga.status));
  box.replaceChildren(
    h('h3', {}, `${saga.saga} ${saga.key} `, h('span', { class: 'badge' }, saga.status)),
    h(
      'p',
      { class: 'muted' },
      `${service} · instance ${saga.id} · ${saga.phase} step ${saga.step} · started ${time(saga.startedAt)}`,
    ),
    message ? h('p', { role: 'status' }, message) : null,
    actions.length
      ? h(
          'p',
          {},
          actions.map(([a]) => [
            h('button', { type: 'button', onclick: () => sagaAction(service, id, a) }, SAGA_LABELS[a]),
            ' ',
          ]),
        )
      : null,
    h('h4', {}, 'Timeline'),
    h(
      'ol',
      { class: 'devlog timeline' },
      saga.history.map((e) =>
        h(
          'li',
          {},
          `${time(e.at)} `,
          h('strong', {}, e.kind),
          e.from !== e.to ? ` ${e.from ?? 'new'} → ${e.to}` : '',
          e.step !== undefined && e.step !== null ? ` · ${e.phase ?? ''} step ${e.step}` : '',
          e.attempt ? ` · attempt ${e.attempt}` : '',
          e.detail
            ? h('div', { class: 'muted' }, typeof e.detail === 'string' ? e.detail : JSON.stringify(e.detail))
            : null,
        ),
      ),
    ),
    saga.timers.length
      ? [
          h('h4', {}, 'Timers'),
          h(
            'ul',
            {},
            saga.timers.map((t) => h('li', {}, `${t.name} due ${new Date(t.dueAt).toLocaleString()}`)),
          ),
        ]
      : null,
    saga.parked.length
      ? [
          h('h4', {}, 'Parked messages'),
          h(
            'ul',
            {},
            saga.parked.map((p) => h('li', {}, `${p.type}: ${p.reason}`)),
          ),
        ]
      : null,
    h('h4', {}, 'State'),
    h('pre', { tabindex: '0', 'aria-label': 'Saga state' }, JSON.stringify(saga.state, null, 2)),
  );
}

async function sagaAction(service, id, action) {
  if (action === 'abort' && !confirm('Abort this saga? Its completed steps are compensated.')) return;
  let message;
  try {
    const res = await fetch(`/api/sagas/${encodeURIComponent(service)}/${id}/${action}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    const body = await res.json();
    message =
      res.status === 200
        ? `${SAGA_LABELS[action]}: done, it is ${body.request.outcome} now.`
        : res.status === 202
          ? `${SAGA_LABELS[action]}: recorded; it runs when the service's saga runtime is up.`
          : `${SAGA_LABELS[action]} refused: ${body.error?.message ?? res.status}`;
  } catch (err) {
    message = `Not sent: ${err.message}`;
  }
  await openSaga(service, id, message);
  loadSagas();
}

// ---------- Logs ----------
function setLogFilter(values) {
  const f = $('#log-filter');
  for (const el of f.elements) if (el.name) el.value = values[el.name] ?? '';
}
const logQuery = () => new URLSearchParams([...new FormData($('#log-filter'))].filter(([, v]) => v !== ''));
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];
function logMatches(e) {
  const q = Object.fromEntries(logQuery());
  return (
    (!q.service || e.service === q.service) &&
    (!q.level || LEVELS.indexOf(e.level) >= LEVELS.indexOf(q.level)) &&
    (!q.requestId || e.requestId === q.requestId) &&
    (!q.traceId || e.traceId === q.traceId) &&
    (!q.text || e.line.toLowerCase().includes(q.text.toLowerCase()))
  );
}
function logItem(e) {
  return h(
    'li',
    { class: `lvl-${e.level}` },
    `${time(e.time)} `,
    h('span', { class: 'svc', style: `color:${colourOf(e.service)}` }, e.service),
    ` ${e.level.padEnd(5)} ${e.msg}`,
    e.requestId ? h('span', { class: 'muted' }, ` [${e.requestId}]`) : null,
    e.traceId ? [' ', h('a', { href: `#traces/${e.traceId}` }, 'trace')] : null,
  );
}
const loadLogs = debounce(async () => {
  const { logs } = await api(`/api/logs?${logQuery()}&limit=1000`).catch(() => ({ logs: [] }));
  $('#logs').replaceChildren(
    ...(logs.length ? logs.map(logItem) : [h('li', { class: 'empty' }, 'No log lines match.')]),
  );
  $('#logs').scrollTop = $('#logs').scrollHeight;
}, 150);
$('#log-filter').addEventListener('input', loadLogs);
$('#log-filter').addEventListener('submit', (e) => e.preventDefault());

function alertError(err) {
  $('#live').textContent = `Error: ${err.message}`;
}

// ---------- live ----------
const refreshSystem = debounce(() => state.view === 'system' && loadSystem(), 300);
const refreshEvents = debounce(() => state.view === 'events' && loadEvents(), 300);
const refreshTrace = debounce(
  () => state.view === 'traces' && state.traceId && openTrace(state.traceId),
  400,
);
function connect() {
  const es = new EventSource('/api/stream');
  es.onopen = () => ($('#live').textContent = 'live');
  es.onerror = () => ($('#live').textContent = 'reconnecting…');
  es.addEventListener('dev', () => {
    refreshSystem();
    refreshEvents();
  });
  es.addEventListener('trace', (m) => {
    if (state.view !== 'traces') return;
    loadTraces();
    if (JSON.parse(m.data).trace.traceId === state.traceId) refreshTrace();
  });
  es.addEventListener('bus', (m) => {
    if (state.view !== 'events') return;
    const tbody = $('#bus tbody');
    if (tbody.querySelector('.empty')) tbody.replaceChildren();
    tbody.prepend(busRow(JSON.parse(m.data).event));
    refreshEvents();
  });
  es.addEventListener('log', (m) => {
    if (state.view !== 'logs') return;
    const e = JSON.parse(m.data).entry;
    if (!logMatches(e)) return;
    const list = $('#logs');
    list.querySelector('.empty')?.remove();
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.append(logItem(e));
    while (list.children.length > 1000) list.firstChild.remove();
    if (atBottom) list.scrollTop = list.scrollHeight;
  });
}

api('/api/info')
  .then((info) => {
    $('#system-name').textContent = info.system;
    state.receivesTraces = info.receivesTraces;
    if (!info.auth) {
      $('#login').replaceChildren(
        h('h3', {}, 'Log in'),
        h(
          'p',
          { class: 'muted' },
          'This system has no token issuer (a service with "auth": true in outrig.json): requests go without a token.',
        ),
      );
    }
    if (!info.gateway) {
      $('#request').replaceChildren(
        h('h3', {}, 'Request'),
        h(
          'p',
          { class: 'empty' },
          'This system has no gateway (a service with "kind": "gateway"): the explorer sends requests through it.',
        ),
      );
    }
    document.title = `${info.system} · Outrig dashboard`;
    fillServiceSelects(info.services);
  })
  .catch(() => {});
state.token = sessionStorage.getItem('outrig.token');
state.user = sessionStorage.getItem('outrig.user');
renderLogin();
route();
connect();
setInterval(() => {
  if (document.hidden) return;
  if (state.view === 'system') loadSystem();
  if (state.view === 'events') loadEvents();
  if (state.view === 'sagas') loadSagas();
}, 3000);
