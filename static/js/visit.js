// The visit form (templates/reviews/visit/visit.html): a visit on a tablet never loses typed work.
//
// Each question, and each standard's notes, is an "item" (data-visit-item="q12") that htmx
// posts on its own when a score is chosen or typing pauses (hx-trigger in the templates). This
// module adds what htmx does not know about:
//   - every keystroke is also kept in localStorage with the version it builds on, so a dropped
//     connection, a closed tab or a flat battery loses nothing;
//   - the quiet status per item: "Saving…", "Not saved: offline — kept on this tablet";
//   - kept copies are sent when the page loads, when the connection returns, every 20 seconds
//     while saves fail, and (best effort) when the page is left;
//   - a 409 answer means someone saved a newer version: the server's panel shows both copies,
//     and the officer keeps theirs ("Keep mine": sent again against the newer version) or
//     takes the other ("Use theirs").
// The server decides every conflict (reviews.services.save_answer compares versions): nothing
// here overwrites a newer server copy. Loaded only on the visit page; without it the page is a
// form per standard.

const RETRY_MS = 20_000;
const OFFLINE = "Not saved: offline — kept on this tablet";
const SIGNED_OUT = "Not saved: you are signed out — kept on this tablet. Sign in again, then come back to this page.";
const FAILED = "Not saved: no answer from the server — kept on this tablet. Trying again…";
const FORBIDDEN = "Not saved: reload the page — your text is kept on this tablet.";

const root = document.querySelector("[data-visit]");
if (root && window.htmx) start(root);

