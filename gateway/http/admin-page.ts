// The admin page for store IT: gateway status, adapters and receivers with when they
// last heard anything, zones and terminals, the model, sync, recent errors; tablet
// pairing and revocation. The page itself holds nothing: it asks for the admin token,
// keeps it for this browser tab only (sessionStorage) and calls /admin/* with it.

const STYLE = `
*{box-sizing:border-box}
body{font:17px/1.45 system-ui,sans-serif;margin:0;background:#f3f2ee;color:#161616}
header{padding:14px 20px;background:#1d3b34;color:#fff;display:flex;gap:12px;align-items:center}
header h1{margin:0;font-size:22px;flex:1}
main{padding:16px 20px;display:grid;gap:16px;grid-template-columns:repeat(auto-fill,minmax(420px,1fr))}
section{background:#fff;border-radius:12px;padding:16px;box-shadow:0 1px 4px #0002}
h2{margin:0 0 10px;font-size:19px}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #e3e3e3;vertical-align:top}
th{font-weight:600;color:#4a4a4a}
.ok{color:#0a6b4f;font-weight:700}.bad{color:#8a1c1c;font-weight:700}
button,input{font:inherit;min-height:44px;padding:6px 12px;border-radius:8px;border:2px solid #1d3b34}
button{background:#1d3b34;color:#fff;cursor:pointer}
button.secondary{background:#fff;color:#1d3b34}
#login{max-width:460px;margin:48px auto}
#code{font:32px ui-monospace,monospace;letter-spacing:4px}
#qr svg{width:220px;height:220px}
label{display:inline-flex;gap:6px;align-items:center;margin-right:12px}
.error{color:#8a1c1c}`;

