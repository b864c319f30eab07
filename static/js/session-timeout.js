// The warning before QAF signs a user out for inactivity (qaf/sessions.py), so that nothing
// typed is lost without notice. Loaded by templates/includes/session_timeout.html, which gives
// the figures in data- attributes of its <dialog>:
//   - `warningSeconds` before the session ends, ask the server how long is really left (another
//     tab may have kept it alive; asking is not activity: X-QAF-Background), and if it is about
//     to end open the dialog with a countdown;
//   - "Stay signed in" (or Escape) posts to the keep-alive URL, which restarts the idle clock;
//   - at the end, once the server says the session is over, go to the sign-in page with `next`,
//     so that signing in again comes back here (the visit form then sends what it kept).
// Every htmx request the user makes (a save, a filter) restarts the clock, as it does on the
// server; background ones (a progress poll) do not.

const dialog = document.querySelector("[data-qaf-session-timeout]");
if (dialog && typeof dialog.showModal === "function") start(dialog);

function start(dialog) {
  const idleMs = Number(dialog.dataset.idleSeconds) * 1000;
  const warningMs = Number(dialog.dataset.warningSeconds) * 1000;
  const keepaliveUrl = dialog.dataset.keepaliveUrl;
  const loginUrl = dialog.dataset.loginUrl;
  const csrf = JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"];
  const countdown = dialog.querySelector("[data-qaf-countdown]");
  const countdownText = dialog.querySelector("[data-qaf-countdown-text]");
  const live = dialog.querySelector("[data-qaf-countdown-live]");
  const stayButton = dialog.querySelector("[data-qaf-stay-signed-in]");

  let deadline = Date.now() + Number(dialog.dataset.secondsLeft) * 1000;
  let timer = null;
  let ticker = null;
  let lastAnnounced = null;

  // Seconds left according to the server; null once the session has ended (the answer is
  // the sign-in page); undefined when the server could not be reached or failed (a 5xx: trust
  // our own clock rather than send someone mid-visit to sign in).
  async function ask(method) {
    const headers = { Accept: "application/json", "X-CSRFToken": csrf };
    if (method === "GET") headers["X-QAF-Background"] = "1";
    try {
      // Not following the redirect to the sign-in page: fetching it would use up the
      // message there that says why the user was signed out.
      const response = await fetch(keepaliveUrl, {
        method,
        headers,
        credentials: "same-origin",
        redirect: "manual",
      });
      if (response.type === "opaqueredirect") return null;
      if (!response.ok) return undefined;
      return (await response.json()).seconds_left;
    } catch {
      return undefined;
    }
  }

  function words(ms) {
    const seconds = Math.max(0, Math.ceil(ms / 1000));
    if (seconds >= 60) {
      const minutes = Math.ceil(seconds / 60);
      return minutes === 1 ? "1 minute" : `${minutes} minutes`;
    }
    return seconds === 1 ? "1 second" : `${seconds} seconds`;
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(check, Math.max(0, deadline - warningMs - Date.now()));
  }

  function signIn() {
    const here = window.location.pathname + window.location.search;
    window.location.assign(`${loginUrl}?${new URLSearchParams({ next: here })}`);
  }

  async function check() {
    const left = await ask("GET");
    if (left === null) return signIn();
    if (left !== undefined) deadline = Date.now() + left * 1000;
    if (deadline - Date.now() > warningMs + 1000) return schedule();
    warn();
  }

  function warn() {
    if (!dialog.open) {
      lastAnnounced = null;
      dialog.showModal();
      stayButton.focus();
    }
    clearInterval(ticker);
    tick();
    ticker = setInterval(tick, 1000);
  }

  function tick() {
    const left = deadline - Date.now();
    if (left <= 0) {
      clearInterval(ticker);
      end();
      return;
    }
    const text = words(left);
    countdown.textContent = text;
    countdownText.textContent = text;
    // Screen readers hear the time left every 20 seconds or so, not every second.
    if (lastAnnounced === null || lastAnnounced - left >= 20_000) {
      lastAnnounced = left;
      live.textContent = `You will be signed out in ${text}.`;
    }
  }

  async function end() {
    const left = await ask("GET");
    if (left === null || left === 0) return signIn();
    if (left !== undefined) deadline = Date.now() + left * 1000;
    else deadline = Date.now() + 10_000; // the server is unreachable: look again shortly
    warn();
  }

  async function stay() {
    const left = await ask("POST");
    if (left === null) return signIn();
    deadline = Date.now() + (left ?? idleMs / 1000) * 1000;
    clearInterval(ticker);
    if (dialog.open) dialog.close();
    live.textContent = "";
    schedule();
  }

  stayButton.addEventListener("click", stay);
  dialog.addEventListener("cancel", (event) => {
    // Escape means "not now": stay signed in rather than leave the countdown running unseen.
    event.preventDefault();
    stay();
  });
  document.addEventListener("htmx:afterRequest", (event) => {
    const headers = event.detail?.requestConfig?.headers ?? {};
    if (event.detail?.successful && headers["X-QAF-Background"] !== "1") {
      deadline = Date.now() + idleMs;
      if (!dialog.open) schedule();
    }
  });
  schedule();
}