function start(root) {
  const prefix = `qaf-visit:${root.dataset.visitUser}:${root.dataset.visit}:`;
  const connection = document.getElementById("visit-connection");
  const csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];

  /** @type {Map<string, HTMLElement>} */
  const items = new Map();
  for (const el of root.querySelectorAll("[data-visit-item]")) items.set(el.dataset.visitItem, el);

  const saved = new Map(); // key -> the values the server is known to hold
  const sending = new Map(); // key -> the values of the request in flight
  const held = new Set(); // keys waiting for the officer (a conflict) or refused: not retried
  let retryTimer = null;

  // --- Values of an item's fields, and its copy on this tablet ---------------------------------

  const fieldsOf = (el) => [...el.querySelectorAll("[data-visit-field]")];
  const versionOf = (el) => el.querySelector("[data-visit-version]");
  const statusOf = (el) => el.querySelector("[data-visit-status]");

  function valuesOf(el) {
    const values = {};
    for (const field of fieldsOf(el)) {
      if (field.type === "radio") {
        values[field.name] ??= "";
        if (field.checked) values[field.name] = field.value;
      } else {
        values[field.name] = field.value;
      }
    }
    return values;
  }

  function apply(el, values) {
    for (const field of fieldsOf(el)) {
      if (!(field.name in values)) continue;
      if (field.type === "radio") field.checked = field.value === values[field.name];
      else field.value = values[field.name];
    }
  }

  const same = (a, b) =>
    !!a && !!b && Object.keys(a).length === Object.keys(b).length && Object.keys(a).every((k) => a[k] === b[k]);

  function load(key) {
    try {
      return JSON.parse(localStorage.getItem(prefix + key));
    } catch {
      return null;
    }
  }

  function keep(key, el) {
    const entry = { values: valuesOf(el), version: Number(versionOf(el).value), at: Date.now() };
    try {
      localStorage.setItem(prefix + key, JSON.stringify(entry));
    } catch {
      // Storage full or switched off: the edit still goes to the server as usual.
    }
  }

  function forget(key) {
    try {
      localStorage.removeItem(prefix + key);
    } catch {
      // nothing kept
    }
  }

  function setStatus(el, text) {
    const status = statusOf(el);
    if (status && status.textContent !== text) status.textContent = text;
  }

  function showConnection(online) {
    connection.textContent = online
      ? ""
      : "You are offline. What you type is kept on this tablet and saved when the connection returns.";
  }

  // --- Sending --------------------------------------------------------------------------------

  const send = (el) => window.htmx.trigger(el, "visit-send");

  // The item that made an htmx request (htmx:beforeSwap fires on the swap's target instead).
  function itemOf(event) {
    const el = event.detail.requestConfig?.elt ?? event.detail.elt;
    return el?.dataset?.visitItem ? el : null;
  }

  function pending(key) {
    const entry = load(key);
    return entry && !same(entry.values, saved.get(key)) ? entry : null;
  }

  function flush() {
    if (!navigator.onLine) {
      showConnection(false);
      return;
    }
    for (const [key, el] of items) {
      if (held.has(key) || sending.has(key)) continue;
      if (pending(key)) send(el);
      else forget(key);
    }
  }

  function retryLater() {
    retryTimer ??= setTimeout(() => {
      retryTimer = null;
      flush();
    }, RETRY_MS);
  }

  // --- Events ---------------------------------------------------------------------------------

  function onEdit(event) {
    if (!event.target.matches?.("[data-visit-field]")) return;
    const el = event.target.closest("[data-visit-item]");
    keep(el.dataset.visitItem, el);
    if (!navigator.onLine) {
      setStatus(el, OFFLINE);
      showConnection(false);
    }
  }
  root.addEventListener("input", onEdit);
  root.addEventListener("change", onEdit);

  root.addEventListener("htmx:configRequest", (event) => {
    const el = itemOf(event);
    if (!el) return;
    const key = el.dataset.visitItem;
    const values = valuesOf(el);
    if (held.has(key)) {
      event.preventDefault(); // a conflict waits for the officer's choice
    } else if (same(values, saved.get(key))) {
      event.preventDefault(); // nothing new to save
      forget(key);
    } else if (!navigator.onLine) {
      event.preventDefault();
      setStatus(el, OFFLINE);
      showConnection(false);
    } else {
      sending.set(key, values);
    }
  });

  root.addEventListener("htmx:beforeRequest", (event) => {
    const el = itemOf(event);
    if (el) setStatus(el, "Saving…");
  });

  // A 409 carries the conflict panel (or the reason a save is refused), a 400 says the page is
  // out of date: show them. A 200 without our header is not ours (the sign-in page after the
  // session ended): show nothing of it.
  root.addEventListener("htmx:beforeSwap", (event) => {
    if (!itemOf(event)) return;
    const outcome = event.detail.xhr.getResponseHeader("X-Visit-Outcome");
    event.detail.shouldSwap = Boolean(outcome);
    event.detail.isError = false;
  });

  root.addEventListener("htmx:afterRequest", (event) => {
    const el = itemOf(event);
    if (!el) return;
    const key = el.dataset.visitItem;
    const xhr = event.detail.xhr;
    const sent = sending.get(key);
    sending.delete(key);
    const outcome = xhr.getResponseHeader("X-Visit-Outcome");
    if (outcome === "saved") {
      const version = xhr.getResponseHeader("X-Visit-Version");
      versionOf(el).value = version;
      saved.set(key, sent);
      held.delete(key);
      const entry = load(key);
      if (entry && same(entry.values, sent)) forget(key);
      else if (entry) keep(key, el); // typed more while saving: the next save builds on this one
      return;
    }
    if (outcome) {
      held.add(key); // a conflict, or a refusal: the status and panel say what to do
      return;
    }
    if (xhr.status === 0 && !navigator.onLine) {
      setStatus(el, OFFLINE);
      showConnection(false);
    } else if (xhr.status === 200) {
      setStatus(el, SIGNED_OUT);
    } else if (xhr.status === 403) {
      setStatus(el, FORBIDDEN);
    } else {
      setStatus(el, FAILED);
    }
    retryLater();
  });

  // "Keep mine" and "Use theirs" in a conflict panel (without JavaScript they submit the form).
  root.addEventListener("click", (event) => {
    const button = event.target.closest("[data-visit-resolve]");
    if (!button) return;
    event.preventDefault();
    const el = button.closest("[data-visit-item]");
    const key = el.dataset.visitItem;
    const panel = button.closest("[data-visit-conflict]");
    const theirs = JSON.parse(panel.querySelector('script[type="application/json"]').textContent);
    versionOf(el).value = panel.dataset.serverVersion;
    saved.set(key, theirs);
    held.delete(key);
    panel.closest("[data-visit-conflict-slot]").replaceChildren();
    if (button.dataset.visitResolve === "theirs") {
      apply(el, theirs);
      forget(key);
      setStatus(el, `Using the version saved by ${panel.dataset.serverBy}`);
    } else {
      keep(key, el);
      send(el);
    }
    // The buttons are gone: put focus back on the question, not on the page's start.
    el.querySelector("[data-visit-title]").focus();
  });

  // With JavaScript the "Save S1" button sends what has not been saved yet, without a reload.
  root.addEventListener("submit", (event) => {
    const form = event.target.closest("[data-visit-section]");
    if (!form) return;
    event.preventDefault();
    for (const el of form.querySelectorAll("[data-visit-item]")) send(el);
  });

  window.addEventListener("offline", () => {
    showConnection(false);
    for (const [key, el] of items) if (pending(key) && !held.has(key)) setStatus(el, OFFLINE);
  });

  window.addEventListener("online", () => {
    showConnection(true);
    flush();
  });

  // Leaving the page while typing: send what is left, best effort (the copy stays on the tablet
  // until a later visit to the page finds it saved).
  window.addEventListener("pagehide", () => {
    if (!navigator.onLine) return;
    for (const [key, el] of items) {
      if (held.has(key) || sending.has(key) || !pending(key)) continue;
      const body = new URLSearchParams({ ...valuesOf(el), [versionOf(el).name]: versionOf(el).value });
      fetch(el.getAttribute("hx-post"), {
        method: "POST",
        body,
        keepalive: true,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrf, "HX-Request": "true" },
      }).catch(() => {});
    }
  });

  // --- On load: what the server holds, then this tablet's unsent copies -----------------------

  for (const [key, el] of items) saved.set(key, valuesOf(el));
  for (const [key, el] of items) {
    const entry = load(key);
    if (!entry) continue;
    if (same(entry.values, saved.get(key))) {
      forget(key);
      continue;
    }
    // Send it against the version it was typed on: if someone saved since, the server says so.
    apply(el, entry.values);
    versionOf(el).value = String(entry.version);
    setStatus(el, navigator.onLine ? "Kept on this tablet: saving…" : OFFLINE);
  }
  if (!navigator.onLine) showConnection(false);
  // htmx starts its triggers on DOMContentLoaded, after this module has run.
  const begin = () => setTimeout(flush, 0);
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", begin);
  else begin();
}
