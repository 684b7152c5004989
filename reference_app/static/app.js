/* Haven shared script: footer version, service worker, sign-in form, dashboard cache,
 * booking date/time picker, room drafts. The server substitutes the release version and the
 * build flags below when it serves this file. */
(function () {
  'use strict';

  const SCRIPT_VERSION = '__HAVEN_VERSION__';
  const FLAGS = __HAVEN_FLAGS__;

  const doc = document;
  const body = doc.body;
  const portal = body.dataset.portal || 'client';
  const userId = body.dataset.userId || '';
  const versionMeta = doc.querySelector('meta[name="haven-version"]');
  const pageVersion = versionMeta ? versionMeta.content : '';
  const PREFIX = 'haven.';

  // --- footer and service worker -----------------------------------------------------------

  function showScriptVersion() {
    doc.querySelectorAll('[data-script-version]').forEach(function (el) {
      el.textContent = SCRIPT_VERSION;
    });
  }

  function registerServiceWorker() {
    if (!('serviceWorker' in navigator)) return;
    navigator.serviceWorker.register('/sw.js', { scope: '/' }).catch(function () {});
  }

  // --- localStorage: the dashboard cache ---------------------------------------------------

  function storage() {
    try {
      return window.localStorage;
    } catch (err) {
      return null;
    }
  }

  function dashboardKey() {
    if (FLAGS.dashboardCacheKept) return PREFIX + 'dashboard.' + portal;
    return PREFIX + 'dashboard.' + portal + '.' + userId;
  }

  function readDashboardCache() {
    const store = storage();
    if (!store) return null;
    try {
      const entry = JSON.parse(store.getItem(dashboardKey()) || 'null');
      if (!entry || !entry.data) return null;
      if (!FLAGS.dashboardCacheKept && String(entry.version) !== String(pageVersion)) return null;
      return entry;
    } catch (err) {
      return null;
    }
  }

  function writeDashboardCache(data) {
    const store = storage();
    if (!store) return;
    try {
      store.setItem(
        dashboardKey(),
        JSON.stringify({ version: pageVersion, savedAt: new Date().toISOString(), data: data })
      );
    } catch (err) {
      /* storage full or disabled: render without caching */
    }
  }

  function dropDashboardCache() {
    const store = storage();
    if (store) store.removeItem(dashboardKey());
  }

  function clearHavenKeys() {
    const store = storage();
    if (!store) return;
    const keys = [];
    for (let i = 0; i < store.length; i += 1) {
      const key = store.key(i);
      if (key && key.indexOf(PREFIX) === 0) keys.push(key);
    }
    keys.forEach(function (key) {
      store.removeItem(key);
    });
  }

  function wireSignOut() {
    doc.querySelectorAll('form[data-signout]').forEach(function (form) {
      form.addEventListener('submit', function () {
        if (!FLAGS.dashboardCacheKept) clearHavenKeys();
        if (FLAGS.resumeUndefined) {
          // Remember where the person was, to offer it at the next sign-in. Pages without a
          // resume target leave it undefined, which JSON.stringify turns into no value at all.
          const store = storage();
          if (store) store.setItem(PREFIX + 'resume', JSON.stringify(body.dataset.resume));
        }
      });
    });
  }

  function offerResume() {
    if (!FLAGS.resumeUndefined || /[?&]signed_out=1/.test(location.search)) return;
    const store = storage();
    const resume = store ? JSON.parse(store.getItem(PREFIX + 'resume') || 'null') : null;
    if (resume) {
      const next = doc.querySelector('form[data-login-form] [name="next"]');
      if (next && !next.value) next.value = resume;
    }
  }

  function wireInvalidation() {
    doc.addEventListener(
      'submit',
      function (event) {
        const form = event.target;
        if (form instanceof HTMLFormElement && form.matches('[data-invalidates~="dashboard"]')) {
          dropDashboardCache();
        }
      },
      true
    );
  }

  // --- dashboard rendering -----------------------------------------------------------------

  function el(tag, attrs, children) {
    const node = doc.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === 'text') node.textContent = attrs[name];
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) {
      node.appendChild(child);
    });
    return node;
  }

  function answerForm(item, action, label, className) {
    return el('form', { method: 'post', action: '/sessions/' + item.id + '/' + action, 'data-invalidates': 'dashboard' }, [
      el('button', {
        type: 'submit',
        class: 'button ' + className,
        'aria-label': label + ' session with ' + item.client,
        text: label,
      }),
    ]);
  }

  function itemsFor(name, data) {
    if (portal === 'client') {
      return (data.upcoming || []).map(function (s) {
        return el('li', { class: 'item', 'aria-label': s.when + ', ' + s.summary + ' with ' + s.provider + ', ' + s.status_text }, [
          el('p', { class: 'item-title', text: s.when }),
          el('p', { text: s.summary + ' with ' + s.provider }),
          el('p', { class: 'status status-' + s.status, text: s.status_text }),
        ]);
      });
    }
    if (name === 'pending') {
      return (data.pending || []).map(function (s) {
        return el('li', { class: 'item', 'aria-label': s.label }, [
          el('p', { class: 'item-title', text: s.client }),
          el('p', { text: s.summary }),
          el('p', { text: s.when }),
          el('div', { class: 'actions' }, [
            answerForm(s, 'confirm', 'Confirm', 'button-primary'),
            answerForm(s, 'decline', 'Decline', 'button-secondary'),
          ]),
        ]);
      });
    }
    if (name === 'upcoming') {
      return (data.upcoming || []).map(function (s) {
        return el('li', { class: 'item', 'aria-label': s.label }, [
          el('p', { class: 'item-title', text: s.when }),
          el('p', { text: s.summary + ' with ' + s.client }),
        ]);
      });
    }
    return (data.paying || []).map(function (c) {
      return el('li', { class: 'item', 'data-client-id': String(c.id), text: c.name });
    });
  }

  function renderDashboard(root, data, source) {
    const loading = root.querySelector('[data-dashboard-loading]');
    if (loading) loading.hidden = true;
    root.querySelectorAll('[data-dashboard-list]').forEach(function (list) {
      const name = list.dataset.dashboardList;
      const items = itemsFor(name, data);
      list.replaceChildren();
      list.dataset.source = source;
      items.forEach(function (item) {
        item.dataset.source = source;
        list.appendChild(item);
      });
      list.hidden = items.length === 0;
      let empty = list.nextElementSibling;
      if (!empty || !empty.hasAttribute('data-empty')) {
        empty = el('p', { class: 'muted', 'data-empty': '' });
        list.after(empty);
      }
      empty.dataset.source = source;
      empty.textContent = list.dataset.emptyText || '';
      empty.hidden = items.length > 0;
    });
  }

  function whenIdle(run) {
    if (!FLAGS.dashboardIdleWait) {
      run();
      return;
    }
    // Load the dashboard's data once the browser is idle; the analytics bundle's shim stands in
    // where requestIdleCallback is missing (the bundle is no longer loaded).
    const idle =
      window.requestIdleCallback ||
      function (callback) {
        (window.__idleShimQueue = window.__idleShimQueue || []).push(callback);
      };
    idle(run);
  }

  function drawFetched(root, data) {
    if (FLAGS.dashboardIdleDraw && 'requestIdleCallback' in window) {
      // Draw the lists when the browser is idle, so the page answers input sooner.
      window.requestIdleCallback(renderDashboard.bind(null, root));
      return;
    }
    renderDashboard(root, data, 'network');
  }

  function loadAnnouncements() {
    const box = doc.querySelector('[data-announcements]');
    if (!box) return;
    fetch('/api/announcements', { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } })
      .then(function (response) {
        if (!response.ok) throw new Error('announcements ' + response.status);
        return response.json();
      })
      .then(function (data) {
        (data.announcements || []).forEach(function (text) {
          box.appendChild(el('p', { text: text }));
        });
        box.hidden = box.children.length === 0;
      })
      .catch(function () {
        /* announcements are optional: the dashboard stays as it is */
      });
  }

  function loadDashboard() {
    const root = doc.querySelector('[data-dashboard]');
    if (!root) return;
    loadAnnouncements();
    whenIdle(function () {
      loadDashboardData(root);
    });
  }

  function loadDashboardData(root) {
    const cached = readDashboardCache();
    if (cached) {
      renderDashboard(root, cached.data, 'cache');
      return;
    }
    fetch('/api/dashboard', { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } })
      .then(function (response) {
        if (response.status === 401) {
          window.location.assign('/login?next=%2Fdashboard');
          return null;
        }
        if (!response.ok) throw new Error('dashboard ' + response.status);
        return response.json();
      })
      .then(function (data) {
        if (!data) return;
        writeDashboardCache(data);
        drawFetched(root, data);
      })
      .catch(function () {
        const loading = root.querySelector('[data-dashboard-loading]');
        if (loading) {
          loading.hidden = false;
          loading.setAttribute('role', 'alert');
          loading.textContent = "We couldn't load your dashboard. Reload the page to try again.";
        }
      });
  }

  // --- sign-in form --------------------------------------------------------------------------

  function wireLogin() {
    const form = doc.querySelector('form[data-login-form]');
    if (!form) return;
    if (FLAGS.loginUaData) {
      form.addEventListener('submit', function (event) {
        event.preventDefault();
        const mobile = navigator.userAgentData.mobile;
        form.elements.device.value = mobile ? 'mobile' : 'desktop';
        form.submit();
      });
    }
    if (FLAGS.touchSubmit) {
      const button = form.querySelector('button[type="submit"]');
      // Meant to stop double submits on touch screens.
      button.addEventListener('touchend', function (event) {
        event.preventDefault();
      });
    }
  }

  // --- booking: date and time picker -----------------------------------------------------------

  function pad(n) {
    return String(n).padStart(2, '0');
  }

  function wireSlotPicker() {
    const form = doc.querySelector('form[data-slot-form]');
    if (!form) return;
    // form.elements.length is the control count, so fields are looked up by selector.
    const dateInput = form.querySelector('[name="date"]');
    const timeSelect = form.querySelector('[name="start"]');
    const lengthSelect = form.querySelector('select[name="length"]');
    const startLocal = form.querySelector('[name="start_local"]');
    const preview = form.querySelector('[data-preview]');
    const dateAlert = form.querySelector('[data-date-alert]');
    const baseUrl = timeSelect.dataset.availabilityUrl;
    let requestNumber = 0;

    function pickedDate() {
      const value = dateInput.value || '';
      if (FLAGS.dateParseMdy) {
        const parts = value.split('-');
        const yyyy = parts[0];
        const mm = parts[1];
        const dd = parts[2];
        return new Date(mm + '-' + dd + '-' + yyyy);
      }
      const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
      if (!match) return new Date(NaN);
      return new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
    }

    function updatePreview() {
      const option = timeSelect.options[timeSelect.selectedIndex];
      if (!option || !option.value) {
        preview.textContent = 'Choose a date and time.';
        startLocal.value = '';
        return;
      }
      const date = pickedDate();
      const day = date.toLocaleDateString('en-US', { weekday: 'long', month: 'long', day: 'numeric' });
      preview.textContent = 'You picked ' + day + ' at ' + option.textContent;
      startLocal.value =
        date.getFullYear() + '-' + pad(date.getMonth() + 1) + '-' + pad(date.getDate()) + 'T' + (option.dataset.local || '');
    }

    function setOptions(slots) {
      timeSelect.replaceChildren();
      if (!slots.length) {
        const none = el('option', { value: '', text: 'No times available on this day' });
        none.disabled = true;
        none.selected = true;
        timeSelect.appendChild(none);
        return;
      }
      slots.forEach(function (slot) {
        timeSelect.appendChild(el('option', { value: slot.value, 'data-local': slot.local, text: slot.label }));
      });
    }

    function loadSlots() {
      const value = dateInput.value;
      if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) {
        setOptions([]);
        updatePreview();
        return;
      }
      let url = baseUrl + '&date=' + encodeURIComponent(value);
      if (lengthSelect) url += '&length=' + encodeURIComponent(lengthSelect.value);
      requestNumber += 1;
      const mine = requestNumber;
      timeSelect.disabled = true;
      fetch(url, { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } })
        .then(function (response) {
          if (!response.ok) throw new Error('availability ' + response.status);
          return response.json();
        })
        .then(function (data) {
          if (mine !== requestNumber) return;
          setOptions(data.slots || []);
        })
        .catch(function () {
          if (mine === requestNumber) setOptions([]);
        })
        .finally(function () {
          if (mine !== requestNumber) return;
          timeSelect.disabled = false;
          updatePreview();
        });
    }

    dateInput.addEventListener('change', loadSlots);
    if (lengthSelect) lengthSelect.addEventListener('change', loadSlots);
    timeSelect.addEventListener('change', updatePreview);
    form.addEventListener('submit', function (event) {
      if (!FLAGS.dateParseMdy) return;
      if (isNaN(pickedDate().getTime())) {
        event.preventDefault();
        dateAlert.textContent = 'Please choose a valid date.';
        dateAlert.hidden = false;
      }
    });
    updatePreview();
  }

  // --- room: message drafts in IndexedDB -------------------------------------------------------

  function openDrafts() {
    return new Promise(function (resolve, reject) {
      const request = window.indexedDB.open('haven', 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore('drafts');
      };
      request.onsuccess = function () {
        resolve(request.result);
      };
      request.onerror = function () {
        reject(request.error);
      };
    });
  }

  function draftOp(db, mode, action) {
    return new Promise(function (resolve, reject) {
      const tx = db.transaction('drafts', mode);
      const request = action(tx.objectStore('drafts'));
      tx.oncomplete = function () {
        resolve(request.result);
      };
      tx.onerror = function () {
        reject(tx.error);
      };
    });
  }

  function wireDrafts() {
    const form = doc.querySelector('form[data-draft-key]');
    if (!form || !window.indexedDB) return;
    const key = form.dataset.draftKey;
    const area = form.querySelector('textarea[name="body"]');
    openDrafts()
      .then(function (db) {
        const ready = form.hasAttribute('data-draft-sent')
          ? draftOp(db, 'readwrite', function (s) {
              return s.delete(key);
            })
          : draftOp(db, 'readonly', function (s) {
              return s.get(key);
            }).then(function (draft) {
              if (draft && !area.value) area.value = draft;
            });
        area.addEventListener('input', function () {
          draftOp(db, 'readwrite', function (s) {
            return s.put(area.value, key);
          }).catch(function () {});
        });
        form.addEventListener('submit', function () {
          draftOp(db, 'readwrite', function (s) {
            return s.delete(key);
          }).catch(function () {});
        });
        return ready;
      })
      .catch(function () {});
  }

  // --- room: session times as machine-readable times ------------------------------------------

  function markSessionTimes() {
    if (!FLAGS.roomTimeParse) return;
    doc.querySelectorAll('[role="log"] li').forEach(function (item) {
      const m = /Your session on (.+?) at (\d{1,2}:\d{2} [AP]M) ([A-Z]{2,5}) is confirmed/.exec(item.textContent);
      if (!m) return;
      // The message has no year: this year's. Parsed as the message writes it ("... at ...").
      const when = new Date(m[1] + ', ' + new Date().getFullYear() + ' at ' + m[2] + ' ' + m[3]);
      item.appendChild(el('time', { datetime: when.toISOString(), text: '' }));
    });
  }

  // --- provider dashboard: the help widget --------------------------------------------------

  function wireHelpWidget() {
    if (!FLAGS.helpWidget || !doc.querySelector('[data-dashboard]')) return;
    window.addEventListener('load', function () {
      // The widget opens from its toggle in the header, which the current layout no longer has.
      doc.querySelector('[data-help-toggle]').addEventListener('click', function () {
        doc.body.classList.toggle('help-open');
      });
    });
  }

  // --- start ---------------------------------------------------------------------------------

  showScriptVersion();
  registerServiceWorker();
  wireInvalidation();
  wireSignOut();
  wireLogin();
  offerResume();
  loadDashboard();
  wireHelpWidget();
  wireSlotPicker();
  wireDrafts();
  markSessionTimes();
})();