const SCRIPT = `
const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem('vitrin.admin') || '';
function el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; }
async function api(path, options = {}) {
  const headers = { ...(options.body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: 'Bearer ' + token } : {}) };
  const res = await fetch('/admin/' + path, { ...options, headers });
  if (res.status === 401) { showLogin(); throw new Error('unauthorised'); }
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body.message || res.status);
  return body;
}
function table(rows, columns) {
  const t = el('table'); const head = el('tr'); for (const c of columns) head.append(el('th', c.title)); t.append(head);
  for (const row of rows) { const tr = el('tr'); for (const c of columns) { const v = c.value(row); const td = el('td'); if (v instanceof Node) td.append(v); else td.textContent = v === undefined || v === null ? '—' : String(v); tr.append(td); } t.append(tr); }
  return t;
}
function yes(v) { return el('span', v ? 'yes' : 'no', v ? 'ok' : 'bad'); }
function ago(iso) { if (!iso) return 'never'; const s = Math.round((Date.now() - Date.parse(iso)) / 1000); return s < 60 ? s + ' s ago' : Math.round(s / 60) + ' min ago'; }
function fill(id, node) { $(id).replaceChildren(node); }
async function refresh() {
  const s = await api('status');
  fill('gateway', table([s.gateway], [{ title: 'version', value: (g) => g.version }, { title: 'store', value: (g) => g.storeId }, { title: 'simulated', value: (g) => g.simulated ? 'SIMULATED' : 'no' }, { title: 'up', value: (g) => Math.round(g.uptimeSeconds / 60) + ' min' }, { title: 'members', value: (g) => g.members }, { title: 'present', value: (g) => g.present }]));
  fill('ready', table(Object.entries(s.readiness), [{ title: 'check', value: (r) => r[0] }, { title: 'up', value: (r) => yes(r[1]) }]));
  fill('receivers', table(s.receivers, [{ title: 'receiver', value: (r) => r.id }, { title: 'zone', value: (r) => r.zone }, { title: 'source', value: (r) => r.source }, { title: 'last heard', value: (r) => ago(r.lastHeard) }, { title: 'state', value: (r) => r.state }]));
  fill('zones', table(s.zones, [{ title: 'zone', value: (z) => z.id }, { title: 'name', value: (z) => z.name }, { title: 'kind', value: (z) => z.kind }, { title: 'terminals', value: (z) => z.terminals.join(', ') }]));
  fill('model', table([s.model], [{ title: 'id', value: (m) => m.id }, { title: 'version', value: (m) => m.version }, { title: 'sha256', value: (m) => m.sha256.slice(0, 12) }]));
  fill('sync', table(Object.entries(s.sync || {}), [{ title: '', value: (r) => r[0] }, { title: '', value: (r) => typeof r[1] === 'object' ? JSON.stringify(r[1]) : r[1] }]));
  fill('errors', s.recentErrors.length ? table(s.recentErrors, [{ title: 'when', value: (e) => new Date(e.time).toLocaleTimeString() }, { title: 'code', value: (e) => e.code }, { title: 'what', value: (e) => e.msg }]) : el('p', 'No recent errors.'));
  const zoneBox = $('pairZones'); if (!zoneBox.children.length) for (const z of s.zones) { const l = el('label'); const c = el('input'); c.type = 'checkbox'; c.value = z.id; l.append(c, z.name); zoneBox.append(l); }
  const tablets = await api('tablets');
  fill('tablets', table(tablets.tablets.filter((t) => !t.revokedAt), [{ title: 'tablet', value: (t) => t.label }, { title: 'zones', value: (t) => t.zones.join(', ') }, { title: 'paired', value: (t) => new Date(t.createdAt).toLocaleString() }, { title: '', value: (t) => { const b = el('button', 'Revoke', 'secondary'); b.onclick = async () => { await api('tablets/' + t.id, { method: 'DELETE' }); refresh(); }; return b; } }]));
}
function showLogin() { $('login').hidden = false; $('panel').hidden = true; }
async function start() { try { await refresh(); $('login').hidden = true; $('panel').hidden = false; } catch (e) { if (e.message !== 'unauthorised') $('loginError').textContent = e.message; } }
$('loginForm').addEventListener('submit', (e) => { e.preventDefault(); token = $('token').value; sessionStorage.setItem('vitrin.admin', token); start(); });
$('pairForm').addEventListener('submit', async (e) => {
  e.preventDefault();
  const zones = [...$('pairZones').querySelectorAll('input:checked')].map((c) => c.value);
  try { const r = await api('pairing-codes', { method: 'POST', body: JSON.stringify({ label: $('label').value || 'tablet', zones }) });
    $('code').textContent = r.code; $('qr').innerHTML = r.qrSvg; $('expires').textContent = 'valid until ' + new Date(r.expiresAt).toLocaleTimeString(); $('pairError').textContent = '';
  } catch (err) { $('pairError').textContent = err.message; }
});
setInterval(() => { if (!$('panel').hidden) refresh().catch(() => undefined); }, 5000);
start();
`;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function adminPage(storeName: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex">
<title>Vitrin admin · ${escapeHtml(storeName)}</title><style>${STYLE}</style></head>
<body><header><h1>Vitrin admin · ${escapeHtml(storeName)}</h1></header>
<section id="login" hidden><h2>Admin token</h2><form id="loginForm"><input id="token" type="password" autocomplete="current-password" aria-label="Admin token" required>
<button type="submit">Open</button></form><p class="error" id="loginError" role="alert"></p></section>
<main id="panel" hidden>
<section><h2>Gateway</h2><div id="gateway"></div><div id="ready"></div></section>
<section><h2>Adapters and receivers</h2><div id="receivers"></div></section>
<section><h2>Zones and terminals</h2><div id="zones"></div></section>
<section><h2>Model</h2><div id="model"></div><h2>Cloud sync</h2><div id="sync"></div></section>
<section><h2>Recent errors</h2><div id="errors"></div></section>
<section><h2>Pair a tablet</h2><form id="pairForm"><p><input id="label" placeholder="Tablet name" aria-label="Tablet name" maxlength="40"></p><p id="pairZones" role="group" aria-label="Zones"></p><button type="submit">Make a pairing code</button></form>
<p id="code" aria-live="polite"></p><div id="qr"></div><p id="expires"></p><p class="error" id="pairError" role="alert"></p>
<h2>Paired tablets</h2><div id="tablets"></div></section>
</main><script>${SCRIPT}</script></body></html>`;
}
