/* Console behaviour that used to sit in inline attributes, which the console's
   Content-Security-Policy (script-src 'self') no longer runs: a form with
   data-confirm asks before it is sent. */
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form && form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) event.preventDefault();
});

/* The 人工接待 queue stays live: a server-sent-event stream says when it changed
   (bot/console/handoff_queue.py), and the cards are fetched again and swapped
   in, keeping whatever staff were typing. The stream ends every ~25 s and
   EventSource reconnects by itself; each reconnect refreshes waiting times. */
(function () {
  var live = document.getElementById("handoff-live");
  var badge = document.getElementById("handoff-badge");
  var status = document.getElementById("handoff-live-status");
  if (!live || !window.fetch) return;
  var baseTitle = document.title;

  function current() { return document.getElementById("handoff-queue"); }

  function showCounts(waiting) {
    if (badge) { badge.textContent = String(waiting); badge.hidden = !waiting; }
    document.title = (waiting ? "(" + waiting + ") " : "") + baseTitle;
  }

  function swap(html) {
    var typed = {}, focused = document.activeElement && document.activeElement.id;
    live.querySelectorAll("input[name=text]").forEach(function (input) { typed[input.id] = input.value; });
    var holder = document.createElement("div");
    holder.innerHTML = html;
    var fresh = holder.querySelector("#handoff-queue");
    if (!fresh) return;
    current().replaceWith(fresh);
    Object.keys(typed).forEach(function (id) {
      var input = document.getElementById(id);
      if (input) input.value = typed[id];
    });
    if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
    showCounts(parseInt(fresh.getAttribute("data-waiting"), 10) || 0);
  }

  var fetching = false, again = false;
  function refresh() {
    if (fetching) { again = true; return; }
    fetching = true;
    fetch(live.getAttribute("data-fragment"), { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(swap)
      .catch(function () { /* the next event tries again */ })
      .then(function () { fetching = false; if (again) { again = false; refresh(); } });
  }

  showCounts(parseInt(current().getAttribute("data-waiting"), 10) || 0);
  if (!window.EventSource) { setInterval(refresh, 5000); return; }
  var source = new EventSource(live.getAttribute("data-events"));
  var lastFetch = Date.now();
  source.addEventListener("queue", function (event) {
    var state = JSON.parse(event.data);
    if (status) status.textContent = "";
    // Every (re)connect sends the state: fetch the cards when it changed, or every half
    // minute to move the waiting times on (a page past the stream limit reconnects every 3 s).
    if (state.version !== current().getAttribute("data-version") || Date.now() - lastFetch > 30000) {
      lastFetch = Date.now();
      refresh();
    }
    showCounts(state.waiting);
  });
  source.addEventListener("error", function () {
    if (status && source.readyState === EventSource.CLOSED) status.textContent = "（实时更新已断开，请刷新页面）";
  });
})();
