// The session's expiry warning (templates/auth/_session_timer.html). The server ends a session
// after SESSION_IDLE_MINUTES without a request, and SESSION_ABSOLUTE_HOURS after sign-in; a
// worker typing a long note sends no request, and would lose it at "save". So:
// - typing in a form counts as activity: it tells the server at most every few minutes;
// - a few minutes before the idle limit the warning offers "continue working";
// - before the absolute limit it says when the session ends, so that work is saved in time;
// - once the session has ended it says that what was not saved is still on the page.
// Tabs share the time of the last activity (a number, never any content) through localStorage.
(() => {
  const box = document.getElementById("session-timer");
  if (box === null) {
    return;
  }
  const seconds = (name) => Number(box.dataset[name]) * 1000;
  // The server notes activity at most once a touch interval, so its idle clock may have
  // started that much earlier than ours.
  const idleMs = seconds("idleSeconds") - seconds("touchSeconds");
  const warnMs = Math.min(3 * 60 * 1000, idleMs / 4);
  const typingEveryMs = Math.min(5 * 60 * 1000, idleMs / 4);
  const absoluteEnd = Date.now() + seconds("absoluteSeconds");
  const absoluteWarnMs = 10 * 60 * 1000;
  const KEY = "casemgr.lastActivity";
  const loaded = Date.now();
  let state = null;
  let absoluteDismissed = false;
  let sending = false;

  const stored = () => {
    try {
      return Number(window.localStorage.getItem(KEY)) || 0;
    } catch (error) {
      return 0;
    }
  };
  const note = (time) => {
    try {
      if (time > stored()) {
        window.localStorage.setItem(KEY, String(time));
      }
    } catch (error) {
      // Storage refused (private mode): this tab keeps its own time.
    }
  };
  let lastActivity = loaded;
  note(loaded);
  const last = () => Math.max(lastActivity, stored());
  const idleEnd = () => Math.min(last() + idleMs, absoluteEnd);

  const clock = (time) =>
    new Date(time).toLocaleTimeString(document.documentElement.lang || undefined, {
      hour: "2-digit",
      minute: "2-digit",
    });

  const show = (next, endTime) => {
    if (next === state) {
      return;
    }
    state = next;
    box.hidden = next === null;
    for (const element of box.querySelectorAll("[data-state]")) {
      element.hidden = !element.dataset.state.split(" ").includes(next);
    }
    if (endTime !== undefined) {
      for (const element of box.querySelectorAll("[data-end-time]")) {
        element.textContent = clock(endTime);
      }
    }
  };

  const token = () => {
    const field = document.querySelector("input[name='csrf_token']");
    return field === null ? "" : field.value;
  };

  const keepAlive = async () => {
    if (sending || state === "ended") {
      return;
    }
    sending = true;
    try {
      const response = await fetch(box.dataset.keepaliveUrl, {
        method: "POST",
        credentials: "same-origin",
        redirect: "manual",
        headers: { "X-CSRFToken": token(), Accept: "application/json" },
      });
      const kind = response.headers.get("Content-Type") || "";
      if (!response.ok || !kind.startsWith("application/json")) {
        show("ended");
        return;
      }
      lastActivity = Date.now();
      note(lastActivity);
      if (state === "idle") {
        show(null);
      }
    } catch (error) {
      // No answer (the network): the warning stays, and the button can be pressed again.
    } finally {
      sending = false;
    }
  };

  const tick = () => {
    const now = Date.now();
    if (state === "ended") {
      return;
    }
    if (now >= idleEnd()) {
      show("ended");
    } else if (now >= idleEnd() - warnMs && idleEnd() < absoluteEnd) {
      show("idle", idleEnd());
    } else if (now >= absoluteEnd - absoluteWarnMs && !absoluteDismissed) {
      show("absolute", absoluteEnd);
    } else if (state === "idle") {
      show(null); // another tab was active meanwhile
    }
  };

  box.querySelector("[data-action='keepalive']").addEventListener("click", keepAlive);
  box.querySelector("[data-action='dismiss']").addEventListener("click", () => {
    if (state === "ended") {
      box.hidden = true; // what was typed stays on the page, uncovered
      return;
    }
    absoluteDismissed = true;
    show(null);
  });
  document.addEventListener("input", () => {
    if (state !== "ended" && Date.now() - last() >= typingEveryMs) {
      keepAlive();
    }
  });
  window.setInterval(tick, 1000);
})();
