// The advisor tablet page: pairing, then the live cards of the tablet's zones with the
// actions advisors take. One HTML document with its script; card fields are only ever
// set with textContent, so nothing in a card can inject markup. Cards live in the page's
// memory alone (no storage, no cache): when a member leaves or is erased, or the
// connection drops, their card is gone from the tablet.

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
:root{--ink:#161616;--muted:#4a4a4a;--bg:#f3f2ee;--card:#fff;--brand:#1d3b34;--accent:#0a6b4f;--warn:#8a1c1c}
*{box-sizing:border-box}
body{font:20px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:var(--bg);color:var(--ink)}
header{padding:14px 20px;background:var(--brand);color:#fff;display:flex;gap:12px;align-items:center;flex-wrap:wrap}
header h1{font-size:24px;margin:0;flex:1}
button{font:inherit;min-height:48px;min-width:48px;padding:8px 16px;border-radius:10px;border:2px solid var(--brand);background:#fff;color:var(--brand);cursor:pointer}
button.primary{background:var(--accent);border-color:var(--accent);color:#fff}
button:focus-visible,input:focus-visible{outline:4px solid #f0b400;outline-offset:2px}
button[disabled]{opacity:.55;cursor:default}
header button{border-color:#fff;background:transparent;color:#fff;min-height:44px}
#zones{color:#e8f0ec;font-size:17px}
#status{font-size:17px;padding:6px 12px;border-radius:999px;background:#2f6b5c}
#status.offline{background:var(--warn)}
#sim{background:#ffd24d;color:#161616;padding:10px 20px;font-weight:600}
#pair{max-width:520px;margin:48px auto;background:var(--card);padding:28px;border-radius:14px;box-shadow:0 1px 4px #0002}
#pair label{display:block;font-weight:600;margin-bottom:8px}
#pair input{font:28px/1.2 ui-monospace,monospace;letter-spacing:4px;width:100%;padding:12px;border:2px solid var(--muted);border-radius:10px;text-transform:uppercase}
#pair p{color:var(--muted)}
#pairError{color:var(--warn);font-weight:600}
main{padding:16px 20px;display:grid;gap:16px;grid-template-columns:repeat(auto-fill,minmax(340px,1fr))}
.card{background:var(--card);border-radius:14px;padding:18px;box-shadow:0 1px 4px #0002;display:flex;flex-direction:column;gap:10px}
.card h2{margin:0;font-size:26px}
.meta{color:var(--muted);font-size:17px}
.tier{display:inline-block;font-size:15px;font-weight:700;text-transform:uppercase;background:#e6efe9;color:var(--brand);border-radius:6px;padding:2px 8px;margin-left:8px;vertical-align:middle}
.suggestions{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:10px}
.suggestion{border-top:1px solid #ddd;padding-top:10px}
.suggestion .title{font-weight:700}
.suggestion .why{font-size:17px;color:var(--muted)}
.price s{color:var(--muted);margin-left:6px}
.actions{display:flex;gap:8px;flex-wrap:wrap;margin-top:6px}
.done{font-weight:700;color:var(--accent)}
.offer,.service{font-size:17px;background:#f6f1df;border-radius:8px;padding:6px 10px}
.reasons{display:flex;gap:8px;flex-wrap:wrap}
#empty{color:var(--muted);padding:24px 20px}
#toast{position:fixed;bottom:20px;left:50%;transform:translateX(-50%);background:#161616;color:#fff;padding:12px 20px;border-radius:10px;font-size:18px}
@media (prefers-reduced-motion:no-preference){.card{animation:in .25s ease-out}@keyframes in{from{opacity:0;transform:translateY(6px)}}}`;

const SCRIPT = `
const TEXT = {
  en: { live: 'Live', offline: 'Offline — reconnecting…', connecting: 'Connecting…', member: 'Customer', since: 'since', min: 'min',
    propensity: 'Likely to buy', accept: 'Accept', dismiss: 'Dismiss', bought: 'Bought', accepted: 'Accepted', dismissed: 'Dismissed',
    boughtDone: 'Marked as bought', why: 'Why not?', reasons: { 'not-interested': 'Not interested', 'no-size': 'No size', 'has-it': 'Already has it', other: 'Other' },
    offer: 'Offer', code: 'code', until: 'until', service: 'Service', empty: 'No customers in your area right now.',
    pairTitle: 'Pair this tablet', pairLabel: 'Pairing code from store IT', pairButton: 'Pair', pairHelp: 'Store IT makes a code on the admin page.',
    unpair: 'Unpair', saved: 'Saved', failed: 'Not saved: ', lang: 'Türkçe', zones: 'Zones', suggestionsFor: 'Suggestions for' },
  tr: { live: 'Canlı', offline: 'Bağlantı yok — yeniden bağlanıyor…', connecting: 'Bağlanıyor…', member: 'Müşteri', since: 'şu saatten beri:', min: 'dk',
    propensity: 'Satın alma olasılığı', accept: 'Kabul', dismiss: 'Geç', bought: 'Satın aldı', accepted: 'Kabul edildi', dismissed: 'Geçildi',
    boughtDone: 'Satın aldı olarak işaretlendi', why: 'Neden?', reasons: { 'not-interested': 'İlgilenmiyor', 'no-size': 'Beden yok', 'has-it': 'Zaten var', other: 'Diğer' },
    offer: 'Kampanya', code: 'kod', until: 'son gün', service: 'Servis', empty: 'Şu an bölgenizde müşteri yok.',
    pairTitle: 'Tableti eşleştir', pairLabel: 'Mağaza BT’den eşleştirme kodu', pairButton: 'Eşleştir', pairHelp: 'Mağaza BT kodu yönetim sayfasında oluşturur.',
    unpair: 'Eşleşmeyi kaldır', saved: 'Kaydedildi', failed: 'Kaydedilmedi: ', lang: 'English', zones: 'Bölgeler', suggestionsFor: 'Öneriler:' },
};
let lang = (localStorage.getItem('vitrin.lang') || navigator.language || 'en').toLowerCase().startsWith('tr') ? 'tr' : 'en';
const t = (key) => TEXT[lang][key];
const $ = (id) => document.getElementById(id);
const grid = $('cards');
const cards = new Map();
let source;
function el(tag, text, cls) { const e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; }
function button(text, cls, onClick, label) { const b = el('button', text, cls); b.type = 'button'; if (label) b.setAttribute('aria-label', label); b.addEventListener('click', onClick); return b; }
function money(n) { return new Intl.NumberFormat(lang === 'tr' ? 'tr-TR' : 'en-GB', { maximumFractionDigits: 0 }).format(n); }
function toast(text) { const box = $('toast'); box.textContent = text; box.hidden = false; clearTimeout(toast.timer); toast.timer = setTimeout(() => { box.hidden = true; }, 2500); }
let statusKind = 'connecting';
function setStatus(kind) { statusKind = kind; const s = $('status'); s.textContent = t(kind); s.classList.toggle('offline', kind === 'offline'); }
async function send(card, action, extra) {
  const res = await fetch('/advisor/feedback', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ schema: 'vitrin.feedback/1', cardId: card.cardId, action, ...extra }) });
  if (res.status === 401) { showPairing(); return false; }
  if (!res.ok) { const body = await res.json().catch(() => ({})); toast(t('failed') + (body.code || res.status)); return false; }
  toast(t('saved'));
  return true;
}
function dwellText(card) { const minutes = Math.max(0, Math.round((Date.now() - Date.parse(card.presence.since)) / 60000)); return card.presence.zoneName + ' · ' + minutes + ' ' + t('min'); }
function render(card) {
  const box = el('article', undefined, 'card');
  box.dataset.member = card.memberId; box.dataset.cardId = card.cardId;
  const name = card.firstName || t('member');
  box.setAttribute('aria-label', name);
  const h = el('h2', name); if (card.tier !== 'none') h.append(el('span', card.tier, 'tier')); box.append(h);
  const meta = el('div', dwellText(card), 'meta dwell'); box.append(meta);
  if (card.propensity !== undefined) box.append(el('div', t('propensity') + ': ' + Math.round(card.propensity * 100) + '%', 'meta'));
  if (card.suggestions.length) {
    const list = el('ul', undefined, 'suggestions'); list.setAttribute('aria-label', t('suggestionsFor') + ' ' + name);
    for (const s of card.suggestions) {
      const li = el('li', undefined, 'suggestion'); li.dataset.suggestion = s.id;
      li.append(el('div', s.title, 'title'));
      const price = el('div', money(s.price), 'price'); if (s.previousPrice !== undefined) price.append(el('s', money(s.previousPrice))); li.append(price);
      li.append(el('div', s.reasonText, 'why'));
      const actions = el('div', undefined, 'actions');
      const finish = (text) => { actions.replaceChildren(el('span', text, 'done')); };
      actions.append(button(t('accept'), 'primary', async () => { if (await send(card, 'accepted', { suggestionId: s.id })) finish(t('accepted')); }, t('accept') + ': ' + s.title));
      actions.append(button(t('dismiss'), '', () => {
        const reasons = el('div', undefined, 'reasons'); reasons.setAttribute('role', 'group'); reasons.setAttribute('aria-label', t('why'));
        for (const [code, text] of Object.entries(TEXT[lang].reasons)) reasons.append(button(text, '', async () => { if (await send(card, 'dismissed', { suggestionId: s.id, reason: code })) finish(t('dismissed')); }));
        actions.replaceChildren(reasons);
      }, t('dismiss') + ': ' + s.title));
      li.append(actions); list.append(li);
    }
    box.append(list);
  }
  for (const o of card.offers) box.append(el('div', t('offer') + ': ' + o.title + ' — ' + t('code') + ' ' + o.code + ', ' + t('until') + ' ' + new Date(o.validUntil).toLocaleDateString(lang === 'tr' ? 'tr-TR' : 'en-GB'), 'offer'));
  if (card.serviceCase) box.append(el('div', t('service') + ': ' + card.serviceCase, 'service'));
  const bought = el('div', undefined, 'actions');
  bought.append(button(t('bought'), '', async () => { if (await send(card, 'purchased', {})) bought.replaceChildren(el('span', t('boughtDone'), 'done')); }, t('bought') + ': ' + name));
  box.append(bought);
  return box;
}
function remove(memberId) { cards.delete(memberId); for (const n of grid.querySelectorAll('[data-member]')) if (n.dataset.member === memberId) n.remove(); refreshEmpty(); }
function refreshEmpty() { $('empty').hidden = grid.children.length > 0 || !$('pair').hidden; }
function show(card) { remove(card.memberId); cards.set(card.memberId, card); grid.prepend(render(card)); refreshEmpty(); }
function clearAll() { cards.clear(); grid.replaceChildren(); refreshEmpty(); }
function connect() {
  if (source) source.close();
  setStatus('connecting');
  source = new EventSource('/advisor/events');
  source.addEventListener('card', (e) => show(JSON.parse(e.data).card));
  source.addEventListener('withdrawn', (e) => remove(JSON.parse(e.data).memberId));
  source.onopen = () => setStatus('live');
  // Offline: the cards may be stale, and they hold personal data; the stream sends the current ones again on reconnect.
  source.onerror = async () => { setStatus('offline'); clearAll(); const me = await fetch('/advisor/me').catch(() => undefined); if (me && me.status === 401) { source.close(); showPairing(); } };
}
function showPairing() {
  if (source) source.close(); clearAll(); $('pair').hidden = false; grid.hidden = true; $('unpair').hidden = true; $('zones').textContent = ''; refreshEmpty();
  // The admin page's QR code opens /advisor#code=…: the code is filled in, and taken out of the address bar.
  const fromQr = /code=([A-Za-z0-9-]+)/.exec(location.hash); if (fromQr) { $('code').value = fromQr[1]; history.replaceState(null, '', location.pathname); }
  $('code').focus();
}
function showLive(tablet) { $('pair').hidden = true; grid.hidden = false; $('unpair').hidden = false; $('zones').dataset.zones = tablet.zones.join(', '); $('zones').textContent = t('zones') + ': ' + tablet.zones.join(', '); refreshEmpty(); connect(); }
function applyLanguage() {
  document.documentElement.lang = lang;
  for (const node of document.querySelectorAll('[data-t]')) node.textContent = t(node.dataset.t);
  $('lang').textContent = t('lang');
  setStatus(statusKind);
  if (!$('unpair').hidden) $('zones').textContent = t('zones') + ': ' + ($('zones').dataset.zones || '');
  for (const card of [...cards.values()].reverse()) show(card);
}
$('lang').addEventListener('click', () => { lang = lang === 'tr' ? 'en' : 'tr'; localStorage.setItem('vitrin.lang', lang); applyLanguage(); });
$('unpair').addEventListener('click', async () => { await fetch('/advisor/unpair', { method: 'POST' }); showPairing(); });
$('pairForm').addEventListener('submit', async (e) => {
  e.preventDefault();
  const res = await fetch('/advisor/pair', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code: $('code').value }) });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) { $('pairError').textContent = body.message || String(res.status); return; }
  $('pairError').textContent = ''; $('code').value = ''; showLive(body.tablet);
});
setInterval(() => { for (const node of grid.querySelectorAll('[data-member]')) { const card = cards.get(node.dataset.member); const meta = node.querySelector('.dwell'); if (card && meta) meta.textContent = dwellText(card); } }, 15000);
applyLanguage();
fetch('/advisor/me').then(async (res) => { if (res.ok) showLive((await res.json()).tablet); else showPairing(); }, () => { setStatus('offline'); setTimeout(() => location.reload(), 5000); });
`;

export function advisorPage(store: { readonly name: string; readonly simulated: boolean }): string {
  const banner = store.simulated
    ? '<div id="sim" role="status">Simulated store: these shoppers are generated by the demo simulator, not heard by a Bluetooth radio.</div>'
    : '';
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>Vitrin · ${escapeHtml(store.name)}</title><style>${STYLE}</style></head>
<body>
<header><h1>${escapeHtml(store.name)}</h1><span id="zones"></span>
<span id="status" role="status" aria-live="polite">…</span>
<button id="lang" type="button"></button><button id="unpair" type="button" data-t="unpair" hidden></button></header>
${banner}
<section id="pair" hidden aria-labelledby="pairTitle"><h2 id="pairTitle" data-t="pairTitle"></h2>
<form id="pairForm"><label for="code" data-t="pairLabel"></label>
<input id="code" name="code" autocomplete="off" autocapitalize="characters" inputmode="text" maxlength="16" required>
<p data-t="pairHelp"></p><p id="pairError" role="alert"></p>
<button class="primary" type="submit" data-t="pairButton"></button></form></section>
<main id="cards" aria-live="polite" hidden></main>
<p id="empty" data-t="empty" hidden></p>
<div id="toast" role="status" aria-live="polite" hidden></div>
<script>${SCRIPT}</script>
</body>
</html>`;
}
