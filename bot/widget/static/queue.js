  /* The outgoing queue: in order, one at a time, nothing lost; retries keep their client message id. */

  // --- the queue: in order, one at a time, nothing lost ------------------------
  // Each entry is {id, message, shown, item}: its client message id, what goes
  // to the gateway, what the person saw (null for the hidden /greet) and their
  // bubble. The head is in flight, or it failed and waits for its retry with
  // everything behind it. Nothing goes out while the history is being restored,
  // so a message typed meanwhile still comes after it.
  var queue = [];
  var inFlight = false;
  var restoring = false;
  var failure = null;  // the notice under a failed head, while it waits for a retry

  function entryFor(message, shown) { return { id: newId().slice(4), message: message, shown: shown, item: null }; }

  function enqueue(message, shown) {
    var entry = entryFor(message, shown);
    if (shown !== null) {
      foldNotice();
      entry.item = addUser(shown);
      if (queue.length) entry.item.classList.add("waiting");
    }
    queue.push(entry);
    pump();
  }

  function setUnsent(entry, unsent) {
    if (!entry.item) return;
    entry.item.classList.toggle("unsent", unsent);
    var state = entry.item.querySelector(".state");
    if (unsent && !state) entry.item.appendChild(el("span", "state", t("unsent")));
    if (!unsent && state) state.remove();
  }

  function pump() {
    if (inFlight || failure || restoring || !queue.length) return;
    var entry = queue[0];
    inFlight = true;
    if (entry.item) entry.item.classList.remove("waiting");
    setUnsent(entry, false);
    showTyping(true);
    var slow = setTimeout(showSlow, SLOW_MS);
    var done = function () { clearTimeout(slow); showTyping(false); inFlight = false; };
    var payload = { sender_id: sender, message: entry.message, client_message_id: entry.id };
    post("/api/chat", payload, TIMEOUT_MS).then(function (body) {
      done();
      queue.shift();
      adopt(body);
      render(body, entry);
    }, function (err) {
      done();
      failed(entry, err.kind || "network");
    }).then(pump);
  }

  function render(body, entry) {
    var replies = body.replies || [];
    // One rating per turn, under its last cited answer: form prompts, scope
    // messages, "not found" and the documents offered with it cite nothing, and there is nothing to rate.
    var rated = -1;
    if (entry.shown !== null) {
      replies.forEach(function (reply, i) { if (cites(reply)) rated = i; });
    }
    replies.forEach(function (reply, i) { addReply(reply, body.turn_id, i === rated); });
    setHandoff(!!body.handoff);
  }

  function failed(entry, kind) {
    if (kind === "rejected") {
      // The gateway refused this message itself (empty, too long): sending it
      // again cannot help, so it goes back into the input to be changed.
      queue.shift();
      setUnsent(entry, true);
      if (entry.shown !== null && !input.value) { input.value = entry.message; updateCounter(); }
      addNotice(t("rejected"));
      return;
    }
    setUnsent(entry, true);
    var notice = addNotice(t(kind));
    notice.setAttribute("data-kind", kind);
    var retry = el("button", "retry", t("retry"));
    retry.type = "button";
    retry.addEventListener("click", function () {
      notice.remove();
      failure = null;
      input.focus();
      pump();
    });
    notice.appendChild(retry);
    scrollDown();  // the button made the notice taller: keep it in view
    failure = notice;
  }

  // Back online: the notice says the kept message can go now (sent only on the
  // person's tap, so nothing is sent twice behind their back).
  window.addEventListener("online", function () {
    if (failure && failure.getAttribute("data-kind") === "offline") {
      failure.querySelector(".notice-text").textContent = t("online");
    }
  });
