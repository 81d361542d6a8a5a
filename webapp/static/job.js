// Re-index status: poll the job's JSON politely (every 2 s, slower after errors, paused while the tab is hidden)
// and update the live region, instead of reloading the whole page.
(function () {
  "use strict";
  var box = document.getElementById("job");
  if (!box || box.getAttribute("data-state") !== "running") { return; }
  var url = box.getAttribute("data-status-url");
  var delay = 2000, timer = null, busy = false, lastMessage = "";
  var state = document.getElementById("job-state");
  var message = document.getElementById("job-message");
  var bar = document.getElementById("job-progress");
  var hint = document.getElementById("job-hint");
  var finished = document.getElementById("job-finished");

  function schedule() {
    if (!document.hidden) { timer = window.setTimeout(poll, delay); }
  }
  function show(s) {
    state.textContent = s.state;
    if (s.message !== lastMessage) { message.textContent = s.message; lastMessage = s.message; }
    if (bar) { bar.value = s.percent; bar.textContent = s.percent + "%"; }
    if (s.state !== "running") {
      if (bar) { bar.remove(); }
      if (hint) { hint.remove(); }
      if (s.finished) { finished.textContent = "Finished " + s.finished + "."; finished.hidden = false; }
      box.setAttribute("data-state", s.state);
      return true;
    }
    return false;
  }
  function poll() {
    timer = null;
    busy = true;
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (s) { busy = false; delay = 2000; if (!show(s)) { schedule(); } })
      .catch(function () { busy = false; delay = Math.min(delay * 2, 30000); schedule(); });
  }
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && timer === null && !busy && box.getAttribute("data-state") === "running") { poll(); }
  });
  lastMessage = message.textContent;
  schedule();
})();
