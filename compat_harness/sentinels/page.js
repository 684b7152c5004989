/* The page sentinel: put into every page of the target before the page's own scripts (Playwright:
 * an init script; WebDriver cells: the recording proxy puts it at the start of each HTML page).
 * It watches what a person would see broken and reports it through the channel its engine gives:
 * uncaught errors and unhandled rejections, console messages (for the console log), busy markers
 * that appear and go, and a layout audit of the page at the device's viewport. It changes nothing
 * on the page and reports each thing once. CONFIG is filled in by the harness. */
(function (CONFIG) {
  'use strict';
  if (window.__compatSentinel) return;
  const S = (window.__compatSentinel = { queue: [], busy: null, seen: new Set() });
  // Each document says who it is, so a busy marker of a page that is gone is never waited for.
  S.doc = Math.random().toString(36).slice(2) + Date.now().toString(36);
  const now = () => Date.now();
  const here = () => String(location.href);

  // --- the channel ------------------------------------------------------------------------------
  // binding: Playwright's exposed function; beacon: a request the recording proxy answers itself;
  // buffer: kept in the page until the harness reads it (S.take()).
  let timer = null;
  let seq = 0;
  // A beacon is delivered on its own, on another connection: one sent just before the harness
  // reads the page may arrive after the harness last looks (seen on a loaded machine). So what
  // went by beacon is also handed over by S.take(), and the harness drops what it has twice.
  let unconfirmed = [];
  function send(event) {
    event.t = event.t || now();
    event.page = event.page || here();
    event.doc = S.doc;
    event.seq = ++seq;
    S.queue.push(event);
    if (CONFIG.channel === 'buffer') return;
    if (!timer) timer = setTimeout(flush, 0);
  }
  function flush() {
    timer = null;
    if (!S.queue.length) return;
    const batch = S.queue.splice(0);
    try {
      if (CONFIG.channel === 'binding' && typeof window[CONFIG.binding] === 'function') {
        window[CONFIG.binding](JSON.stringify(batch));
        return;
      }
      if (CONFIG.channel === 'beacon') {
        const body = JSON.stringify({ token: CONFIG.token, events: batch });
        if (!(navigator.sendBeacon && navigator.sendBeacon(CONFIG.beacon, body))) {
          const xhr = new XMLHttpRequest();
          xhr.open('POST', CONFIG.beacon, true);
          xhr.send(body);
        }
        unconfirmed.push(...batch);
        return;
      }
    } catch (err) {
      /* the channel is gone (page closing): keep them for S.take() */
    }
    S.queue.unshift(...batch);
  }
  S.take = function () {
    if (S.lastLook) S.lastLook();
    const batch = unconfirmed.concat(S.queue.splice(0));
    unconfirmed = [];
    batch.push({ type: 'state', doc: S.doc, page: here(), t: now(), busy: S.busy && { marker: S.busy.marker, since: S.busy.since } });
    return JSON.stringify(batch);
  };
  S.flush = flush;
  addEventListener('pagehide', function () {
    if (S.lastLook) S.lastLook();
    flush();
  });

  // --- describing elements the way a person names them -------------------------------------------
  function accessibleName(el) {
    const label = el.getAttribute('aria-label');
    if (label) return label.trim();
    const by = el.getAttribute('aria-labelledby');
    if (by) {
      const text = by.split(/\s+/).map((id) => (document.getElementById(id) || {}).textContent || '').join(' ');
      if (text.trim()) return text.trim();
    }
    if (el.labels && el.labels.length) return (el.labels[0].innerText || el.labels[0].textContent || '').trim();
    const own = (el.innerText || el.value || el.getAttribute('title') || el.getAttribute('placeholder') || '').trim();
    return own.replace(/\s+/g, ' ').slice(0, 60);
  }
  function role(el) {
    const explicit = el.getAttribute('role');
    if (explicit) return explicit;
    const tag = el.localName;
    if (tag === 'a') return 'link';
    if (tag === 'button' || tag === 'summary') return 'button';
    if (tag === 'select') return 'combobox';
    if (tag === 'textarea') return 'textbox';
    if (tag === 'input') {
      const type = (el.getAttribute('type') || 'text').toLowerCase();
      if (['button', 'submit', 'reset', 'image'].includes(type)) return 'button';
      if (type === 'checkbox' || type === 'radio') return type;
      return 'textbox';
    }
    return tag;
  }
  function describe(el) {
    if (!el || el.nodeType !== 1) return String(el);
    const name = accessibleName(el);
    const r = role(el);
    if (name && r !== el.localName) return r + ' "' + name + '"';
    const id = el.id ? '#' + el.id : '';
    const cls = el.classList && el.classList.length ? '.' + Array.from(el.classList).slice(0, 2).join('.') : '';
    return el.localName + id + cls + (name ? ' "' + name + '"' : '');
  }
  function box(r) {
    return { x: Math.round(r.left), y: Math.round(r.top), width: Math.round(r.width), height: Math.round(r.height) };
  }

  // --- script errors and console -----------------------------------------------------------------
  addEventListener(
    'error',
    function (e) {
      if (e.target && e.target !== window) return; // a resource that failed: the network log has it
      const error = e.error;
      send({
        type: 'page-error',
        message: e.message || String(error),
        source: e.filename || '',
        line: e.lineno || null,
        column: e.colno || null,
        stack: error && error.stack ? String(error.stack) : '',
      });
    },
    true
  );
  addEventListener('unhandledrejection', function (e) {
    const reason = e.reason;
    const message = reason instanceof Error ? reason.name + ': ' + reason.message : (() => {
      try { return JSON.stringify(reason); } catch (err) { return String(reason); }
    })();
    send({
      type: 'page-error',
      message: 'Unhandled promise rejection: ' + message,
      source: '',
      line: null,
      column: null,
      stack: reason && reason.stack ? String(reason.stack) : '',
      rejection: true,
    });
  });
  if (CONFIG.console) {
    const text = (a) => {
      if (typeof a === 'string') return a;
      if (a instanceof Error) return a.stack || String(a);
      try { return JSON.stringify(a); } catch (err) { return String(a); }
    };
    for (const level of ['log', 'info', 'warn', 'error', 'debug']) {
      const original = console[level];
      console[level] = function (...args) {
        try { send({ type: 'console', level: level, text: args.map(text).join(' ') }); } catch (err) { /* never break the page */ }
        return original.apply(this, args);
      };
    }
  }

  // --- visibility ----------------------------------------------------------------------------------
  function visible(el) {
    if (!el.isConnected) return false;
    if (el.closest('[hidden], [inert], [aria-hidden="true"]')) return false;
    const style = getComputedStyle(el);
    if (style.visibility !== 'visible' || style.display === 'none') return false;
    const r = el.getBoundingClientRect();
    if (r.width < 1 || r.height < 1) return false;
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      if (parseFloat(getComputedStyle(node).opacity) === 0) return false;
    }
    return true;
  }

  // --- busy markers --------------------------------------------------------------------------------
  const busyWords = (CONFIG.busyText || []).map((w) => w.toLowerCase());
  function busyMarker() {
    for (const el of document.querySelectorAll('[aria-busy="true"], [role="progressbar"], progress')) {
      if (visible(el)) return (el.getAttribute('aria-busy') === 'true' ? 'aria-busy="true" on ' : '') + describe(el);
    }
    if (!busyWords.length || !document.body) return null;
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.data.trim().toLowerCase();
      if (text && text.length < 40 && busyWords.some((w) => text === w || text.startsWith(w))) {
        const el = node.parentElement;
        if (el && visible(el)) return '"' + node.data.trim() + '" (' + describe(el) + ')';
      }
    }
    return null;
  }
  function watchBusy() {
    const marker = document.readyState === 'loading' ? null : busyMarker();
    if (marker && !S.busy) {
      S.busy = { marker: marker, since: now() };
      send({ type: 'busy', marker: marker, since: S.busy.since });
    } else if (!marker && S.busy) {
      send({ type: 'idle', marker: S.busy.marker, since: S.busy.since });
      S.busy = null;
    } else if (marker && S.busy && !S.busy.reported && now() - S.busy.since >= CONFIG.stuckAfter * 1000) {
      S.busy.reported = true;
      send({ type: 'stuck-loading', marker: marker, since: S.busy.since, seconds: (now() - S.busy.since) / 1000 });
    }
  }

  // --- layout audit --------------------------------------------------------------------------------
  const CONTROLS = 'button, a[href], input:not([type="hidden"]), select, textarea, summary, [role="button"], [role="link"], [role="checkbox"], [role="radio"], [role="tab"], [role="menuitem"]';
  function mainContent() {
    const modal = Array.from(document.querySelectorAll('dialog[open], [aria-modal="true"]')).find(visible);
    if (modal) return modal; // what is behind a modal dialog is covered on purpose
    return document.querySelector('main, [role="main"]') || document.body;
  }
  function inRunningText(el) {
    // WCAG 2.5.8's inline exception: a link inside a sentence is sized by the text around it.
    if (role(el) !== 'link' || getComputedStyle(el).display !== 'inline') return false;
    const parent = el.parentElement;
    if (!parent) return false;
    const own = (el.textContent || '').trim().length;
    return (parent.textContent || '').trim().length > own + 3;
  }
  function target(el) {
    // A control's tap target. A checkbox's or radio's label is tapped to toggle it, so it counts
    // as the target; a text field is tapped on the field itself, whatever its label.
    let r = el.getBoundingClientRect();
    let left = r.left, top = r.top, right = r.right, bottom = r.bottom;
    const toggles = ['checkbox', 'radio'].includes(role(el));
    for (const label of toggles ? el.labels || [] : []) {
      if (!visible(label)) continue;
      const l = label.getBoundingClientRect();
      left = Math.min(left, l.left); top = Math.min(top, l.top);
      right = Math.max(right, l.right); bottom = Math.max(bottom, l.bottom);
    }
    return { left, top, right, bottom, width: right - left, height: bottom - top };
  }
  function reaches(el, hit) {
    return !!hit && (el === hit || el.contains(hit) || Array.from(el.labels || []).some((l) => l.contains(hit)));
  }
  function fixedLayers() {
    const layers = [];
    for (const node of document.body ? document.body.querySelectorAll('*') : []) {
      const style = getComputedStyle(node);
      if ((style.position === 'fixed' || style.position === 'sticky') && style.pointerEvents !== 'none' && visible(node)) {
        layers.push({ node: node, rect: node.getBoundingClientRect(), sticky: style.position === 'sticky' });
      }
    }
    return layers;
  }
  function clippedBy(el, r) {
    for (let node = el.parentElement; node && node !== document.body && node !== document.documentElement; node = node.parentElement) {
      const style = getComputedStyle(node);
      const hidesX = style.overflowX === 'hidden' || style.overflowX === 'clip';
      const hidesY = style.overflowY === 'hidden' || style.overflowY === 'clip';
      if (!hidesX && !hidesY) continue;
      const c = node.getBoundingClientRect();
      if ((hidesX && (r.left < c.left - 1 || r.right > c.right + 1)) || (hidesY && (r.top < c.top - 1 || r.bottom > c.bottom + 1))) {
        return node;
      }
    }
    return null;
  }
  function audit() {
    const found = [];
    const root = document.scrollingElement || document.documentElement;
    const vw = root.clientWidth, vh = innerHeight;
    const wide = Math.max(root.scrollWidth, document.body ? document.body.scrollWidth : 0);
    if (wide > vw + 1 && getComputedStyle(root).overflowX !== 'hidden') {
      const culprits = [];
      for (const node of document.body.querySelectorAll('*')) {
        const r = node.getBoundingClientRect();
        if (r.width && r.right + scrollX > vw + 1 && visible(node) && !(node.parentElement && node.parentElement.getBoundingClientRect().right + scrollX > vw + 1)) {
          culprits.push(describe(node) + ' (right edge ' + Math.round(r.right + scrollX) + 'px)');
        }
        if (culprits.length >= 3) break;
      }
      found.push({ check: 'sideways-scroll', element: culprits.join('; ') || 'the page', message: 'the page scrolls sideways: content is ' + wide + 'px wide in a ' + vw + 'px viewport' });
    }
    const scope = mainContent();
    const layers = fixedLayers();
    const maxScroll = Math.max(0, root.scrollHeight - vh);
    for (const el of scope.querySelectorAll(CONTROLS)) {
      if (!visible(el) || el.disabled || el.closest('[aria-disabled="true"]')) continue;
      if (layers.some((l) => l.node.contains(el))) continue; // part of a fixed bar: audited as its own layer
      const r = el.getBoundingClientRect();
      const name = describe(el);
      const docLeft = r.left + scrollX, docRight = r.right + scrollX, docTop = r.top + scrollY;
      if (docRight > vw + 1 || docLeft < -1 || docTop + r.height < 0) {
        found.push({ check: 'off-screen', element: name, box: box(r), message: name + ' lies outside the ' + vw + 'px-wide viewport (x ' + Math.round(docLeft) + ' to ' + Math.round(docRight) + ')' });
        continue;
      }
      const clip = clippedBy(el, r);
      if (clip) {
        found.push({ check: 'clipped', element: name, box: box(r), covered_by: describe(clip), message: name + ' is cut off by ' + describe(clip) + ' (overflow hidden)' });
        continue;
      }
      const cx = r.left + r.width / 2, cy = r.top + r.height / 2;
      const docCy = cy + scrollY;
      // Can some scroll position show the control's centre clear of every fixed layer?
      const clearOfLayers = function () {
        const blocking = layers.filter((l) => !l.sticky && l.rect.left < cx && l.rect.right > cx);
        for (let s = Math.max(0, docCy - vh); s <= Math.min(maxScroll, docCy) + 0.5; s += Math.max(1, r.height / 2)) {
          const y = docCy - s;
          if (y >= 0 && y <= vh && !blocking.some((l) => l.rect.top <= y && l.rect.bottom >= y)) return null;
        }
        return blocking.length ? blocking[0].node : null;
      };
      if (cy >= 0 && cy <= vh && cx >= 0 && cx <= vw) {
        const hit = document.elementFromPoint(cx, cy);
        if (!reaches(el, hit)) {
          const layer = layers.find((l) => l.node.contains(hit));
          // Under a fixed bar now, but reachable by scrolling further: a person scrolls.
          const stays = layer ? clearOfLayers() : hit;
          if (stays) {
            const by = describe(layer ? stays : hit);
            found.push({ check: 'covered', element: name, box: box(r), covered_by: by, message: name + (layer ? ' stays under ' + by + ' at every scroll position' : ' is covered by ' + by + ': a tap at its centre lands there') });
            continue;
          }
        }
      } else {
        const stays = clearOfLayers();
        if (stays) {
          const by = describe(stays);
          found.push({ check: 'covered', element: name, box: box(r), covered_by: by, message: name + ' stays under ' + by + ' at every scroll position' });
          continue;
        }
      }
      const style = getComputedStyle(el);
      if ((style.overflowX === 'hidden' || style.textOverflow === 'ellipsis') && el.scrollWidth > el.clientWidth + 1 && role(el) === 'button') {
        found.push({ check: 'clipped', element: name, box: box(r), message: 'the label of ' + name + ' is cut off' });
        continue;
      }
      if (CONFIG.touch && !inRunningText(el)) {
        const t = target(el);
        if (t.width < CONFIG.minTarget - 0.5 || t.height < CONFIG.minTarget - 0.5) {
          found.push({ check: 'small-target', element: name, box: box(r), message: name + ' is ' + Math.round(t.width) + 'x' + Math.round(t.height) + 'px: under ' + CONFIG.minTarget + 'px, too small to tap' });
        }
      }
    }
    return found;
  }
  const key = (f) => location.pathname + '|' + f.check + '|' + f.element;
  let pending = null; // problems of the last audit, confirmed by the next one before they count
  let dirty = true; // the page changed since its last full audit
  const moving = () => document.getAnimations && document.getAnimations().some((a) => a.playState === 'running' && a.effect && a.effect.getTiming().iterations !== Infinity);
  function report(found, confirmed) {
    for (const f of found) {
      const k = key(f);
      if ((confirmed && !confirmed.has(k)) || S.seen.has(k)) continue;
      S.seen.add(k);
      f.type = 'layout';
      send(f);
    }
  }
  // Stylesheets block painting: until they are in, layout reads the unstyled page, which nobody
  // sees (a soak caught a styled 44 px button measured as a 17 px text link under load).
  const failedSheets = new WeakSet();
  addEventListener('error', function (e) { if (e.target && e.target.tagName === 'LINK') failedSheets.add(e.target); }, true);
  function stylesPending() {
    if (document.readyState === 'complete') return false;
    for (const link of document.querySelectorAll('link[rel~="stylesheet"]')) {
      if (!link.sheet && !link.disabled && !failedSheets.has(link)) return true;
    }
    return false;
  }
  function runAudit() {
    if (document.readyState === 'loading' || !document.body) return;
    if (stylesPending()) {
      schedule(100);
      return;
    }
    if (moving()) {
      schedule(150); // something still moves: look when it has settled
      return;
    }
    const found = audit();
    if (!pending) {
      if (found.length) {
        pending = new Set(found.map(key));
        schedule(300); // a second look: a transient state is not a finding
      } else {
        dirty = false;
      }
      return;
    }
    const confirmed = pending;
    pending = null;
    dirty = false;
    report(found, confirmed);
  }
  // A page left (or a test ended) before its audit was done is looked at as it is then: the state
  // the journey left it in, which a person saw.
  function lastLook() {
    if (!dirty || document.readyState === 'loading' || !document.body || moving() || stylesPending()) return;
    dirty = false;
    pending = null;
    report(audit(), null);
  }
  S.lastLook = lastLook;
  let auditTimer = null;
  function schedule(delay) {
    clearTimeout(auditTimer);
    auditTimer = setTimeout(runAudit, delay);
  }

  let busyCheck = null;
  function changed() {
    dirty = true;
    schedule(CONFIG.settle);
    // A busy marker going away is a change to the page: said at once, so a step that waits for
    // the page to settle waits no longer than the page does.
    if (!busyCheck) busyCheck = setTimeout(function () { busyCheck = null; watchBusy(); }, 0);
  }
  function start() {
    send({ type: 'hello' });
    schedule(CONFIG.settle);
    new MutationObserver(changed).observe(document.documentElement, {
      subtree: true, childList: true, attributes: true, characterData: true,
    });
    addEventListener('resize', changed);
    setInterval(watchBusy, 500); // the clock of a marker that stays
    watchBusy();
  }
  if (CONFIG.watch === false) {
    send({ type: 'hello' }); // only errors and console messages, for the logs
  } else if (document.readyState === 'loading') {
    addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})(__COMPAT_SENTINEL_CONFIG__);
