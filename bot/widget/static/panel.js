  /* Opening and closing the panel, restoring the conversation (GET /api/chat/history), mounting the widget
     on the page, and window.ParkChat for host pages. */

  // --- opening and closing --------------------------------------------------
  // The conversation so far, above anything typed while it loaded, in the order it happened. Nothing to
  // restore (a first visit, an expired token, the gateway unreachable): the greeting starts a new one.
  function restore() {
    if (!returning || (crossOrigin && !token)) { queue.unshift(entryFor("/greet", null)); pump(); return; }
    restoring = true;
    var anchor = log.firstChild;
    get("/api/chat/history").then(function (body) {
      var messages = body.messages || [];
      var rated = {};  // as when first shown: one rating per turn, under its last cited answer
      messages.forEach(function (m, i) { if (m.role === "bot" && cites(m)) rated[m.turn_id] = i; });
      messages.forEach(function (m, i) {
        if (m.role === "user") { useLanguage(languageOf(m.text)); foldNotice(); }  // the labels follow the conversation
        var item = m.role === "user" ? el("li", "msg user", m.text) : m.role === "staff" ? staffItem(m.text)
          : m.role === "system" ? replyItem({ text: m.text }) : replyItem(m, m.turn_id, rated[m.turn_id] === i);
        log.insertBefore(item, anchor);
      });
      lastStaffId = Math.max(lastStaffId, body.last_staff_id || 0);
      setHandoff(!!body.handoff);
      if (!messages.length) queue.unshift(entryFor("/greet", null));
    }).catch(function () {
      queue.unshift(entryFor("/greet", null));
    }).then(function () {
      restoring = false;
      scrollDown();
      pump();
    });
  }

  var greeted = false;
  function open() {
    panel.hidden = false;
    try { sessionStorage.setItem(OPEN_KEY, "1"); } catch (e) { /* blocked: closed on the next page */ }
    bubble.setAttribute("aria-expanded", "true");
    bubble.setAttribute("aria-label", t("closePanel"));
    fitToViewport();
    scrollDown();
    input.focus();
    if (!greeted) {
      greeted = true;
      restore();
    }
  }

  function hide() {
    panel.hidden = true;
    try { sessionStorage.removeItem(OPEN_KEY); } catch (e) { /* nothing to forget */ }
    bubble.setAttribute("aria-expanded", "false");
    bubble.setAttribute("aria-label", t("open"));
    bubble.focus();
  }

  bubble.addEventListener("click", function () { panel.hidden ? open() : hide(); });
  close.addEventListener("click", hide);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") { event.preventDefault(); hide(); }
  });

  relabel();

  function mount() {
    document.body.appendChild(host);
    var wasOpen = false;
    try { wasOpen = sessionStorage.getItem(OPEN_KEY) === "1"; } catch (e) { /* blocked */ }
    if (attr("data-open") === "true" || wasOpen) open();
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);

  window.ParkChat = {
    open: open, close: hide,
    send: function (text) { open(); useLanguage(languageOf(text)); enqueue(text, text); }
  };
